output "arn" {
  description = "ARN of the ALB."
  value       = aws_lb.this.arn
}

output "arn_suffix" {
  description = "ARN suffix of the ALB (CloudWatch LoadBalancer dimension)."
  value       = aws_lb.this.arn_suffix
}

output "dns_name" {
  description = "DNS name of the ALB."
  value       = aws_lb.this.dns_name
}

output "zone_id" {
  description = "Route 53 hosted zone ID of the ALB (for alias records)."
  value       = aws_lb.this.zone_id
}

output "security_group_id" {
  description = "ID of the ALB's security group."
  value       = aws_security_group.alb.id
}

output "target_group_arn" {
  description = "ARN of the target group (ip targets, port 8000); available once a listener rule ties it to the ALB, as ECS requires."
  value       = aws_lb_target_group.this.arn

  # ECS refuses a service whose target group no listener forwards to yet.
  depends_on = [aws_lb_listener_rule.heartbeat]
}

output "target_group_arn_suffix" {
  description = "ARN suffix of the target group (CloudWatch TargetGroup dimension)."
  value       = aws_lb_target_group.this.arn_suffix
}

output "https_listener_arn" {
  description = "ARN of the HTTPS listener (default action: 401; the rotation function owns its token rules)."
  value       = aws_lb_listener.https.arn
}

output "http_listener_arn" {
  description = "ARN of the HTTP listener (redirects to HTTPS)."
  value       = aws_lb_listener.http.arn
}

output "auth_rule_priorities" {
  description = "Priorities the rotation function gives its token rules on the HTTPS listener (they are not Terraform resources)."
  value       = { authorization = 10, x_chroma_token = 20 }
}

output "heartbeat_rule_arn" {
  description = "ARN of the rule forwarding GET /api/v2/heartbeat without a token."
  value       = aws_lb_listener_rule.heartbeat.arn
}

output "access_logs_bucket" {
  description = "Name of the access-log bucket."
  value       = aws_s3_bucket.logs.id
}
