variable "name" {
  type        = string
  description = "Name prefix of the roles. IAM is global, so it must be unique per (env, region), for example chromactl-prod-us-east-1."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,45}$", var.name))
    error_message = "name must be 2-46 characters of lowercase letters, digits and dashes, starting with a letter."
  }
}

variable "region" {
  type        = string
  description = "AWS region of the stack, used to scope ARNs and trust conditions."

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as us-east-1."
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
  description = "ARN of a permissions boundary policy applied to every role of the module (null: none)."
  default     = null

  validation {
    condition     = var.permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:policy/.+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be an IAM policy ARN or null."
  }
}

variable "app_log_group_arn" {
  type        = string
  description = "ARN of the ChromaDB container log group (the execution role writes only there)."
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

variable "enable_execute_command" {
  type        = bool
  description = "Grant the task role the SSM messages and logging permissions ECS Exec needs."
  default     = false
}

variable "exec_log_group_arn" {
  type        = string
  description = "ARN of the log group ECS Exec sessions are logged to."
}

variable "logs_kms_key_arn" {
  type        = string
  description = "ARN of the KMS key of the log groups (ECS Exec session encryption and logging)."
}

variable "flow_logs_log_group_arn" {
  type        = string
  description = "ARN of the VPC flow logs log group."
}

variable "token_secret_arn" {
  type        = string
  description = "ARN of the Secrets Manager secret holding the ALB token."
}

variable "token_kms_key_arn" {
  type        = string
  description = "ARN of the KMS key encrypting the token secret and the rotation function's environment."
}

variable "https_listener_arn" {
  type        = string
  description = "ARN of the HTTPS listener whose token rules the rotation function creates and edits."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:listener/", var.https_listener_arn))
    error_message = "https_listener_arn must be an Application Load Balancer listener ARN (arn:aws:elasticloadbalancing:<region>:<account>:listener/app/<name>/<id>/<id>)."
  }
}

variable "rotation_log_group_arn" {
  type        = string
  description = "ARN of the rotation function's log group."
}

variable "rotation_subnet_ids" {
  type        = list(string)
  description = "Private subnets the rotation function runs in (its ENIs are scoped to them)."
}

variable "rotation_security_group_id" {
  type        = string
  description = "Security group of the rotation function."
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every role."
  default     = {}
}
