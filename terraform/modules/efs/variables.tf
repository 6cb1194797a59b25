variable "name" {
  type        = string
  description = "Name prefix of the module's resources (for example chromactl-prod)."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name must be 2-31 characters of lowercase letters, digits and dashes, starting with a letter."
  }
}

variable "region" {
  type        = string
  description = "AWS region of the file system (the default provider's region). The stack checks it against its region list (terraform/stack/regions.tf); this module trusts it."
}

variable "failover_region" {
  type        = string
  description = "Region of the aws.failover provider: destination of replication and backup copies. The stack checks it against its region list (terraform/stack/regions.tf); this module trusts it."

  validation {
    condition     = var.failover_region != var.region
    error_message = "failover_region must differ from region."
  }
}

variable "account_id" {
  type        = string
  description = "AWS account ID that owns the file system."

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be 12 digits."
  }
}

variable "partition" {
  type        = string
  description = "AWS partition (aws, aws-us-gov or aws-cn) for ARNs."
  default     = "aws"

  validation {
    condition     = contains(["aws", "aws-us-gov", "aws-cn"], var.partition)
    error_message = "partition must be aws, aws-us-gov or aws-cn."
  }
}

variable "vpc_id" {
  type        = string
  description = "VPC of the mount targets."
}

variable "subnet_ids" {
  type        = list(string)
  description = "Private subnets: one mount target in each."

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids must list at least 2 subnets (a mount target per AZ)."
  }
}

variable "task_security_group_id" {
  type        = string
  description = "Security group of the ChromaDB task: the only source allowed to reach NFS (2049)."
}

variable "task_role_arn" {
  type        = string
  description = "ARN of the task role: the only principal the file system policy lets mount and write, through the access point."
}

variable "break_glass_role_arns" {
  type        = list(string)
  description = "IAM roles besides the task role allowed to mount the file system (through the access point, over TLS) for repairs; every other principal is denied. Empty: the task role only."
  default     = []

  validation {
    condition     = alltrue([for a in var.break_glass_role_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", a))])
    error_message = "break_glass_role_arns must hold IAM role ARNs (arn:aws:iam::<account>:role/<name>)."
  }
}

variable "iam_name" {
  type        = string
  description = "Name prefix of the AWS Backup role (<iam_name>-backup). IAM is global, so it must be unique per (env, region), for example chromactl-prod-us-east-1."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,45}$", var.iam_name))
    error_message = "iam_name must be 2-46 characters of lowercase letters, digits and dashes, starting with a letter."
  }
}

variable "permissions_boundary_arn" {
  type        = string
  description = "ARN of a permissions boundary policy applied to the module's role (null: none)."
  default     = null

  validation {
    condition     = var.permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:policy/.+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be an IAM policy ARN or null."
  }
}

variable "posix_uid" {
  type        = number
  description = "POSIX user ID the access point enforces for every file operation (not 0: no root)."
  default     = 1000

  validation {
    condition     = var.posix_uid > 0 && var.posix_uid < 4294967295 && floor(var.posix_uid) == var.posix_uid
    error_message = "posix_uid must be a whole number above 0 (root is not allowed)."
  }
}

variable "posix_gid" {
  type        = number
  description = "POSIX group ID the access point enforces (not 0)."
  default     = 1000

  validation {
    condition     = var.posix_gid > 0 && var.posix_gid < 4294967295 && floor(var.posix_gid) == var.posix_gid
    error_message = "posix_gid must be a whole number above 0 (root group is not allowed)."
  }
}

variable "root_directory" {
  type        = string
  description = "Root directory of the access point on a new file system; created with the POSIX owner on first mount."
  default     = "/chroma"

  # EFS's own rule for an access point path (botocore efs model, shape Path: max 100, pattern
  # ^(\/|(\/(?!\.)+[^$#<>;`|&?{}^*/\n]+){1,4})$): "/" or 1 to 4 components, none starting with a dot,
  # none holding $#<>;`|&?{}^* or a newline, and no trailing slash. RE2 has no lookahead, so the
  # leading-dot rule is checked per component.
  validation {
    condition     = var.root_directory == "/" || (length(var.root_directory) <= 100 && can(regex("^(/[^/$#<>;`|&?{}^*\n]+){1,4}$", var.root_directory)) && !anytrue([for c in split("/", var.root_directory) : startswith(c, ".")]))
    error_message = "root_directory ${jsonencode(var.root_directory)} must be an absolute path EFS accepts for an access point: at most 4 components and 100 characters, no trailing slash, no component starting with a dot, none of $#<>;`|&?{}^*."
  }
}

variable "root_permissions" {
  type        = string
  description = "Octal permissions of the root directory when the access point creates it."
  default     = "0750"

  validation {
    condition     = can(regex("^0?[0-7]{3}$", var.root_permissions))
    error_message = "root_permissions must be an octal mode such as 0750."
  }
}

variable "existing_file_system_id" {
  type        = string
  description = "Attach this file system instead of creating one (a promoted replica or a restored file system during failover). null: create."
  default     = null

  validation {
    condition     = var.existing_file_system_id == null || can(regex("^fs-[0-9a-f]{8,40}$", var.existing_file_system_id))
    error_message = "existing_file_system_id must look like fs-0123456789abcdef0."
  }
}

variable "existing_root_directory" {
  type        = string
  description = "Root directory of the data on the attached file system (for a backup restore: /aws-backup-restore_<time>/chroma). Required with existing_file_system_id."
  default     = null

  # EFS's own rule for an access point path (botocore efs model, shape Path: max 100, pattern
  # ^(\/|(\/(?!\.)+[^$#<>;`|&?{}^*/\n]+){1,4})$): "/" or 1 to 4 components, none starting with a dot,
  # none holding $#<>;`|&?{}^* or a newline, and no trailing slash. RE2 has no lookahead, so the
  # leading-dot rule is checked per component.
  validation {
    condition     = var.existing_root_directory == null || try(var.existing_root_directory == "/" || (length(var.existing_root_directory) <= 100 && can(regex("^(/[^/$#<>;`|&?{}^*\n]+){1,4}$", var.existing_root_directory)) && !anytrue([for c in split("/", var.existing_root_directory) : startswith(c, ".")])), false)
    error_message = "existing_root_directory ${jsonencode(coalesce(var.existing_root_directory, "null"))} must be an absolute path EFS accepts for an access point: at most 4 components and 100 characters, no trailing slash, no component starting with a dot, none of $#<>;`|&?{}^*."
  }

  validation {
    condition     = (var.existing_root_directory == null) == (var.existing_file_system_id == null)
    error_message = "existing_file_system_id and existing_root_directory are set together (attach) or both left null (create)."
  }
}

variable "existing_kms_key_arn" {
  type        = string
  description = "ARN of the KMS key of the attached file system (reported in outputs only). null when creating or unknown."
  default     = null

  validation {
    condition     = var.existing_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:", var.existing_kms_key_arn))
    error_message = "existing_kms_key_arn must be a KMS key ARN."
  }
}

variable "enable_backup" {
  type        = bool
  description = "Enable the file system's backup policy and the AWS Backup plan, vault and selection."
  default     = true
}

variable "backup_schedule" {
  type        = string
  description = "Schedule of the daily AWS Backup rule (cron expression, UTC)."
  default     = "cron(0 3 * * ? *)"

  validation {
    condition     = can(regex("^cron\\(.+\\)$", var.backup_schedule))
    error_message = "backup_schedule must be a cron(...) expression."
  }
}

variable "backup_retention_days" {
  type        = number
  description = "Days a recovery point is kept in the local vault."
  default     = 35

  validation {
    condition     = var.backup_retention_days >= 1 && var.backup_retention_days <= 36500
    error_message = "backup_retention_days must be between 1 and 36500."
  }
}

variable "enable_backup_copy" {
  type        = bool
  description = "Copy every recovery point to a vault in the failover region (encrypted with a KMS key there)."
  default     = false
}

variable "backup_copy_retention_days" {
  type        = number
  description = "Days a copied recovery point is kept in the failover region's vault."
  default     = 35

  validation {
    condition     = var.backup_copy_retention_days >= 1 && var.backup_copy_retention_days <= 36500
    error_message = "backup_copy_retention_days must be between 1 and 36500."
  }
}

variable "backup_vault_lock_mode" {
  type        = string
  description = "AWS Backup Vault Lock on the vaults: none, governance (removable by a privileged principal) or compliance (immutable after backup_vault_lock_changeable_days)."
  default     = "none"

  validation {
    condition     = contains(["none", "governance", "compliance"], var.backup_vault_lock_mode)
    error_message = "backup_vault_lock_mode must be none, governance or compliance."
  }
}

variable "backup_vault_lock_changeable_days" {
  type        = number
  description = "Compliance mode: days the lock can still be changed or removed after it is set (AWS Backup's minimum is 3)."
  default     = 3

  validation {
    condition     = var.backup_vault_lock_changeable_days >= 3 && var.backup_vault_lock_changeable_days <= 36500 && floor(var.backup_vault_lock_changeable_days) == var.backup_vault_lock_changeable_days
    error_message = "backup_vault_lock_changeable_days must be a whole number of days, at least 3."
  }
}

variable "prevent_destroy" {
  type        = bool
  description = "Protected env: any plan that would destroy or replace the file system or its keys fails (a prevent_destroy guard)."
  default     = false
}

variable "enable_replication" {
  type        = bool
  description = "Replicate the new file system to the failover region (EFS replication, RPO about 15 minutes). Ignored when attaching an existing file system."
  default     = false
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource of the module."
  default     = {}
}
