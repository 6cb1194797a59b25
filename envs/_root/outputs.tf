# Everything chromactl reads after an apply (`chromactl output --env <env>`).

output "endpoint_url" {
  description = "HTTPS URL of the ChromaDB endpoint."
  value       = module.stack.endpoint_url
}

output "endpoint_tls_verifiable" {
  description = "Whether endpoint_url's host is on the certificate (false: the ALB's own name)."
  value       = module.stack.endpoint_tls_verifiable
}

output "alb_dns_name" {
  description = "DNS name of the ALB."
  value       = module.stack.alb_dns_name
}

output "alb_arn" {
  description = "ARN of the ALB."
  value       = module.stack.alb_arn
}

output "alb_zone_id" {
  description = "Route 53 zone ID of the ALB."
  value       = module.stack.alb_zone_id
}

output "https_listener_arn" {
  description = "ARN of the HTTPS listener."
  value       = module.stack.https_listener_arn
}

output "target_group_arn" {
  description = "ARN of the target group."
  value       = module.stack.target_group_arn
}

output "cluster_name" {
  description = "ECS cluster name."
  value       = module.stack.cluster_name
}

output "service_name" {
  description = "ECS service name."
  value       = module.stack.service_name
}

output "task_definition_family" {
  description = "Task definition family."
  value       = module.stack.task_definition_family
}

output "file_system_id" {
  description = "EFS file system in use."
  value       = module.stack.file_system_id
}

output "access_point_id" {
  description = "EFS access point."
  value       = module.stack.access_point_id
}

output "file_system_root_directory" {
  description = "Data directory on the file system."
  value       = module.stack.file_system_root_directory
}

output "token_secret_arn" {
  description = "Secret holding the ALB token."
  value       = module.stack.token_secret_arn
}

output "token_rotation_function_name" {
  description = "Token-rotation Lambda function."
  value       = module.stack.token_rotation_function_name
}

output "token_rotation_log_group_name" {
  description = "Log group of the token-rotation function (where a failed or stuck rotation explains itself)."
  value       = module.stack.token_rotation_log_group_name
}

output "log_group_name" {
  description = "Chroma container log group."
  value       = module.stack.log_group_name
}

output "dashboard_name" {
  description = "CloudWatch dashboard."
  value       = module.stack.dashboard_name
}

output "alarm_topic_arn" {
  description = "Alarm SNS topic."
  value       = module.stack.alarm_topic_arn
}

output "backup_vault_name" {
  description = "Local backup vault."
  value       = module.stack.backup_vault_name
}

output "region" {
  description = "Region of this stack."
  value       = module.stack.region
}

output "failover_region" {
  description = "Region of the DR copies."
  value       = module.stack.failover_region
}

output "replica_file_system_id" {
  description = "EFS replica in the failover region (null when off)."
  value       = module.stack.replica_file_system_id
}

output "dr_backup_vault_name" {
  description = "Backup vault in the failover region (null when off)."
  value       = module.stack.dr_backup_vault_name
}

output "dr_kms_key_arn" {
  description = "KMS key in the failover region (null when off)."
  value       = module.stack.dr_kms_key_arn
}

output "backup_role_arn" {
  description = "AWS Backup role of this stack (failover --from backup and the restore drill restore with it)."
  value       = module.stack.backup_role_arn
}

output "vpc_id" {
  description = "ID of the stack's VPC."
  value       = module.stack.vpc_id
}

output "alarm_name_prefix" {
  description = "Prefix of the stack's CloudWatch alarm names (chromactl status lists those in ALARM)."
  value       = module.stack.alarm_name_prefix
}

output "account_id" {
  description = "AWS account of this stack."
  value       = var.account_id
}
