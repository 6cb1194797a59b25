variable "name" {
  type        = string
  description = "Name prefix for every resource in this VPC (for example chromactl-prod)."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name must be 2-31 characters of lowercase letters, digits and dashes, starting with a letter."
  }
}

variable "region" {
  type        = string
  description = "AWS region of this VPC; used to build the VPC endpoint service names. The stack checks it against its region list (terraform/stack/regions.tf); this module trusts it."
}

variable "cidr" {
  type        = string
  description = "IPv4 CIDR block of the VPC, /16 to /22; public and private subnets are carved from it in /+4 blocks."

  validation {
    condition     = can(cidrhost(var.cidr, 0)) && can(regex("/(1[6-9]|2[0-2])$", var.cidr))
    error_message = "cidr must be a valid IPv4 CIDR block with a prefix between /16 and /22 (for example 10.40.0.0/16)."
  }

  # The provider refuses a CIDR with host bits at plan (internal/service/ec2/vpc_security_group_ingress_rule.go:
  # cidr_ipv4 uses fwvalidators.IPv4CIDRNetworkAddress; internal/service/ec2/vpc_.go: cidr_block uses
  # verify.ValidIPv4CIDRNetworkAddress): cidrsubnet(c, 0, 0) is c exactly when no host bit is set.
  validation {
    condition     = try(cidrnetmask(var.cidr) != "" && cidrsubnet(var.cidr, 0, 0) == var.cidr, false)
    error_message = "cidr ${jsonencode(var.cidr)} must be an IPv4 network address, with no host bits set (for example 10.40.0.0/16)."
  }
}

variable "azs" {
  type        = list(string)
  description = "Availability zones to span: 2 or 3 names in this region (for example [\"us-east-1a\", \"us-east-1b\"])."

  validation {
    condition     = length(var.azs) >= 2 && length(var.azs) <= 3 && length(distinct(var.azs)) == length(var.azs)
    error_message = "azs must list 2 or 3 distinct availability zones."
  }

  validation {
    condition     = alltrue([for az in var.azs : startswith(az, var.region)])
    error_message = "every availability zone must belong to the VPC's region."
  }
}

variable "single_nat_gateway" {
  type        = bool
  description = "true: one shared NAT gateway (cheaper, one AZ's failure cuts egress); false: one NAT gateway per AZ."
  default     = false
}

variable "enable_vpc_endpoints" {
  type        = bool
  description = "Create the S3 gateway endpoint and the interface endpoints in interface_endpoints so AWS traffic stays off the NAT."
  default     = true
}

variable "interface_endpoints" {
  type        = list(string)
  description = "Short names of the AWS services to reach through interface endpoints (com.amazonaws.<region>.<name>): the ones the workload calls. Each costs per AZ-hour (see README)."
  default     = ["logs", "secretsmanager", "elasticloadbalancing"]

  validation {
    condition     = alltrue([for s in var.interface_endpoints : can(regex("^[a-z0-9]+([.-][a-z0-9]+)*$", s))]) && length(distinct(var.interface_endpoints)) == length(var.interface_endpoints)
    error_message = "interface_endpoints must hold distinct service short names such as logs, ecr.api or secretsmanager."
  }
}

variable "lookup_endpoint_service_azs" {
  type        = bool
  description = "Look up, per interface service, the AZs where this account is offered it, and place each endpoint only there."
  default     = true
}

variable "endpoint_service_azs" {
  type        = map(list(string))
  description = "AZs where an interface service is offered, by service short name: overrides the lookup for that service."
  default     = {}
}

variable "flow_logs_log_group_arn" {
  type        = string
  description = "ARN of the KMS-encrypted CloudWatch log group that receives the VPC flow logs."
}

variable "iam_name" {
  type        = string
  description = "Name prefix of the flow-log role (<iam_name>-flow-logs). IAM is global, so it must be unique per (env, region), for example chromactl-prod-us-east-1."

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
  description = "ARN of a permissions boundary policy applied to the module's role (null: none)."
  default     = null

  validation {
    condition     = var.permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:policy/.+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be an IAM policy ARN or null."
  }
}

variable "flow_logs_traffic_type" {
  type        = string
  description = "Traffic recorded by the flow logs: ACCEPT, REJECT or ALL."
  default     = "ALL"

  validation {
    condition     = contains(["ACCEPT", "REJECT", "ALL"], var.flow_logs_traffic_type)
    error_message = "flow_logs_traffic_type must be ACCEPT, REJECT or ALL."
  }
}

variable "flow_logs_max_aggregation_interval" {
  type        = number
  description = "Seconds over which a flow log record aggregates packets: 60 (finer, more records and cost) or 600."
  default     = 600

  # The only two values EC2 accepts (botocore ec2 model, CreateFlowLogsRequest.MaxAggregationInterval).
  validation {
    condition     = contains([60, 600], var.flow_logs_max_aggregation_interval)
    error_message = "flow_logs_max_aggregation_interval must be 60 or 600."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource of the module."
  default     = {}
}
