# Rolling deploys: minimum healthy 100 % keeps desired_count replicas serving while the new ones
# start (maximum 200 %), and the circuit breaker rolls back a deployment whose tasks keep failing
# their health checks.

resource "aws_ecs_service" "mediagate" {
  name                              = var.name
  cluster                           = aws_ecs_cluster.this.id
  task_definition                   = local.task_definition_arn
  launch_type                       = "FARGATE"
  platform_version                  = "LATEST"
  desired_count                     = var.desired_count
  health_check_grace_period_seconds = 30
  enable_execute_command            = false
  propagate_tags                    = "SERVICE"
  tags                              = var.tags

  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  load_balancer {
    container_name   = "mediagate"
    container_port   = 8080
    target_group_arn = aws_lb_target_group.mediagate.arn
  }

  network_configuration {
    assign_public_ip = false
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.tasks.id]
  }

  depends_on = [aws_lb_listener.https]

  # Autoscaling owns the count once the service runs.
  lifecycle {
    ignore_changes = [desired_count]
  }
}

resource "aws_appautoscaling_target" "mediagate" {
  service_namespace  = "ecs"
  scalable_dimension = "ecs:service:DesiredCount"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.mediagate.name}"
  min_capacity       = var.desired_count
  max_capacity       = var.max_count
}

resource "aws_appautoscaling_policy" "cpu" {
  name               = "${var.name}-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.mediagate.service_namespace
  scalable_dimension = aws_appautoscaling_target.mediagate.scalable_dimension
  resource_id        = aws_appautoscaling_target.mediagate.resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = var.cpu_target_percent
    scale_in_cooldown  = 300
    scale_out_cooldown = 60

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

resource "aws_appautoscaling_policy" "requests" {
  name               = "${var.name}-requests"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.mediagate.service_namespace
  scalable_dimension = aws_appautoscaling_target.mediagate.scalable_dimension
  resource_id        = aws_appautoscaling_target.mediagate.resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = var.requests_per_target
    scale_in_cooldown  = 300
    scale_out_cooldown = 60

    predefined_metric_specification {
      predefined_metric_type = "ALBRequestCountPerTarget"
      resource_label         = "${aws_lb.mediagate.arn_suffix}/${aws_lb_target_group.mediagate.arn_suffix}"
    }
  }
}
