variable "name" {
  type        = string
  description = "Name prefix for log groups, alarms, the topic and the dashboard (for example chromactl-prod)."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name must be 2-31 characters of lowercase letters, digits and dashes, starting with a letter."
  }
}

variable "env" {
  type        = string
  description = "Environment name; the Env dimension of the CLI's published latency metric."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,19}$", var.env))
    error_message = "env must be 1-20 lowercase letters, digits and dashes, starting with a letter."
  }
}

variable "region" {
  type        = string
  description = "AWS region of the stack (the Region dimension of the latency metric, the logs service principal). The stack checks it against its region list (terraform/stack/regions.tf); this module trusts it."
}

variable "account_id" {
  type        = string
  description = "AWS account ID that owns the stack (used in the KMS key policy)."

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

variable "log_retention_days" {
  type        = number
  description = "Retention of every log group of the stack, in days (one of CloudWatch's allowed values)."
  default     = 90

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of CloudWatch's allowed values: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "flow_logs_retention_days" {
  type        = number
  description = "Retention of the VPC flow logs log group in days (shorter than the app logs: flow logs are bulky and only for investigations)."
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_logs_retention_days)
    error_message = "flow_logs_retention_days must be one of CloudWatch's allowed values: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "lambda_function_name" {
  type        = string
  description = "Name of the token-rotation Lambda function; its log group /aws/lambda/<name> is created here so it is encrypted and retained."
}

variable "alarm_emails" {
  type        = list(string)
  description = "E-mail addresses subscribed to the alarm topic (each must confirm the subscription)."
  default     = []

  validation {
    condition     = alltrue([for e in var.alarm_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "alarm_emails must hold e-mail addresses."
  }
}

variable "alb_arn_suffix" {
  type        = string
  description = "ARN suffix of the ALB (the LoadBalancer dimension)."
}

variable "target_group_arn_suffix" {
  type        = string
  description = "ARN suffix of the target group (the TargetGroup dimension)."
}

variable "cluster_name" {
  type        = string
  description = "ECS cluster name (the ClusterName dimension)."
}

variable "service_name" {
  type        = string
  description = "ECS service name (the ServiceName dimension)."
}

variable "file_system_id" {
  type        = string
  description = "ID of the EFS file system the service uses."
}

variable "replication_enabled" {
  type        = bool
  description = "Whether the file system replicates to the failover region (adds the replication lag alarm)."
  default     = false
}

variable "backup_notifications" {
  type        = bool
  description = "Send failed, aborted or expired AWS Backup jobs and failed copy jobs of this region to the alarm topic (EventBridge)."
  default     = true
}

variable "replica_file_system_id" {
  type        = string
  description = "ID of the replica in the failover region: the DestinationFileSystemId dimension of TimeSinceLastSync (null when replication is off)."
  default     = null
}

variable "rpo_minutes" {
  type        = number
  description = "Recovery point objective in minutes: the replication lag (TimeSinceLastSync) alarm threshold."
  default     = 15

  validation {
    condition     = var.rpo_minutes >= 1 && var.rpo_minutes <= 1440
    error_message = "rpo_minutes must be between 1 and 1440."
  }
}

variable "latency_p95_slo_ms" {
  type        = number
  description = "The env's p95 latency SLO in milliseconds: threshold of the alarm on the CLI's published Chromactl/LatencyP95 metric."
  default     = 500

  validation {
    condition     = var.latency_p95_slo_ms > 0 && var.latency_p95_slo_ms <= 60000
    error_message = "latency_p95_slo_ms must be between 0 and 60000 (exclusive of 0)."
  }
}

variable "target_response_time_p95_seconds" {
  type        = number
  description = "Alarm when the ALB's TargetResponseTime p95 exceeds this many seconds (the article: 0.5)."
  default     = 0.5

  validation {
    condition     = var.target_response_time_p95_seconds > 0 && var.target_response_time_p95_seconds <= 60
    error_message = "target_response_time_p95_seconds must be between 0 and 60 (exclusive of 0)."
  }
}

variable "error_rate_threshold_percent" {
  type        = number
  description = "Alarm when 5xx responses (target and ALB) exceed this percentage of requests over 5 minutes."
  default     = 1

  validation {
    condition     = var.error_rate_threshold_percent > 0 && var.error_rate_threshold_percent <= 100
    error_message = "error_rate_threshold_percent must be a percentage above 0 and at most 100."
  }
}

variable "cpu_threshold_percent" {
  type        = number
  description = "Alarm when the service's average CPU utilisation exceeds this percentage (the article: 70)."
  default     = 70

  validation {
    condition     = var.cpu_threshold_percent > 0 && var.cpu_threshold_percent <= 100
    error_message = "cpu_threshold_percent must be a percentage above 0 and at most 100."
  }
}

variable "memory_threshold_percent" {
  type        = number
  description = "Alarm when the service's average memory utilisation exceeds this percentage (the article: 80)."
  default     = 80

  validation {
    condition     = var.memory_threshold_percent > 0 && var.memory_threshold_percent <= 100
    error_message = "memory_threshold_percent must be a percentage above 0 and at most 100."
  }
}

variable "efs_utilisation_threshold_percent" {
  type        = number
  description = "Alarm when EFS PercentIOLimit or throughput utilisation exceeds this percentage."
  default     = 80

  validation {
    condition     = var.efs_utilisation_threshold_percent > 0 && var.efs_utilisation_threshold_percent <= 100
    error_message = "efs_utilisation_threshold_percent must be a percentage above 0 and at most 100."
  }
}

variable "slow_request_ms" {
  type        = number
  description = "Requests slower than this many milliseconds are listed by the slow-requests Logs Insights query."
  default     = 500

  validation {
    condition     = var.slow_request_ms > 0
    error_message = "slow_request_ms must be positive."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource of the module."
  default     = {}
}
