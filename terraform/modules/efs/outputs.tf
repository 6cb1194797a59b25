output "file_system_id" {
  description = "ID of the file system in use (created here or attached)."
  value       = local.file_system_id
}

output "file_system_arn" {
  description = "ARN of the file system in use."
  value       = local.file_system_arn
}

output "created" {
  description = "true when this module created the file system, false when it attached an existing one."
  value       = local.create
}

output "access_point_id" {
  description = "ID of the access point the task mounts through."
  value       = aws_efs_access_point.this.id

  # The ECS task mounts at its first start: the mount targets (available only after a minute
  # or two) and the NFS rule from the task's security group must exist before the service
  # starts it, or the launch fails and the circuit breaker counts it.
  depends_on = [aws_efs_mount_target.this, aws_vpc_security_group_ingress_rule.nfs_from_task]
}

output "access_point_arn" {
  description = "ARN of the access point the task mounts through."
  value       = aws_efs_access_point.this.arn
}

output "root_directory" {
  description = "Root directory of the access point on the file system (the data directory)."
  value       = local.root_directory
}

output "security_group_id" {
  description = "ID of the mount targets' security group."
  value       = aws_security_group.efs.id
}

output "mount_target_ids" {
  description = "IDs of the mount targets, one per private subnet."
  value       = aws_efs_mount_target.this[*].id
}

output "kms_key_arn" {
  description = "ARN of the file system's KMS key (for an attached file system: existing_kms_key_arn, possibly null)."
  value       = local.create ? aws_kms_key.this.arn : var.existing_kms_key_arn
}

output "backup_kms_key_arn" {
  description = "ARN of the KMS key of the local backup vault."
  value       = try(aws_kms_key.backup[0].arn, null)
}

output "backup_vault_name" {
  description = "Name of the local AWS Backup vault (null when backup is off)."
  value       = try(aws_backup_vault.this[0].name, null)
}

output "backup_plan_id" {
  description = "ID of the AWS Backup plan (null when backup is off)."
  value       = try(aws_backup_plan.this[0].id, null)
}

output "replica_file_system_id" {
  description = "ID of the replica in the failover region (null when replication is off)."
  value       = try(aws_efs_replication_configuration.this[0].destination[0].file_system_id, null)
}

output "replication_enabled" {
  description = "Whether this module replicates the file system to the failover region."
  value       = local.replicate
}

output "dr_backup_vault_name" {
  description = "Name of the vault in the failover region receiving backup copies (null when copies are off)."
  value       = try(aws_backup_vault.dr[0].name, null)
}

output "dr_backup_vault_arn" {
  description = "ARN of the vault in the failover region receiving backup copies (null when copies are off)."
  value       = try(aws_backup_vault.dr[0].arn, null)
}

output "dr_kms_key_arn" {
  description = "ARN of the KMS key in the failover region (replica and copies; null when neither is on)."
  value       = try(aws_kms_key.dr[0].arn, null)
}

output "failover_region" {
  description = "Region receiving the replica and the backup copies."
  value       = var.failover_region
}

output "backup_role_arn" {
  description = "ARN of the AWS Backup service role."
  value       = aws_iam_role.backup.arn

  # A backup selection's role needs its policies before the first job.
  depends_on = [aws_iam_role_policy_attachment.backup]
}
