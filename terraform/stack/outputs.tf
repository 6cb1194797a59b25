output "endpoint_url" {
  description = "HTTPS URL clients use (the DNS record, the domain name, or the ALB's DNS name)."
  value       = local.endpoint_url
}

output "endpoint_tls_verifiable" {
  description = "Whether endpoint_url's host is a name the certificate covers; false when it is the ALB's own DNS name (the CLI's checks then skip TLS verification)."
  value       = local.verify_tls
}

output "alb_dns_name" {
  description = "DNS name of the ALB."
  value       = module.alb.dns_name
}

output "alb_arn" {
  description = "ARN of the ALB."
  value       = module.alb.arn
}

output "alb_zone_id" {
  description = "Route 53 zone ID of the ALB (for alias records the CLI moves during failover)."
  value       = module.alb.zone_id
}

output "https_listener_arn" {
  description = "ARN of the HTTPS listener."
  value       = module.alb.https_listener_arn
}

output "target_group_arn" {
  description = "ARN of the target group."
  value       = module.alb.target_group_arn
}

output "cluster_name" {
  description = "ECS cluster name."
  value       = module.ecs.cluster_name
}

output "service_name" {
  description = "ECS service name."
  value       = module.ecs.service_name
}

output "task_definition_family" {
  description = "Task definition family."
  value       = module.ecs.task_definition_family
}

output "file_system_id" {
  description = "ID of the EFS file system in use."
  value       = module.efs.file_system_id
}

output "access_point_id" {
  description = "ID of the EFS access point."
  value       = module.efs.access_point_id
}

output "file_system_root_directory" {
  description = "Data directory on the file system (the access point's root)."
  value       = module.efs.root_directory
}

output "token_secret_arn" {
  description = "ARN of the Secrets Manager secret holding the ALB token."
  value       = aws_secretsmanager_secret.token.arn
}

output "token_rotation_function_name" {
  description = "Name of the token-rotation Lambda function."
  value       = aws_lambda_function.rotation.function_name
}

output "log_group_name" {
  description = "Log group of the Chroma container."
  value       = module.observability.app_log_group_name
}

output "dashboard_name" {
  description = "CloudWatch dashboard name."
  value       = module.observability.dashboard_name
}

output "alarm_topic_arn" {
  description = "SNS topic of the alarms."
  value       = module.observability.alarm_topic_arn
}

output "alarm_names" {
  description = "Names of the CloudWatch alarms, by purpose."
  value       = module.observability.alarm_names
}

output "backup_vault_name" {
  description = "Local AWS Backup vault (null when backup is off)."
  value       = module.efs.backup_vault_name
}

output "region" {
  description = "Region of this stack."
  value       = var.region
}

output "failover_region" {
  description = "Region holding the replica, the backup copies and the DR key."
  value       = var.failover_region
}

output "replica_file_system_id" {
  description = "EFS replica in the failover region (null when replication is off)."
  value       = module.efs.replica_file_system_id
}

output "dr_backup_vault_name" {
  description = "Vault in the failover region receiving backup copies (null when off)."
  value       = module.efs.dr_backup_vault_name
}

output "dr_kms_key_arn" {
  description = "KMS key in the failover region (null when neither replication nor copies are on)."
  value       = module.efs.dr_kms_key_arn
}

output "required_memory_mib" {
  description = "Task memory the capacity rule requires for the declared vectors."
  value       = module.ecs.required_memory_mib
}

output "capacity" {
  description = "The capacity rule's figures: MiB at steady state and during a bulk load, required and actual task memory, health-check grace."
  value       = module.ecs.capacity
}

output "vpc_id" {
  description = "ID of the VPC."
  value       = module.vpc.vpc_id
}

output "private_subnet_ids" {
  description = "Private subnets (tasks, mount targets)."
  value       = module.vpc.private_subnet_ids
}

output "backup_role_arn" {
  description = "IAM role AWS Backup uses for this stack's backups and restores (a backup failover restores with it)."
  value       = module.efs.backup_role_arn
}

output "alarm_name_prefix" {
  description = "Prefix of every CloudWatch alarm name of this stack (<project>-<env>)."
  value       = local.name
}

output "token_rotation_log_group_name" {
  description = "Log group of the token-rotation function (where a failed or stuck rotation explains itself)."
  value       = module.observability.log_group_names["rotation"]
}

output "token_alarm_names" {
  description = "Alarms on the token rotation (to the alarm topic): failed invocation, stuck AWSPENDING."
  value       = { rotation_failed = aws_cloudwatch_metric_alarm.rotation_failed.alarm_name, rotation_stuck = aws_cloudwatch_metric_alarm.rotation_stuck.alarm_name }
}

output "auth_rule_read_guard_policy_json" {
  description = "Deny-DescribeRules policy document (except the rotation role and auth_rule_reader_arns): use it as an SCP or attach the managed policy (auth_rule_read_guard_policy_arn) to roles that hold ReadOnlyAccess."
  value       = local.auth_rule_read_guard
}

output "auth_rule_read_guard_policy_arn" {
  description = "ARN of the managed deny-DescribeRules policy (null unless enable_auth_rule_read_guard)."
  value       = try(aws_iam_policy.auth_rule_read_guard[0].arn, null)
}
