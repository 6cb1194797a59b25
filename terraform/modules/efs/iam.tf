# The AWS Backup service role of the backup selection (and of chromactl's restores: stack output
# backup_role_arn). It was terraform/modules/iam until issue 15: each module owns its roles;
# terraform/stack/moved.tf carries the old addresses over. Created whether or not enable_backup is on, as
# before, so that a restore (failover) always has a role and no state changes with the flag.

# ---------------------------------------------------------------- AWS Backup

resource "aws_iam_role" "backup" {
  name        = "${var.iam_name}-backup"
  description = "AWS Backup backs up and restores the ChromaDB file system"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "backup.${var.partition == "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com"}" }
      Action    = "sts:AssumeRole"
    }]
  })
  permissions_boundary = var.permissions_boundary_arn

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "backup" {
  for_each = toset(["AWSBackupServiceRolePolicyForBackup", "AWSBackupServiceRolePolicyForRestores"])

  role       = aws_iam_role.backup.name
  policy_arn = "${local.arn_prefix}:iam::aws:policy/service-role/${each.key}"
}
