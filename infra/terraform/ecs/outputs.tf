# The same names as mediagate-ecs.yaml's outputs, in snake_case.

output "load_balancer_dns_name" {
  description = "Point the service's DNS name (the certificate's) at this"
  value       = aws_lb.mediagate.dns_name
}

output "cluster_name" {
  value = aws_ecs_cluster.this.name
}

output "service_name" {
  value = aws_ecs_service.mediagate.name
}

output "task_role_arn" {
  value = aws_iam_role.task.arn
}

output "task_security_group_id" {
  value = aws_security_group.tasks.id
}

output "log_group_name" {
  value = aws_cloudwatch_log_group.service.name
}

output "database_url_secret_arn" {
  description = "The secret mediagate reads its database URL from (created here unless database = \"external\")"
  value       = local.database_url_secret_arn
}
