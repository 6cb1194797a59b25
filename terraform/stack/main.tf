locals {
  # Regional resources are named <project>-<env>; global ones (IAM roles, S3 buckets) add the region,
  # so a failover rebuild of the same env in another region never collides with the primary.
  name        = "${var.project}-${var.env}"
  global_name = "${var.project}-${var.env}-${var.region}"

  # One figure for the memory alarm and the capacity rule that keeps steady state under it.
  memory_alarm_percent = 80

  partition  = startswith(var.region, "us-gov-") ? "aws-us-gov" : (startswith(var.region, "cn-") ? "aws-cn" : "aws")
  dns_suffix = local.partition == "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com"

  cross_region_dr = var.enable_cross_region_dr
  replicate       = local.cross_region_dr && var.enable_replication && var.existing_file_system_id == null
  backup_copy     = local.cross_region_dr && var.enable_backup_copy

  endpoint_host = var.dns_record_name != "" ? trimsuffix(var.dns_record_name, ".") : (var.domain_name != "" ? var.domain_name : module.alb.dns_name)
  endpoint_url  = "https://${local.endpoint_host}"
  verify_tls    = var.dns_record_name != "" || var.domain_name != ""

  rotation_function_name = "${local.name}-token-rotation"

  # ---- the image (issue 12 item 15): from an ECR pull-through cache rule, a mirrored ECR repository, or
  # its upstream registry directly. `{region}` in var.image stands for this stack's region (a mirror
  # replicated to the failover region).
  image_ref     = replace(var.image, "{region}", var.region)
  ecr_host      = "${var.account_id}.dkr.ecr.${var.region}.amazonaws.com"
  ptc           = var.image_pull_through_cache
  ptc_prefix    = local.ptc == null ? null : "${local.name}-${local.ptc.upstream}"
  ptc_upstreams = { dockerhub = "registry-1.docker.io", ghcr = "ghcr.io", quay = "quay.io", ecrpublic = "public.ecr.aws" }
  # A first path component with a dot or a colon is a registry host (docker.io/..., ghcr.io/...).
  image_parts    = split("/", local.image_ref)
  image_has_host = length(local.image_parts) > 1 && can(regex("[.:]", local.image_parts[0]))
  # Docker Hub's official images live under library/ (nginx -> library/nginx).
  upstream_path = (
    local.image_has_host ? join("/", slice(local.image_parts, 1, length(local.image_parts))) :
    (length(local.image_parts) == 1 ? "library/${local.image_ref}" : local.image_ref)
  )
  # The cache rule's own prefix (known at plan) so that the task definition waits for the rule.
  task_image     = local.ptc == null ? local.image_ref : "${local.ecr_host}/${one(aws_ecr_pull_through_cache_rule.image[*].ecr_repository_prefix)}/${local.upstream_path}"
  ecr_mirror     = local.ptc == null ? try(regex("^([0-9]{12})\\.dkr\\.ecr\\.([a-z0-9-]+)\\.amazonaws\\.com(?:\\.cn)?/([^:@]+)", local.task_image), null) : null
  image_from_ecr = local.ptc != null || local.ecr_mirror != null
  # The ECR repositories the execution role pulls from: the cache's prefix, or the mirror's repository.
  ecr_pull_repository_arns = concat(
    var.ecr_repository_arns,
    local.ptc != null ? ["arn:${local.partition}:ecr:${var.region}:${var.account_id}:repository/${local.ptc_prefix}/*"] : [],
    local.ecr_mirror != null ? ["arn:${local.partition}:ecr:${local.ecr_mirror[1]}:${local.ecr_mirror[0]}:repository/${local.ecr_mirror[2]}"] : [],
  )

  # ---- interface endpoints (issue 12 item 14): only services something in the private subnets calls.
  # The S3 gateway endpoint (free) always: ECR serves image layers from S3.
  interface_endpoints = concat(
    # the awslogs driver of the task (execution role: logs:CreateLogStream/PutLogEvents)
    ["logs"],
    # the rotation function (in the VPC): Secrets Manager's four steps, and ELBv2 DescribeRules/ModifyRule
    ["secretsmanager", "elasticloadbalancing"],
    # image pulls, when the image comes from ECR (a pull-through cache or a mirror); layers come through S3
    local.image_from_ecr ? ["ecr.api", "ecr.dkr"] : [],
    # ECS Exec: the agent in the container opens its channels with ssmmessages and gets the session data
    # key from KMS (the task role's kms:Decrypt/GenerateDataKey, modules/ecs/iam.tf)
    var.enable_execute_command ? ["ssmmessages", "kms"] : [],
  )

  tags = merge(var.tags, { Stack = local.name })
}

module "observability" {
  source = "../modules/observability"

  name                     = local.name
  env                      = var.env
  region                   = var.region
  account_id               = var.account_id
  partition                = local.partition
  log_retention_days       = var.log_retention_days
  flow_logs_retention_days = var.flow_logs_retention_days
  lambda_function_name     = local.rotation_function_name
  alarm_emails             = var.alarm_emails
  alb_arn_suffix           = module.alb.arn_suffix
  target_group_arn_suffix  = module.alb.target_group_arn_suffix
  cluster_name             = module.ecs.cluster_name
  service_name             = module.ecs.service_name
  file_system_id           = module.efs.file_system_id
  replication_enabled      = local.replicate
  replica_file_system_id   = module.efs.replica_file_system_id
  backup_notifications     = var.enable_backup
  rpo_minutes              = var.rpo_minutes
  latency_p95_slo_ms       = var.latency_p95_slo_ms
  tags                     = local.tags

  memory_threshold_percent = local.memory_alarm_percent
}

module "vpc" {
  source = "../modules/vpc"

  name                               = local.name
  region                             = var.region
  cidr                               = var.vpc_cidr
  azs                                = var.azs
  single_nat_gateway                 = var.single_nat_gateway
  enable_vpc_endpoints               = var.enable_vpc_endpoints
  interface_endpoints                = local.interface_endpoints
  endpoint_service_azs               = var.endpoint_service_azs
  flow_logs_log_group_arn            = module.observability.log_group_arns["flow_logs"]
  iam_name                           = local.global_name
  account_id                         = var.account_id
  partition                          = local.partition
  permissions_boundary_arn           = var.permissions_boundary_arn
  flow_logs_max_aggregation_interval = var.flow_logs_max_aggregation_interval
  tags                               = local.tags
}

module "alb" {
  source = "../modules/alb"

  name                       = local.name
  region                     = var.region
  account_id                 = var.account_id
  partition                  = local.partition
  vpc_id                     = module.vpc.vpc_id
  vpc_cidr                   = module.vpc.vpc_cidr
  subnet_ids                 = var.internal_alb ? module.vpc.private_subnet_ids : module.vpc.public_subnet_ids
  internal                   = var.internal_alb
  allowed_cidrs              = var.allowed_cidrs
  extra_ingress_cidrs        = var.internal_alb ? [] : [for ip in module.vpc.nat_public_ips : "${ip}/32"]
  ingress_security_group_ids = [aws_security_group.rotation.id]
  certificate_arn            = var.certificate_arn
  ssl_policy                 = var.ssl_policy
  deletion_protection        = var.alb_deletion_protection
  waf_web_acl_arn            = var.waf_web_acl_arn
  access_logs_bucket_name    = "${local.global_name}-alb-logs-${var.account_id}"
  access_logs_retention_days = var.access_logs_retention_days
  force_destroy_logs         = var.force_destroy_logs
  tags                       = local.tags
}

module "efs" {
  source = "../modules/efs"
  providers = {
    aws          = aws
    aws.failover = aws.failover
  }

  name                              = local.name
  region                            = var.region
  failover_region                   = var.failover_region
  account_id                        = var.account_id
  partition                         = local.partition
  vpc_id                            = module.vpc.vpc_id
  subnet_ids                        = module.vpc.private_subnet_ids
  task_security_group_id            = module.ecs.task_security_group_id
  task_role_arn                     = module.ecs.task_role_arn
  iam_name                          = local.global_name
  permissions_boundary_arn          = var.permissions_boundary_arn
  break_glass_role_arns             = var.efs_break_glass_role_arns
  posix_uid                         = var.posix_uid
  posix_gid                         = var.posix_gid
  root_directory                    = var.root_directory
  existing_file_system_id           = var.existing_file_system_id
  existing_root_directory           = var.existing_root_directory
  existing_kms_key_arn              = var.existing_kms_key_arn
  enable_backup                     = var.enable_backup
  backup_schedule                   = var.backup_schedule
  backup_retention_days             = var.backup_retention_days
  enable_backup_copy                = local.backup_copy
  backup_copy_retention_days        = var.backup_copy_retention_days
  backup_vault_lock_mode            = var.backup_vault_lock_mode
  backup_vault_lock_changeable_days = var.backup_vault_lock_changeable_days
  prevent_destroy                   = var.protect_data
  enable_replication                = local.replicate
  tags                              = local.tags
}

module "ecs" {
  source = "../modules/ecs"

  name                   = local.name
  region                 = var.region
  vpc_id                 = module.vpc.vpc_id
  vpc_cidr               = module.vpc.vpc_cidr
  private_subnet_ids     = module.vpc.private_subnet_ids
  alb_security_group_id  = module.alb.security_group_id
  target_group_arn       = module.alb.target_group_arn
  image                  = local.task_image
  cpu                    = var.task_cpu
  memory                 = var.task_memory
  cpu_architecture       = var.cpu_architecture
  expected_vectors       = var.expected_vectors
  vector_dimensions      = var.vector_dimensions
  file_system_id         = module.efs.file_system_id
  access_point_id        = module.efs.access_point_id
  file_system_arn        = module.efs.file_system_arn
  access_point_arn       = module.efs.access_point_arn
  log_group_name         = module.observability.log_group_names["app"]
  log_group_arn          = module.observability.log_group_arns["app"]
  enable_execute_command = var.enable_execute_command
  exec_log_group_name    = module.observability.log_group_names["ecs_exec"]
  exec_log_group_arn     = module.observability.log_group_arns["ecs_exec"]
  exec_kms_key_arn       = module.observability.kms_key_arn
  posix_uid              = var.posix_uid
  posix_gid              = var.posix_gid
  wait_for_steady_state  = var.wait_for_steady_state
  tags                   = local.tags

  # the task's roles (iam.tf of the module)
  iam_name                 = local.global_name
  account_id               = var.account_id
  partition                = local.partition
  permissions_boundary_arn = var.permissions_boundary_arn
  ecr_repository_arns      = local.ecr_pull_repository_arns
  ecr_pull_through_cache   = local.ptc != null

  # capacity rule and health-check grace (ecs module README)
  memory_alarm_percent              = local.memory_alarm_percent
  health_check_grace_period_seconds = var.health_check_grace_period_seconds
}

resource "aws_route53_record" "endpoint" {
  count = var.dns_zone_id != "" && var.dns_record_name != "" ? 1 : 0

  zone_id = var.dns_zone_id
  name    = var.dns_record_name
  type    = "A"

  alias {
    name                   = module.alb.dns_name
    zone_id                = module.alb.zone_id
    evaluate_target_health = true
  }
}

# ---------------------------------------------------------------- image pull-through cache

# Docker Hub limits anonymous pulls per source IP, and every task of the account's NAT gateways shares
# one; a failover that cannot pull cannot start. A pull-through cache rule makes ECR fetch the image once
# per region and serve it from then on (https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache.html).
# Docker Hub and GitHub need credentials: a Secrets Manager secret named ecr-pullthroughcache/<...>,
# in this region (https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-creating-secret.html).
data "aws_secretsmanager_secret" "image_registry_credential" {
  count = try(local.ptc.credential_secret_name, null) != null ? 1 : 0

  name = local.ptc.credential_secret_name
}

resource "aws_ecr_pull_through_cache_rule" "image" {
  count = local.ptc != null ? 1 : 0

  ecr_repository_prefix = local.ptc_prefix
  upstream_registry_url = local.ptc_upstreams[local.ptc.upstream]
  credential_arn        = try(data.aws_secretsmanager_secret.image_registry_credential[0].arn, null)
}
