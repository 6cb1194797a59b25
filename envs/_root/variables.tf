# Set by chromactl on every run (-var).

variable "region" {
  type        = string
  description = "Region to build the stack in (chromactl: the primary, or the failover target)."

  validation {
    condition     = contains(keys(var.azs_by_region), var.region) && contains(keys(var.certificate_arns), var.region)
    error_message = "region ${jsonencode(var.region)} is not configured for this env: add it to azs_by_region and certificate_arns in terraform.tfvars."
  }
}

variable "failover_region" {
  type        = string
  description = "Region of the DR copies (replica, backup copies, DR key)."
}

variable "existing_file_system_id" {
  type        = string
  description = "Failover rebuild: the promoted replica or restored file system to attach (null: create one)."
  default     = null
}

variable "existing_root_directory" {
  type        = string
  description = "Failover rebuild: the data directory on the attached file system."
  default     = null
}

variable "existing_kms_key_arn" {
  type        = string
  description = "Failover rebuild: KMS key of the attached file system (reported only)."
  default     = null
}

variable "enable_cross_region_dr" {
  type        = bool
  description = "Replication and backup copies to the failover region; false in a failover rebuild."
  default     = true
}

# Set in terraform.tfvars.

variable "env" {
  type        = string
  description = "Environment name."
}

variable "account_id" {
  type        = string
  description = "AWS account of this env; the providers refuse any other (equal to chromactl.toml [env] account_id: chromactl doctor checks)."

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be 12 digits."
  }
}

variable "vpc_cidr" {
  type        = string
  description = "VPC CIDR."
}

variable "azs_by_region" {
  type        = map(list(string))
  description = "Availability zones to use, per region this env may be built in (primary and failover targets)."

  validation {
    condition     = alltrue([for r, azs in var.azs_by_region : alltrue([for az in azs : startswith(az, r)])])
    error_message = "every availability zone listed under a region must belong to it."
  }
}

variable "single_nat_gateway" {
  type        = bool
  description = "One shared NAT gateway instead of one per AZ."
}

variable "enable_vpc_endpoints" {
  type        = bool
  description = "Create the VPC endpoints."
  default     = true
}

variable "internal_alb" {
  type        = bool
  description = "Internal ALB instead of internet-facing."
  default     = false
}

variable "allowed_cidrs" {
  type        = list(string)
  description = "Client networks allowed to reach the ALB."
}

variable "certificate_arns" {
  type        = map(string)
  description = "ACM certificate ARN per region this env may be built in."
}

variable "alb_deletion_protection" {
  type        = bool
  description = "ALB deletion protection."
}

variable "waf_web_acl_arn" {
  type        = string
  description = "WAFv2 web ACL for the ALB (null: none)."
  default     = null
}

variable "access_logs_retention_days" {
  type        = number
  description = "Days ALB access logs are kept."
  default     = 90
}

variable "force_destroy_logs" {
  type        = bool
  description = "Let destroy empty the access-log bucket."
  default     = false
}

variable "domain_name" {
  type        = string
  description = "DNS name clients use (empty: the ALB's name)."
  default     = ""
}

variable "dns_zone_id" {
  type        = string
  description = "Route 53 zone for the alias record (empty: none)."
  default     = ""
}

variable "dns_record_name" {
  type        = string
  description = "Alias record name (empty: none)."
  default     = ""
}

variable "token_rotation_days" {
  type        = number
  description = "Days between token rotations."
  default     = 30
}

variable "token_recovery_window_days" {
  type        = number
  description = "Recovery window of a deleted token secret (0 or 7-30)."
  default     = 7
}

variable "token_grace_period_minutes" {
  type        = number
  description = "Minutes the previous token stays accepted after a rotation (0: none)."
  default     = 60
}

variable "enable_auth_rule_read_guard" {
  type        = bool
  description = "Create the managed policy that denies DescribeRules (it shows the token) to all but the rotation role and auth_rule_reader_arns."
  default     = false
}

variable "auth_rule_reader_arns" {
  type        = list(string)
  description = "Principal ARN patterns allowed DescribeRules under the read guard (the Terraform and chromactl roles)."
  default     = []
}

variable "image" {
  type        = string
  description = "Chroma image, pinned by tag and digest (repo:tag@sha256:...)."
  default     = "chromadb/chroma:1.5.9@sha256:1e0b73a187a28757c572acba508c46f48c9e8b0acaf5c20e6d95cdedce1acdf6"
}

variable "image_pull_through_cache" {
  type = object({
    upstream               = string
    credential_secret_name = optional(string)
  })
  description = "Pull the image through an ECR pull-through cache rule (null: from the image's registry)."
  default     = null
}

variable "endpoint_service_azs" {
  type        = map(list(string))
  description = "AZs where an interface endpoint service is offered, by service (overrides the lookup)."
  default     = {}
}

variable "task_cpu" {
  type        = number
  description = "Fargate CPU units."
}

variable "task_memory" {
  type        = number
  description = "Fargate memory (MiB)."
}

variable "expected_vectors" {
  type        = number
  description = "Vectors this env is sized for."
}

variable "vector_dimensions" {
  type        = number
  description = "Embedding dimensions."
}

variable "health_check_grace_period_seconds" {
  type        = number
  description = "Health-check grace after a task starts (s); null sizes it from the expected vectors."
  default     = null
}

variable "enable_execute_command" {
  type        = bool
  description = "ECS Exec into the task."
  default     = false
}

variable "efs_break_glass_role_arns" {
  type        = list(string)
  description = "IAM roles allowed to mount the data besides the task (repairs)."
  default     = []
}

variable "backup_retention_days" {
  type        = number
  description = "Days recovery points are kept locally."
}

variable "backup_copy_retention_days" {
  type        = number
  description = "Days copies are kept in the failover region."
  default     = 35
}

variable "backup_vault_lock_mode" {
  type        = string
  description = "Vault Lock on the backup vaults: none, governance or compliance."
  default     = "none"
}

variable "backup_vault_lock_changeable_days" {
  type        = number
  description = "Compliance lock: days it stays removable after it is set."
  default     = 3
}

variable "protect_data" {
  type        = bool
  description = "Fail any plan that would destroy or replace the file system or its keys."
  default     = true
}

variable "enable_replication" {
  type        = bool
  description = "EFS replication to the failover region."
}

variable "enable_backup_copy" {
  type        = bool
  description = "Backup copies to the failover region."
}

variable "log_retention_days" {
  type        = number
  description = "Log retention in days."
}

variable "flow_logs_retention_days" {
  type        = number
  description = "VPC flow log retention in days."
  default     = 30
}

variable "flow_logs_max_aggregation_interval" {
  type        = number
  description = "VPC flow log aggregation interval in seconds (60 or 600)."
  default     = 600
}

variable "alarm_emails" {
  type        = list(string)
  description = "Alarm e-mail subscribers."
  default     = []
}

variable "latency_p95_slo_ms" {
  type        = number
  description = "p95 SLO in ms (equal to chromactl.toml [slo] p95_ms: chromactl doctor checks)."
}

variable "rpo_minutes" {
  type        = number
  description = "RPO in minutes (equal to chromactl.toml [slo] rpo_minutes: chromactl doctor checks)."
  default     = 15
}

variable "permissions_boundary_arn" {
  type        = string
  description = "Permissions boundary for every role (null: none)."
  default     = null
}
