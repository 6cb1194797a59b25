variable "name" {
  type        = string
  description = "Name of the cluster, service and task family (for example chromactl-prod)."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name must be 2-31 characters of lowercase letters, digits and dashes, starting with a letter."
  }
}

variable "region" {
  type        = string
  description = "AWS region (the awslogs driver's region). The stack checks it against its region list (terraform/stack/regions.tf); this module trusts it."
}

variable "vpc_id" {
  type        = string
  description = "VPC of the task's security group."
}

variable "vpc_cidr" {
  type        = string
  description = "CIDR of the VPC: the task's NFS egress is limited to it."

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0))
    error_message = "vpc_cidr must be a valid IPv4 CIDR block."
  }

  # The provider refuses a CIDR with host bits at plan (internal/service/ec2/vpc_security_group_ingress_rule.go:
  # cidr_ipv4 uses fwvalidators.IPv4CIDRNetworkAddress; internal/service/ec2/vpc_.go: cidr_block uses
  # verify.ValidIPv4CIDRNetworkAddress): cidrsubnet(c, 0, 0) is c exactly when no host bit is set.
  validation {
    condition     = try(cidrnetmask(var.vpc_cidr) != "" && cidrsubnet(var.vpc_cidr, 0, 0) == var.vpc_cidr, false)
    error_message = "vpc_cidr must be an IPv4 network address, with no host bits set."
  }
}

variable "private_subnet_ids" {
  type        = list(string)
  description = "Private subnets the task may run in (no public IP is ever assigned)."

  validation {
    condition     = length(var.private_subnet_ids) >= 2
    error_message = "private_subnet_ids must list at least 2 subnets so a replacement task can start in another AZ."
  }
}

variable "alb_security_group_id" {
  type        = string
  description = "Security group of the ALB: the only source allowed to reach the container port."
}

variable "target_group_arn" {
  type        = string
  description = "ARN of the ALB target group the service registers its task in."
}

variable "image" {
  type        = string
  description = "Container image, pinned by tag and digest (repo:tag@sha256:..., never latest). Chroma 1.5.9 matches the CLI's client."
  default     = "chromadb/chroma:1.5.9@sha256:1e0b73a187a28757c572acba508c46f48c9e8b0acaf5c20e6d95cdedce1acdf6"

  validation {
    condition     = can(regex("^[^\\s@]+:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}@sha256:[a-f0-9]{64}$", var.image)) && !can(regex(":latest@", var.image))
    error_message = "image must be pinned by tag and digest (repo:tag@sha256:<64 hex>), and the tag must not be latest."
  }
}

variable "cpu" {
  type        = number
  description = "Task CPU units: 256, 512, 1024, 2048, 4096, 8192 or 16384."
  default     = 2048

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096, 8192, 16384], var.cpu)
    error_message = "cpu must be one of Fargate's sizes: 256, 512, 1024, 2048, 4096, 8192, 16384."
  }
}

variable "memory" {
  type        = number
  description = "Task memory in MiB; must be a Fargate pair with cpu and hold the declared vectors (capacity rule, README; `chromactl size` picks it)."
  default     = 8192

  validation {
    condition = (
      var.cpu == 256 ? contains([512, 1024, 2048], var.memory) :
      var.cpu == 512 ? var.memory >= 1024 && var.memory <= 4096 && var.memory % 1024 == 0 :
      var.cpu == 1024 ? var.memory >= 2048 && var.memory <= 8192 && var.memory % 1024 == 0 :
      var.cpu == 2048 ? var.memory >= 4096 && var.memory <= 16384 && var.memory % 1024 == 0 :
      var.cpu == 4096 ? var.memory >= 8192 && var.memory <= 30720 && var.memory % 1024 == 0 :
      var.cpu == 8192 ? var.memory >= 16384 && var.memory <= 61440 && var.memory % 4096 == 0 :
      var.cpu == 16384 ? var.memory >= 32768 && var.memory <= 122880 && var.memory % 8192 == 0 :
      false
    )
    error_message = "cpu ${var.cpu} with memory ${var.memory} MiB is not a Fargate size. Valid: 256: 512/1024/2048; 512: 1024-4096; 1024: 2048-8192; 2048: 4096-16384; 4096: 8192-30720 (1024 steps); 8192: 16384-61440 (4096 steps); 16384: 32768-122880 (8192 steps)."
  }
}

variable "cpu_architecture" {
  type        = string
  description = "CPU architecture of the task: X86_64 or ARM64 (the Chroma image is published for both)."
  default     = "X86_64"

  validation {
    condition     = contains(["X86_64", "ARM64"], var.cpu_architecture)
    error_message = "cpu_architecture must be X86_64 or ARM64."
  }
}

variable "expected_vectors" {
  type        = number
  description = "Number of vectors the env is expected to hold (drives the capacity check)."
  default     = 100000

  validation {
    condition     = var.expected_vectors >= 0 && floor(var.expected_vectors) == var.expected_vectors
    error_message = "expected_vectors must be a whole number, 0 or more."
  }
}

variable "vector_dimensions" {
  type        = number
  description = "Dimensions of the embeddings (for example 384, 768, 1536)."
  default     = 1536

  validation {
    condition     = var.vector_dimensions >= 1 && var.vector_dimensions <= 65536 && floor(var.vector_dimensions) == var.vector_dimensions
    error_message = "vector_dimensions must be a whole number between 1 and 65536."
  }
}

variable "file_system_id" {
  type        = string
  description = "ID of the EFS file system holding the data."
}

variable "access_point_id" {
  type        = string
  description = "ID of the EFS access point the task mounts (IAM authorization, TLS in transit)."
}

variable "iam_name" {
  type        = string
  description = "Name prefix of the task's two roles (<iam_name>-exec, <iam_name>-task). IAM is global, so it must be unique per (env, region), for example chromactl-prod-us-east-1."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,45}$", var.iam_name))
    error_message = "iam_name must be 2-46 characters of lowercase letters, digits and dashes, starting with a letter."
  }
}

variable "account_id" {
  type        = string
  description = "AWS account ID that owns the stack."

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

variable "permissions_boundary_arn" {
  type        = string
  description = "ARN of a permissions boundary policy applied to the module's two roles (null: none)."
  default     = null

  validation {
    condition     = var.permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:policy/.+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be an IAM policy ARN or null."
  }
}

variable "ecr_repository_arns" {
  type        = list(string)
  description = "ECR repositories the execution role may pull from (empty when the image comes from a public registry)."
  default     = []
}

variable "ecr_pull_through_cache" {
  type        = bool
  description = "The image comes through an ECR pull-through cache: the first pull of each image also creates its repository and imports it."
  default     = false
}

variable "file_system_arn" {
  type        = string
  description = "ARN of the EFS file system the task mounts."
}

variable "access_point_arn" {
  type        = string
  description = "ARN of the EFS access point the task must mount through."
}

variable "log_group_name" {
  type        = string
  description = "CloudWatch log group of the container."
}

variable "log_group_arn" {
  type        = string
  description = "ARN of the container log group (the execution role writes only there)."
}

variable "enable_execute_command" {
  type        = bool
  description = "Enable ECS Exec (sessions encrypted with exec_kms_key_arn and logged to exec_log_group_name)."
  default     = false
}

variable "exec_log_group_name" {
  type        = string
  description = "Log group recording ECS Exec sessions."
}

variable "exec_log_group_arn" {
  type        = string
  description = "ARN of the log group ECS Exec sessions are logged to."
}

variable "exec_kms_key_arn" {
  type        = string
  description = "KMS key encrypting ECS Exec sessions."
}

variable "container_insights" {
  type        = string
  description = "Container Insights level of the cluster: enabled or enhanced."
  default     = "enabled"

  validation {
    condition     = contains(["enabled", "enhanced"], var.container_insights)
    error_message = "container_insights must be enabled or enhanced."
  }
}

variable "posix_uid" {
  type        = number
  description = "User the container runs as (the access point's POSIX user)."
  default     = 1000

  validation {
    condition     = var.posix_uid > 0
    error_message = "posix_uid must not be 0 (root)."
  }
}

variable "posix_gid" {
  type        = number
  description = "Group the container runs as (the access point's POSIX group)."
  default     = 1000

  validation {
    condition     = var.posix_gid > 0
    error_message = "posix_gid must not be 0 (root)."
  }
}

variable "health_check_grace_period_seconds" {
  type        = number
  description = "Seconds the service ignores failing ALB health checks after a task starts. null: sized from the expected vectors (120 s plus reading the index from EFS at 50 MiB/s, at most 3600 s)."
  default     = null

  validation {
    # ECS CreateService healthCheckGracePeriodSeconds: an Integer (botocore ecs 2014-11-13 service-2.json, BoxedInteger)
    condition     = var.health_check_grace_period_seconds == null || try(var.health_check_grace_period_seconds >= 0 && var.health_check_grace_period_seconds <= 2147483647 && floor(var.health_check_grace_period_seconds) == var.health_check_grace_period_seconds, false)
    error_message = "health_check_grace_period_seconds must be null (sized from the expected vectors) or a whole number of seconds, 0 or more."
  }
}

variable "memory_alarm_percent" {
  type        = number
  description = "The memory alarm's threshold (observability module): the capacity rule keeps the steady state 20 % under it."
  default     = 80

  validation {
    condition     = var.memory_alarm_percent > 0 && var.memory_alarm_percent <= 100
    error_message = "memory_alarm_percent must be above 0 and at most 100."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource of the module."
  default     = {}
}

variable "wait_for_steady_state" {
  type        = bool
  description = "Make apply wait until the service is stable (the task healthy behind the ALB)."
  default     = true
}
