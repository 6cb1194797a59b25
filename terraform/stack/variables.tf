# ---------------------------------------------------------------- identity

variable "project" {
  type        = string
  description = "Project name: the first part of every resource name."
  default     = "chromactl"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,11}$", var.project))
    error_message = "project must be 2-12 lowercase letters, digits and dashes, starting with a letter."
  }
}

variable "env" {
  type        = string
  description = "Environment name (dev, staging, prod, ...)."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,9}$", var.env))
    error_message = "env must be 1-10 lowercase letters, digits and dashes, starting with a letter."
  }
}

variable "account_id" {
  type        = string
  description = "AWS account ID the stack is built in (ARNs are built from it; the env's provider refuses any other account)."

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be 12 digits."
  }
}

variable "region" {
  type        = string
  description = "AWS region of this stack (the primary, or the target of a failover rebuild)."

  validation {
    condition     = contains(local.aws_regions, var.region)
    error_message = "region ${jsonencode(var.region)} is not a known AWS region (for example us-east-1, eu-west-1)."
  }
}

variable "failover_region" {
  type        = string
  description = "Region that receives the EFS replica, the backup copies and the DR KMS key (the aws.failover provider's region)."

  validation {
    condition     = contains(local.aws_regions, var.failover_region)
    error_message = "failover_region ${jsonencode(var.failover_region)} is not a known AWS region (for example us-west-2)."
  }

  validation {
    condition     = var.failover_region != var.region
    error_message = "failover_region must differ from region."
  }
}

variable "tags" {
  type        = map(string)
  description = "Extra tags for every resource (the env's provider adds Project, Env and ManagedBy)."
  default     = {}
}

variable "permissions_boundary_arn" {
  type        = string
  description = "Permissions boundary applied to every IAM role of the stack (null: none)."
  default     = null
}

# ---------------------------------------------------------------- network

variable "vpc_cidr" {
  type        = string
  description = "IPv4 CIDR of the VPC, /16 to /22."
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && can(regex("/(1[6-9]|2[0-2])$", var.vpc_cidr))
    error_message = "vpc_cidr must be a valid IPv4 CIDR block with a prefix between /16 and /22 (for example 10.40.0.0/16)."
  }

  # The provider refuses a CIDR with host bits at plan (internal/service/ec2/vpc_security_group_ingress_rule.go:
  # cidr_ipv4 uses fwvalidators.IPv4CIDRNetworkAddress; internal/service/ec2/vpc_.go: cidr_block uses
  # verify.ValidIPv4CIDRNetworkAddress): cidrsubnet(c, 0, 0) is c exactly when no host bit is set.
  validation {
    condition     = try(cidrnetmask(var.vpc_cidr) != "" && cidrsubnet(var.vpc_cidr, 0, 0) == var.vpc_cidr, false)
    error_message = "vpc_cidr ${jsonencode(var.vpc_cidr)} must be an IPv4 network address, with no host bits set (for example 10.40.0.0/16)."
  }
}

variable "azs" {
  type        = list(string)
  description = "Availability zones of the region to use: 2 or 3 (listed in the env's tfvars, not looked up)."

  validation {
    condition     = length(var.azs) >= 2 && length(var.azs) <= 3 && length(distinct(var.azs)) == length(var.azs)
    error_message = "azs must list 2 or 3 distinct availability zones."
  }
}

variable "single_nat_gateway" {
  type        = bool
  description = "One shared NAT gateway (dev) instead of one per AZ."
  default     = false
}

variable "endpoint_service_azs" {
  type        = map(list(string))
  description = "AZs where an interface endpoint service is offered in this account, by service short name (overrides the lookup; see the vpc module)."
  default     = {}
}

variable "enable_vpc_endpoints" {
  type        = bool
  description = "Create the S3 gateway endpoint and the interface endpoints for what the stack calls: Logs, Secrets Manager and ELB (the rotation function), ECR when the image comes from ECR, SSM messages and KMS with ECS Exec."
  default     = true
}

# ---------------------------------------------------------------- ALB and auth

variable "internal_alb" {
  type        = bool
  description = "Internal ALB (clients inside the VPC or peered networks) instead of internet-facing."
  default     = false
}

variable "allowed_cidrs" {
  type        = list(string)
  description = "Client networks allowed to reach the ALB. Must not be empty when the ALB is internet-facing."
  default     = []

  validation {
    condition     = alltrue([for c in var.allowed_cidrs : can(cidrhost(c, 0))])
    error_message = "allowed_cidrs must hold valid IPv4 CIDR blocks such as 203.0.113.0/24."
  }

  # The provider refuses a CIDR with host bits at plan (internal/service/ec2/vpc_security_group_ingress_rule.go:
  # cidr_ipv4 uses fwvalidators.IPv4CIDRNetworkAddress; internal/service/ec2/vpc_.go: cidr_block uses
  # verify.ValidIPv4CIDRNetworkAddress): cidrsubnet(c, 0, 0) is c exactly when no host bit is set.
  validation {
    condition     = alltrue([for c in var.allowed_cidrs : try(cidrnetmask(c) != "" && cidrsubnet(c, 0, 0) == c, false)])
    error_message = "allowed_cidrs must hold IPv4 network addresses with no host bits set; not: ${join(", ", [for c in var.allowed_cidrs : c if !try(cidrnetmask(c) != "" && cidrsubnet(c, 0, 0) == c, false)])} (for example 198.51.100.0/24, or 198.51.100.7/32 for one address)."
  }

  validation {
    condition     = var.internal_alb || length(var.allowed_cidrs) > 0
    error_message = "allowed_cidrs must not be empty for an internet-facing ALB (internal_alb = false): list the client networks."
  }
}

variable "certificate_arn" {
  type        = string
  description = "ACM certificate ARN for the HTTPS listener, in this region."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[A-Za-z0-9-]+$", var.certificate_arn))
    error_message = "certificate_arn must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)."
  }
}

variable "ssl_policy" {
  type        = string
  description = "TLS 1.3 policy of the HTTPS listener (default: the hybrid post-quantum policy AWS recommends)."
  default     = "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"
}

variable "alb_deletion_protection" {
  type        = bool
  description = "ALB deletion protection (on for staging and prod)."
  default     = true
}

variable "waf_web_acl_arn" {
  type        = string
  description = "WAFv2 web ACL to associate with the ALB (null: none)."
  default     = null
}

variable "access_logs_retention_days" {
  type        = number
  description = "Days ALB access logs are kept."
  default     = 90
}

variable "force_destroy_logs" {
  type        = bool
  description = "Let destroy delete the access-log bucket with its objects (dev only)."
  default     = false
}

variable "domain_name" {
  type        = string
  description = "DNS name clients use (covered by the certificate); empty: the ALB's DNS name, with TLS verification off in the rotation test."
  default     = ""

  validation {
    condition     = var.domain_name == "" || can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,}$", var.domain_name))
    error_message = "domain_name must be a DNS name such as chroma.example.com, or empty."
  }
}

variable "dns_zone_id" {
  type        = string
  description = "Route 53 hosted zone for the alias record (empty: no record). A failover rebuild passes empty: the CLI moves DNS after its checks."
  default     = ""

  validation {
    condition     = var.dns_zone_id == "" || can(regex("^Z[A-Z0-9]{1,31}$", var.dns_zone_id))
    error_message = "dns_zone_id must be a Route 53 hosted zone ID (Z...), or empty."
  }
}

variable "dns_record_name" {
  type        = string
  description = "Fully qualified name of the alias record pointing at the ALB, also the endpoint's host (empty: no record)."
  default     = ""

  validation {
    condition     = var.dns_record_name == "" || can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,}\\.?$", var.dns_record_name))
    error_message = "dns_record_name must be a fully qualified DNS name such as chroma.example.com, or empty."
  }
}

variable "token_rotation_days" {
  type        = number
  description = "Days between automatic rotations of the ALB token."
  default     = 30

  validation {
    condition     = var.token_rotation_days >= 1 && var.token_rotation_days <= 1000 && floor(var.token_rotation_days) == var.token_rotation_days
    error_message = "token_rotation_days must be a whole number between 1 and 1000."
  }
}

variable "token_grace_period_minutes" {
  type        = number
  description = "Minutes the previous token stays accepted after a rotation finishes (0: refused at once), so long-running clients are not cut off mid-job."
  default     = 60

  validation {
    condition     = var.token_grace_period_minutes >= 0 && var.token_grace_period_minutes <= 10080 && floor(var.token_grace_period_minutes) == var.token_grace_period_minutes
    error_message = "token_grace_period_minutes must be a whole number between 0 and 10080 (7 days)."
  }
}

variable "token_maintenance_minutes" {
  type        = number
  description = "Minutes between the rotation function's reconcile runs (re-create missing token rules, end the grace period, flag a stuck rotation)."
  default     = 5

  validation {
    condition     = var.token_maintenance_minutes >= 1 && var.token_maintenance_minutes <= 60 && floor(var.token_maintenance_minutes) == var.token_maintenance_minutes
    error_message = "token_maintenance_minutes must be a whole number between 1 and 60."
  }
}

variable "token_stuck_after_minutes" {
  type        = number
  description = "Minutes a rotation may stay AWSPENDING before the stuck-rotation alarm fires."
  default     = 60

  validation {
    condition     = var.token_stuck_after_minutes >= 5 && var.token_stuck_after_minutes <= 10080 && floor(var.token_stuck_after_minutes) == var.token_stuck_after_minutes
    error_message = "token_stuck_after_minutes must be a whole number between 5 and 10080."
  }
}

variable "enable_auth_rule_read_guard" {
  type        = bool
  description = "Create a managed policy denying elasticloadbalancing:DescribeRules (which shows the token) to all but the rotation role and auth_rule_reader_arns."
  default     = false
}

variable "auth_rule_reader_arns" {
  type        = list(string)
  description = "Principal ARN patterns still allowed DescribeRules under the read guard: the roles that run Terraform and chromactl (the provider refreshes the heartbeat rule with it)."
  default     = []

  validation {
    condition     = alltrue([for a in var.auth_rule_reader_arns : can(regex("^arn:aws[a-z-]*:(iam|sts)::[0-9*]{12}:", a))])
    error_message = "auth_rule_reader_arns must hold IAM principal ARNs (patterns) such as arn:aws:iam::123456789012:role/operator."
  }
}

variable "token_recovery_window_days" {
  type        = number
  description = "Days a deleted token secret can be restored (0 deletes at once; 7-30 otherwise)."
  default     = 7

  validation {
    condition     = var.token_recovery_window_days == 0 || (var.token_recovery_window_days >= 7 && var.token_recovery_window_days <= 30)
    error_message = "token_recovery_window_days must be 0 or between 7 and 30."
  }
}

variable "rotation_lambda_zip" {
  type        = string
  description = "Path of the token-rotation function's zip (built by the project: build/token-rotation.zip)."

  validation {
    condition     = endswith(var.rotation_lambda_zip, ".zip")
    error_message = "rotation_lambda_zip must be the path of a .zip file."
  }
}

# ---------------------------------------------------------------- compute

variable "image" {
  type        = string
  description = "Chroma image as its upstream reference, pinned by tag AND digest (repo:tag@sha256:...): the tag says which release, the digest makes it immutable. `{region}` stands for the stack's region (a mirror replicated per region)."
  default     = "chromadb/chroma:1.5.9@sha256:1e0b73a187a28757c572acba508c46f48c9e8b0acaf5c20e6d95cdedce1acdf6"

  validation {
    condition     = can(regex("^[^\\s@]+:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}@sha256:[a-f0-9]{64}$", var.image)) && !can(regex(":latest@", var.image))
    error_message = "image must be pinned by tag and digest, as repo:tag@sha256:<64 hex> (the tag not latest), for example chromadb/chroma:1.5.9@sha256:1e0b73a1...: get the digest with `docker buildx imagetools inspect chromadb/chroma:1.5.9`."
  }
}

variable "image_pull_through_cache" {
  type = object({
    upstream               = string
    credential_secret_name = optional(string)
  })
  description = "Pull the image through an ECR pull-through cache rule of this stack (upstream: dockerhub, ghcr, quay or ecrpublic; dockerhub and ghcr need credential_secret_name, a Secrets Manager secret named ecr-pullthroughcache/... in each region the env runs in). null: pull from image as written (its registry, or a mirrored ECR repository)."
  default     = null

  validation {
    condition     = var.image_pull_through_cache == null || contains(["dockerhub", "ghcr", "quay", "ecrpublic"], try(var.image_pull_through_cache.upstream, ""))
    error_message = "image_pull_through_cache.upstream must be dockerhub, ghcr, quay or ecrpublic."
  }

  # ECR: upstream registries that require authentication (Docker Hub, GitHub Container Registry) take a
  # secret whose name starts with ecr-pullthroughcache/ (pull-through-cache-creating-secret.html).
  validation {
    condition = var.image_pull_through_cache == null || (
      try(var.image_pull_through_cache.credential_secret_name, null) == null ? !contains(["dockerhub", "ghcr"], try(var.image_pull_through_cache.upstream, "")) :
      startswith(try(var.image_pull_through_cache.credential_secret_name, ""), "ecr-pullthroughcache/")
    )
    error_message = "image_pull_through_cache: dockerhub and ghcr need credential_secret_name, and its name must start with ecr-pullthroughcache/."
  }
}

variable "ecr_repository_arns" {
  type        = list(string)
  description = "ECR repositories the task may pull from, when the image is mirrored to ECR."
  default     = []
}

variable "task_cpu" {
  type        = number
  description = "Fargate task CPU units."
  default     = 2048
}

variable "task_memory" {
  type        = number
  description = "Fargate task memory in MiB (a valid pair with task_cpu, large enough for the declared vectors)."
  default     = 8192
}

variable "cpu_architecture" {
  type        = string
  description = "X86_64 or ARM64."
  default     = "X86_64"
}

variable "expected_vectors" {
  type        = number
  description = "Vectors the env is sized for (capacity check)."
  default     = 100000
}

variable "vector_dimensions" {
  type        = number
  description = "Embedding dimensions (capacity check)."
  default     = 1536
}

variable "health_check_grace_period_seconds" {
  type        = number
  description = "Seconds ECS ignores failing health checks after a task starts; null sizes it from expected_vectors and vector_dimensions (ecs module README)."
  default     = null
}

variable "enable_execute_command" {
  type        = bool
  description = "Enable ECS Exec into the Chroma task (sessions encrypted and logged)."
  default     = false
}

variable "wait_for_steady_state" {
  type        = bool
  description = "Apply waits until the service is stable, so the first token rotation tests a running server."
  default     = true
}

# ---------------------------------------------------------------- storage and DR

variable "posix_uid" {
  type        = number
  description = "POSIX user of the access point and the container."
  default     = 1000
}

variable "posix_gid" {
  type        = number
  description = "POSIX group of the access point and the container."
  default     = 1000
}

variable "root_directory" {
  type        = string
  description = "Data directory on a new file system."
  default     = "/chroma"
}

variable "existing_file_system_id" {
  type        = string
  description = "Failover: attach this file system (promoted replica or restore) instead of creating one."
  default     = null
}

variable "existing_root_directory" {
  type        = string
  description = "Failover: data directory on the attached file system (/chroma for a replica, /aws-backup-restore_<time>/chroma for a restore)."
  default     = null
}

variable "existing_kms_key_arn" {
  type        = string
  description = "Failover: KMS key of the attached file system (reported only)."
  default     = null
}

variable "efs_break_glass_role_arns" {
  type        = list(string)
  description = "IAM roles allowed to mount the data besides the task role (repairs; through the access point, over TLS). Empty: none."
  default     = []
}

variable "enable_backup" {
  type        = bool
  description = "EFS backup policy and the AWS Backup plan."
  default     = true
}

variable "backup_schedule" {
  type        = string
  description = "Cron schedule (UTC) of the daily backup."
  default     = "cron(0 3 * * ? *)"
}

variable "backup_retention_days" {
  type        = number
  description = "Days recovery points are kept locally."
  default     = 35
}

variable "backup_copy_retention_days" {
  type        = number
  description = "Days copied recovery points are kept in the failover region."
  default     = 35
}

variable "backup_vault_lock_mode" {
  type        = string
  description = "AWS Backup Vault Lock on the backup vaults: none, governance or compliance (immutable once backup_vault_lock_changeable_days have passed)."
  default     = "none"
}

variable "backup_vault_lock_changeable_days" {
  type        = number
  description = "Compliance lock: days it can still be removed after the first apply (at least 3)."
  default     = 3
}

variable "protect_data" {
  type        = bool
  description = "Protected env: a plan that would destroy or replace the file system or its KMS keys fails."
  default     = true
}

variable "enable_replication" {
  type        = bool
  description = "Replicate the file system to the failover region (only with enable_cross_region_dr)."
  default     = false
}

variable "enable_backup_copy" {
  type        = bool
  description = "Copy recovery points to a vault in the failover region (only with enable_cross_region_dr)."
  default     = false
}

variable "enable_cross_region_dr" {
  type        = bool
  description = "Master switch for replication and backup copies; a failover rebuild passes false (nothing flows back to the lost region)."
  default     = true
}

# ---------------------------------------------------------------- observability

variable "log_retention_days" {
  type        = number
  description = "Retention of the stack's log groups in days (a CloudWatch allowed value)."
  default     = 90
}

variable "flow_logs_retention_days" {
  type        = number
  description = "Retention of the VPC flow logs in days (a CloudWatch allowed value; usually shorter than log_retention_days)."
  default     = 30
}

variable "flow_logs_max_aggregation_interval" {
  type        = number
  description = "Aggregation interval of the VPC flow logs in seconds: 60 or 600."
  default     = 600
}

variable "alarm_emails" {
  type        = list(string)
  description = "E-mail addresses subscribed to the alarm topic."
  default     = []
}

variable "latency_p95_slo_ms" {
  type        = number
  description = "p95 latency SLO in ms (from chromactl.toml [slo] p95_ms): alarm threshold on Chromactl/LatencyP95."
  default     = 500
}

variable "rpo_minutes" {
  type        = number
  description = "RPO target in minutes: replication lag alarm threshold."
  default     = 15
}
