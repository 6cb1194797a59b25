output "execution_role_arn" {
  description = "ARN of the ECS task execution role (image pull, container logs)."
  value       = aws_iam_role.execution.arn

  # A task started before its role's policy exists cannot pull the image or create its log stream.
  depends_on = [aws_iam_role_policy.execution]
}

output "task_role_arn" {
  description = "ARN of the ECS task role (EFS mount through the access point; ECS Exec when enabled)."
  value       = aws_iam_role.task.arn

  # The task mounts EFS with this role from its first start.
  depends_on = [aws_iam_role_policy.task]
}

output "task_role_name" {
  description = "Name of the ECS task role."
  value       = aws_iam_role.task.name
}

output "rotation_role_arn" {
  description = "ARN of the token-rotation Lambda function's role."
  value       = aws_iam_role.rotation.arn

  # Lambda checks at CreateFunction that a VPC function's role may create network interfaces.
  depends_on = [aws_iam_role_policy.rotation]
}

output "backup_role_arn" {
  description = "ARN of the AWS Backup service role."
  value       = aws_iam_role.backup.arn

  # A backup selection's role needs its policies before the first job.
  depends_on = [aws_iam_role_policy_attachment.backup]
}

output "flow_logs_role_arn" {
  description = "ARN of the VPC Flow Logs role."
  value       = aws_iam_role.flow_logs.arn

  # Flow Logs delivers with this role from the moment the flow log exists.
  depends_on = [aws_iam_role_policy.flow_logs]
}
