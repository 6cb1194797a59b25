output "execution_role_arn" {
  description = "ARN of the ECS task execution role (image pull, container logs)."
  value       = aws_iam_role.execution.arn
}

output "task_role_arn" {
  description = "ARN of the ECS task role (EFS mount through the access point; ECS Exec when enabled)."
  value       = aws_iam_role.task.arn
}

output "task_role_name" {
  description = "Name of the ECS task role."
  value       = aws_iam_role.task.name
}

output "rotation_role_arn" {
  description = "ARN of the token-rotation Lambda function's role."
  value       = aws_iam_role.rotation.arn
}

output "backup_role_arn" {
  description = "ARN of the AWS Backup service role."
  value       = aws_iam_role.backup.arn
}

output "flow_logs_role_arn" {
  description = "ARN of the VPC Flow Logs role."
  value       = aws_iam_role.flow_logs.arn
}
