# Network: internet -> ALB (443, and 80 only to redirect) -> tasks (8080 only) -> database (5432).
# Rules are their own resources (aws_vpc_security_group_*_rule), one per source, so no group
# keeps AWS's default allow-all egress and each rule is checked as written.

resource "aws_security_group" "alb" {
  name_prefix = "${var.name}-alb-"
  description = "mediagate load balancer, HTTPS and the HTTP redirect from anywhere"
  vpc_id      = var.vpc_id
  tags        = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "alb" {
  #checkov:skip=CKV_AWS_260:port 80 only answers a redirect to HTTPS (aws_lb_listener.http)
  for_each = {
    https4 = { port = 443, cidr4 = "0.0.0.0/0", cidr6 = null }
    https6 = { port = 443, cidr4 = null, cidr6 = "::/0" }
    http4  = { port = 80, cidr4 = "0.0.0.0/0", cidr6 = null }
    http6  = { port = 80, cidr4 = null, cidr6 = "::/0" }
  }

  security_group_id = aws_security_group.alb.id
  description       = each.value.port == 443 ? "HTTPS" : "redirect to HTTPS"
  ip_protocol       = "tcp"
  from_port         = each.value.port
  to_port           = each.value.port
  cidr_ipv4         = each.value.cidr4
  cidr_ipv6         = each.value.cidr6
}

resource "aws_vpc_security_group_egress_rule" "alb_to_tasks" {
  security_group_id            = aws_security_group.alb.id
  description                  = "the main listener only"
  ip_protocol                  = "tcp"
  from_port                    = 8080
  to_port                      = 8080
  referenced_security_group_id = aws_security_group.tasks.id
}

resource "aws_security_group" "tasks" {
  name_prefix = "${var.name}-tasks-"
  description = "mediagate tasks, 8080 from the load balancer only"
  vpc_id      = var.vpc_id
  tags        = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "tasks_from_alb" {
  security_group_id            = aws_security_group.tasks.id
  description                  = "the main listener, from the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = 8080
  to_port                      = 8080
  referenced_security_group_id = aws_security_group.alb.id
}

resource "aws_vpc_security_group_ingress_rule" "admin" {
  count = local.has_admin_src ? 1 : 0

  security_group_id            = aws_security_group.tasks.id
  description                  = "admin listener (/metrics) for the scraper only"
  ip_protocol                  = "tcp"
  from_port                    = 9090
  to_port                      = 9090
  referenced_security_group_id = var.admin_source_security_group_id
}

# AWS APIs (S3, CloudFront, Secrets Manager, ECR, Logs) and an OIDC issuer's JWKS.
resource "aws_vpc_security_group_egress_rule" "tasks_https" {
  for_each = { v4 = "0.0.0.0/0", v6 = "::/0" }

  security_group_id = aws_security_group.tasks.id
  description       = "AWS APIs and the OIDC issuer"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = each.key == "v4" ? each.value : null
  cidr_ipv6         = each.key == "v6" ? each.value : null
}

resource "aws_vpc_security_group_egress_rule" "tasks_to_database" {
  security_group_id            = aws_security_group.tasks.id
  description                  = "PostgreSQL"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = local.database_security_group_id
}

resource "aws_vpc_security_group_ingress_rule" "database_from_tasks" {
  security_group_id            = local.database_security_group_id
  description                  = "PostgreSQL from the mediagate tasks of ${var.name}"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = aws_security_group.tasks.id
}

resource "aws_lb" "mediagate" {
  #checkov:skip=CKV2_AWS_28:WAF is optional; mediagate authenticates every GraphQL call and signs every link
  name                       = var.name
  load_balancer_type         = "application"
  internal                   = false
  subnets                    = var.public_subnet_ids
  security_groups            = [aws_security_group.alb.id]
  drop_invalid_header_fields = true
  enable_deletion_protection = var.alb_deletion_protection
  tags                       = var.tags

  access_logs {
    enabled = local.has_alb_logs
    bucket  = var.alb_log_bucket
    prefix  = "alb/${var.name}"
  }
}

resource "aws_lb_target_group" "mediagate" {
  name                 = var.name
  vpc_id               = var.vpc_id
  target_type          = "ip"
  protocol             = "HTTP"
  port                 = 8080
  deregistration_delay = 30
  tags                 = var.tags

  # /readyz answers 200 only when the store answers and the keys are loaded: a replica that
  # cannot sign or read gets no traffic (and a deployment whose replicas never get ready is
  # rolled back by the circuit breaker).
  health_check {
    enabled             = true
    protocol            = "HTTP"
    port                = "traffic-port"
    path                = "/readyz"
    matcher             = "200"
    interval            = 10
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.mediagate.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.mediagate.arn
  }
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.mediagate.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "redirect"

    redirect {
      protocol    = "HTTPS"
      port        = "443"
      status_code = "HTTP_301"
    }
  }
}
