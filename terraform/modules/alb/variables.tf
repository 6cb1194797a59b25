variable "name" {
  type        = string
  description = "Name of the ALB; the target group is <name>-tg (regional names, at most 29 characters)."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,28}$", var.name))
    error_message = "name must be 2-29 characters of lowercase letters, digits and dashes, starting with a letter."
  }
}

variable "region" {
  type        = string
  description = "AWS region of the ALB (selects the log delivery principal of the access-log bucket policy). The stack checks it against its region list (terraform/stack/regions.tf); this module trusts it."
}

variable "account_id" {
  type        = string
  description = "AWS account ID (access-log prefix and bucket name)."

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
  description = "VPC of the ALB and its target group."
}

variable "vpc_cidr" {
  type        = string
  description = "CIDR of the VPC: the ALB's egress to the targets is limited to it."

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

variable "subnet_ids" {
  type        = list(string)
  description = "Subnets of the ALB: the public subnets when internet-facing, the private ones when internal."

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids must list at least 2 subnets in different AZs."
  }
}

variable "internal" {
  type        = bool
  description = "true: internal ALB (reachable from the VPC and peered networks only); false: internet-facing."
  default     = false
}

variable "allowed_cidrs" {
  type        = list(string)
  description = "IPv4 CIDRs allowed to reach the listeners (443, and 80 for the redirect). Must not be empty for an internet-facing ALB."

  validation {
    condition     = alltrue([for c in var.allowed_cidrs : can(cidrhost(c, 0))])
    error_message = "allowed_cidrs must hold valid IPv4 CIDR blocks such as 203.0.113.0/24."
  }

  # The provider refuses a CIDR with host bits at plan (internal/service/ec2/vpc_security_group_ingress_rule.go:
  # cidr_ipv4 uses fwvalidators.IPv4CIDRNetworkAddress; internal/service/ec2/vpc_.go: cidr_block uses
  # verify.ValidIPv4CIDRNetworkAddress): cidrsubnet(c, 0, 0) is c exactly when no host bit is set.
  validation {
    condition     = alltrue([for c in var.allowed_cidrs : try(cidrnetmask(c) != "" && cidrsubnet(c, 0, 0) == c, false)])
    error_message = "allowed_cidrs must hold IPv4 network addresses with no host bits set; not: ${join(", ", [for c in var.allowed_cidrs : c if !try(cidrnetmask(c) != "" && cidrsubnet(c, 0, 0) == c, false)])}."
  }

  validation {
    condition     = var.internal || length(var.allowed_cidrs) > 0
    error_message = "allowed_cidrs must not be empty for an internet-facing ALB: list the client networks (for example your office or VPN egress /32s)."
  }
}

variable "extra_ingress_cidrs" {
  type        = list(string)
  description = "More CIDRs allowed on 443 (for example the NAT gateways' /32s, so the rotation function can test through an internet-facing ALB)."
  default     = []
}

variable "ingress_security_group_ids" {
  type        = list(string)
  description = "Security groups allowed on 443 (for example the rotation function's, for an internal ALB)."
  default     = []
}

variable "certificate_arn" {
  type        = string
  description = "ARN of the ACM certificate of the HTTPS listener."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[A-Za-z0-9-]+$", var.certificate_arn))
    error_message = "certificate_arn must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)."
  }
}

variable "ssl_policy" {
  type        = string
  description = "TLS policy of the HTTPS listener (a TLS 1.3 policy; the default is the hybrid post-quantum one AWS recommends)."
  default     = "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"

  # TLS 1.3 policies of https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html,
  # including the 2025-09 hybrid post-quantum (ML-KEM) ones, which AWS recommends. The Ext* variants, which
  # add legacy TLS 1.2 ciphers, are left out.
  validation {
    condition = contains([
      "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09", "ELBSecurityPolicy-TLS13-1-2-PQ-2025-09", "ELBSecurityPolicy-TLS13-1-3-PQ-2025-09",
      "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-PQ-2025-09", "ELBSecurityPolicy-TLS13-1-2-FIPS-PQ-2025-09", "ELBSecurityPolicy-TLS13-1-3-FIPS-PQ-2025-09",
      "ELBSecurityPolicy-TLS13-1-2-2021-06", "ELBSecurityPolicy-TLS13-1-3-2021-06", "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
      "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04", "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
    ], var.ssl_policy)
    error_message = "ssl_policy must be a TLS 1.3 policy such as ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09 (post-quantum, recommended) or ELBSecurityPolicy-TLS13-1-3-PQ-2025-09."
  }
}

variable "deletion_protection" {
  type        = bool
  description = "Turn on the ALB's deletion protection."
  default     = true
}

variable "idle_timeout" {
  type        = number
  description = "Idle timeout in seconds (large batch adds can take a while)."
  default     = 120

  validation {
    condition     = var.idle_timeout >= 1 && var.idle_timeout <= 4000
    error_message = "idle_timeout must be between 1 and 4000 seconds."
  }
}

variable "waf_web_acl_arn" {
  type        = string
  description = "ARN of a WAFv2 web ACL to associate with the ALB (null: none)."
  default     = null

  validation {
    condition     = var.waf_web_acl_arn == null || can(regex("^arn:aws[a-z-]*:wafv2:", var.waf_web_acl_arn))
    error_message = "waf_web_acl_arn must be a WAFv2 web ACL ARN or null."
  }
}

variable "access_logs_bucket_name" {
  type        = string
  description = "Name of the access-log bucket to create (null: <name>-alb-logs-<account>-<region>)."
  default     = null
}

variable "access_logs_retention_days" {
  type        = number
  description = "Days access-log objects are kept before they expire."
  default     = 90

  validation {
    condition     = var.access_logs_retention_days >= 1 && var.access_logs_retention_days <= 3650
    error_message = "access_logs_retention_days must be between 1 and 3650."
  }
}

variable "force_destroy_logs" {
  type        = bool
  description = "Let Terraform delete the access-log bucket with its objects (dev sandboxes)."
  default     = false
}

variable "health_check_path" {
  type        = string
  description = "Health check path of the target group (Chroma's unauthenticated heartbeat)."
  default     = "/api/v2/heartbeat"

  validation {
    condition     = startswith(var.health_check_path, "/")
    error_message = "health_check_path must start with /."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource of the module."
  default     = {}
}
