locals {
  create     = var.existing_file_system_id == null
  arn_prefix = "arn:${var.partition}"

  replicate   = local.create && var.enable_replication
  backup_copy = var.enable_backup && var.enable_backup_copy
  need_dr_key = local.replicate || local.backup_copy

  file_system_id  = local.create ? aws_efs_file_system.this[0].id : var.existing_file_system_id
  file_system_arn = "${local.arn_prefix}:elasticfilesystem:${var.region}:${var.account_id}:file-system/${local.file_system_id}"
  root_directory  = local.create ? var.root_directory : var.existing_root_directory

  client_actions   = ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite", "elasticfilesystem:ClientRootAccess"]
  mount_principals = concat([var.task_role_arn], var.break_glass_role_arns)

  # Regional names in the failover region carry the source region, so a later
  # rebuild of this env in that region (same name) never collides with them.
  dr_name = "${var.name}-dr-from-${var.region}"

  key_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdministration"
        Effect    = "Allow"
        Principal = { AWS = "${local.arn_prefix}:iam::${var.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
    ]
  }
}

# ---------------------------------------------------------------- encryption

# Encrypts a new file system. The recovery points have keys of their own (below): a data key that is
# disabled or scheduled for deletion must not take the backups with it.
resource "aws_kms_key" "this" {
  description             = "${var.name}: EFS data"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = jsonencode(local.key_policy)

  tags = var.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}-efs"
  target_key_id = aws_kms_key.this.key_id
}

# The backup vaults' keys. EFS is a resource type fully managed by AWS Backup, so its recovery points are
# encrypted with the vault's key, independent of the file system's
# (https://docs.aws.amazon.com/aws-backup/latest/devguide/encryption.html).
resource "aws_kms_key" "backup" {
  count = var.enable_backup ? 1 : 0

  description             = "${var.name}: AWS Backup recovery points"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = jsonencode(local.key_policy)

  tags = var.tags
}

resource "aws_kms_alias" "backup" {
  count = var.enable_backup ? 1 : 0

  name          = "alias/${var.name}-backup"
  target_key_id = aws_kms_key.backup[0].key_id
}

resource "aws_kms_key" "dr_backup" {
  count    = local.backup_copy ? 1 : 0
  provider = aws.failover

  description             = "${var.name}: AWS Backup copies from ${var.region}"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = jsonencode(local.key_policy)

  tags = var.tags
}

resource "aws_kms_alias" "dr_backup" {
  count    = local.backup_copy ? 1 : 0
  provider = aws.failover

  name          = "alias/${local.dr_name}-backup"
  target_key_id = aws_kms_key.dr_backup[0].key_id
}

# The failover region's data key: encrypts the replica, and the file system a backup is restored
# into there during a failover.
resource "aws_kms_key" "dr" {
  count    = local.need_dr_key ? 1 : 0
  provider = aws.failover

  description             = "${var.name}: EFS replica and restores from ${var.region}"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = jsonencode(local.key_policy)

  tags = var.tags
}

resource "aws_kms_alias" "dr" {
  count    = local.need_dr_key ? 1 : 0
  provider = aws.failover

  name          = "alias/${local.dr_name}"
  target_key_id = aws_kms_key.dr[0].key_id
}

# ---------------------------------------------------------------- file system

resource "aws_efs_file_system" "this" {
  count = local.create ? 1 : 0

  creation_token   = var.name
  encrypted        = true
  kms_key_id       = aws_kms_key.this.arn
  performance_mode = "generalPurpose"
  throughput_mode  = "elastic"

  tags = merge(var.tags, { Name = var.name })
}

resource "aws_security_group" "efs" {
  name        = "${var.name}-efs"
  description = "EFS mount targets: NFS from the ChromaDB task only"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-efs" })
}

resource "aws_vpc_security_group_ingress_rule" "nfs_from_task" {
  security_group_id            = aws_security_group.efs.id
  description                  = "NFS (TLS via the EFS mount helper) from the ChromaDB task"
  ip_protocol                  = "tcp"
  from_port                    = 2049
  to_port                      = 2049
  referenced_security_group_id = var.task_security_group_id
}

resource "aws_efs_mount_target" "this" {
  count = length(var.subnet_ids)

  file_system_id  = local.file_system_id
  subnet_id       = var.subnet_ids[count.index]
  security_groups = [aws_security_group.efs.id]
}

resource "aws_efs_access_point" "this" {
  file_system_id = local.file_system_id

  posix_user {
    uid = var.posix_uid
    gid = var.posix_gid
  }

  root_directory {
    path = local.root_directory

    creation_info {
      owner_uid   = var.posix_uid
      owner_gid   = var.posix_gid
      permissions = var.root_permissions
    }
  }

  tags = merge(var.tags, { Name = "${var.name}-chroma" })
}

# In the same account an identity policy alone is enough to mount: any role granted
# elasticfilesystem:Client* could (https://docs.aws.amazon.com/efs/latest/ug/iam-access-control-nfs-efs.html).
# So the policy denies every NFS client action to every principal but the task role and the documented
# break-glass roles (aws:PrincipalArn is the role's ARN for its sessions), denies any mount that does not
# go through the access point, and denies plain NFS. Backups and replication use no Client* action.
resource "aws_efs_file_system_policy" "this" {
  file_system_id = local.file_system_id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = { AWS = "*" }
        Action    = "*"
        Resource  = local.file_system_arn
        Condition = {
          Bool = { "aws:SecureTransport" = "false" }
        }
      },
      {
        Sid       = "DenyClientsButTheTaskAndBreakGlassRoles"
        Effect    = "Deny"
        Principal = { AWS = "*" }
        Action    = local.client_actions
        Resource  = local.file_system_arn
        Condition = {
          ArnNotEquals = { "aws:PrincipalArn" = local.mount_principals }
        }
      },
      {
        Sid       = "DenyMountsBypassingTheAccessPoint"
        Effect    = "Deny"
        Principal = { AWS = "*" }
        Action    = local.client_actions
        Resource  = local.file_system_arn
        Condition = {
          StringNotEquals = { "elasticfilesystem:AccessPointArn" = aws_efs_access_point.this.arn }
        }
      },
      {
        Sid       = "TaskMountsThroughAccessPoint"
        Effect    = "Allow"
        Principal = { AWS = local.mount_principals }
        Action    = ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
        Resource  = local.file_system_arn
        Condition = {
          StringEquals = { "elasticfilesystem:AccessPointArn" = aws_efs_access_point.this.arn }
          Bool         = { "elasticfilesystem:AccessedViaMountTarget" = "true" }
        }
      },
    ]
  })
}

# ---------------------------------------------------------------- protection

# prevent_destroy takes no variable, so a protected env gets a guard that carries it. The guard is
# replaced whenever the file system or one of its keys would be replaced or removed (triggers_replace
# changes) and destroyed with the stack; either fails the plan ("Instance cannot be destroyed").
resource "terraform_data" "protect" {
  count = var.prevent_destroy ? 1 : 0

  triggers_replace = [
    local.file_system_id,
    aws_kms_key.this.arn,
    try(aws_kms_key.backup[0].arn, ""),
    try(aws_kms_key.dr[0].arn, ""),
    try(aws_kms_key.dr_backup[0].arn, ""),
  ]

  lifecycle {
    prevent_destroy = true
  }
}

# ---------------------------------------------------------------- replication

resource "aws_efs_replication_configuration" "this" {
  count = local.replicate ? 1 : 0

  source_file_system_id = aws_efs_file_system.this[0].id

  destination {
    region     = var.failover_region
    kms_key_id = aws_kms_key.dr[0].arn
  }
}

# ---------------------------------------------------------------- backup

# One backup plan: ours (below). ENABLED here would turn on EFS automatic backups as well, a second
# daily AWS Backup plan into aws/efs/automatic-backup-vault with the AWS managed key and no copy to the
# failover region (https://docs.aws.amazon.com/efs/latest/ug/automatic-backups.html; botocore efs model,
# BackupPolicy.Status). DISABLED is stated, not left to the default, so an attached file system (a
# restored one, or a promoted replica) does not keep automatic backups either.
resource "aws_efs_backup_policy" "this" {
  file_system_id = local.file_system_id

  backup_policy {
    status = "DISABLED"
  }
}

resource "aws_backup_vault" "this" {
  count = var.enable_backup ? 1 : 0

  name        = var.name
  kms_key_arn = aws_kms_key.backup[0].arn

  tags = var.tags
}

# Vault Lock (https://docs.aws.amazon.com/aws-backup/latest/devguide/vault-lock.html): governance mode can
# be removed by a principal allowed backup:DeleteBackupVaultLockConfiguration; compliance mode becomes
# immutable once changeable_for_days (at least 3) have passed. The minimum retention is the plan's, so
# no recovery point can be deleted or shortened before it.
resource "aws_backup_vault_lock_configuration" "this" {
  count = var.enable_backup && var.backup_vault_lock_mode != "none" ? 1 : 0

  backup_vault_name   = aws_backup_vault.this[0].name
  min_retention_days  = var.backup_retention_days
  changeable_for_days = var.backup_vault_lock_mode == "compliance" ? var.backup_vault_lock_changeable_days : null
}

resource "aws_backup_vault_lock_configuration" "dr" {
  count    = local.backup_copy && var.backup_vault_lock_mode != "none" ? 1 : 0
  provider = aws.failover

  backup_vault_name   = aws_backup_vault.dr[0].name
  min_retention_days  = var.backup_copy_retention_days
  changeable_for_days = var.backup_vault_lock_mode == "compliance" ? var.backup_vault_lock_changeable_days : null
}

resource "aws_backup_vault" "dr" {
  count    = local.backup_copy ? 1 : 0
  provider = aws.failover

  name        = local.dr_name
  kms_key_arn = aws_kms_key.dr_backup[0].arn

  tags = var.tags
}

resource "aws_backup_plan" "this" {
  count = var.enable_backup ? 1 : 0

  name = var.name

  rule {
    rule_name         = "daily"
    target_vault_name = aws_backup_vault.this[0].name
    schedule          = var.backup_schedule
    start_window      = 60
    completion_window = 360

    lifecycle {
      delete_after = var.backup_retention_days
    }

    dynamic "copy_action" {
      for_each = local.backup_copy ? [1] : []

      content {
        destination_vault_arn = aws_backup_vault.dr[0].arn

        lifecycle {
          delete_after = var.backup_copy_retention_days
        }
      }
    }

    recovery_point_tags = merge(var.tags, { SourceRegion = var.region })
  }

  tags = var.tags
}

resource "aws_backup_selection" "this" {
  count = var.enable_backup ? 1 : 0

  name         = "${var.name}-efs"
  plan_id      = aws_backup_plan.this[0].id
  iam_role_arn = aws_iam_role.backup.arn
  resources    = [local.create ? aws_efs_file_system.this[0].arn : local.file_system_arn]

  # A backup selection's role needs its policies before the first job.
  depends_on = [aws_iam_role_policy_attachment.backup]
}
