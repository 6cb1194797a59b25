locals {
  # Regional resources are named <project>-<env>; global ones (IAM roles, S3 buckets) add the region,
  # so a failover rebuild of the same env in another region never collides with the primary.
  name        = "${var.project}-${var.env}"
  global_name = "${var.project}-${var.env}-${var.region}"

  # One figure for the memory alarm and the capacity rule that keeps steady state under it.
  memory_alarm_percent = 80

  partition = startswith(var.region, "us-gov-") ? "aws-us-gov" : (startswith(var.region, "cn-") ? "aws-cn" : "aws")

  cross_region_dr = var.enable_cross_region_dr
  replicate       = local.cross_region_dr && var.enable_replication && var.existing_file_system_id == null
  backup_copy     = local.cross_region_dr && var.enable_backup_copy

  endpoint_host = var.dns_record_name != "" ? trimsuffix(var.dns_record_name, ".") : (var.domain_name != "" ? var.domain_name : module.alb.dns_name)
  endpoint_url  = "https://${local.endpoint_host}"
  verify_tls    = var.dns_record_name != "" || var.domain_name != ""

  rotation_function_name = "${local.name}-token-rotation"

  tags = merge(var.tags, { Stack = local.name })
}

module "observability" {
  source = "../modules/observability"

  name                    = local.name
  env                     = var.env
  region                  = var.region
  account_id              = var.account_id
  partition               = local.partition
  log_retention_days      = var.log_retention_days
  lambda_function_name    = local.rotation_function_name
  alarm_emails            = var.alarm_emails
  alb_arn_suffix          = module.alb.arn_suffix
  target_group_arn_suffix = module.alb.target_group_arn_suffix
  cluster_name            = module.ecs.cluster_name
  service_name            = module.ecs.service_name
  file_system_id          = module.efs.file_system_id
  replication_enabled     = local.replicate
  rpo_minutes             = var.rpo_minutes
  latency_p95_slo_ms      = var.latency_p95_slo_ms
  tags                    = local.tags

  memory_threshold_percent = local.memory_alarm_percent
}

module "iam" {
  source = "../modules/iam"

  name                       = local.global_name
  region                     = var.region
  account_id                 = var.account_id
  partition                  = local.partition
  permissions_boundary_arn   = var.permissions_boundary_arn
  app_log_group_arn          = module.observability.log_group_arns["app"]
  ecr_repository_arns        = var.ecr_repository_arns
  file_system_arn            = module.efs.file_system_arn
  access_point_arn           = module.efs.access_point_arn
  enable_execute_command     = var.enable_execute_command
  exec_log_group_arn         = module.observability.log_group_arns["ecs_exec"]
  logs_kms_key_arn           = module.observability.kms_key_arn
  flow_logs_log_group_arn    = module.observability.log_group_arns["flow_logs"]
  token_secret_arn           = aws_secretsmanager_secret.token.arn
  token_kms_key_arn          = aws_kms_key.token.arn
  auth_rule_arns             = module.alb.auth_rule_arns
  rotation_log_group_arn     = module.observability.log_group_arns["rotation"]
  rotation_subnet_ids        = module.vpc.private_subnet_ids
  rotation_security_group_id = aws_security_group.rotation.id
  tags                       = local.tags
}

module "vpc" {
  source = "../modules/vpc"

  name                    = local.name
  region                  = var.region
  cidr                    = var.vpc_cidr
  azs                     = var.azs
  single_nat_gateway      = var.single_nat_gateway
  enable_vpc_endpoints    = var.enable_vpc_endpoints
  flow_logs_log_group_arn = module.observability.log_group_arns["flow_logs"]
  flow_logs_role_arn      = module.iam.flow_logs_role_arn
  tags                    = local.tags
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

  name                       = local.name
  region                     = var.region
  failover_region            = var.failover_region
  account_id                 = var.account_id
  partition                  = local.partition
  vpc_id                     = module.vpc.vpc_id
  subnet_ids                 = module.vpc.private_subnet_ids
  task_security_group_id     = module.ecs.task_security_group_id
  task_role_arn              = module.iam.task_role_arn
  backup_role_arn            = module.iam.backup_role_arn
  posix_uid                  = var.posix_uid
  posix_gid                  = var.posix_gid
  root_directory             = var.root_directory
  existing_file_system_id    = var.existing_file_system_id
  existing_root_directory    = var.existing_root_directory
  existing_kms_key_arn       = var.existing_kms_key_arn
  enable_backup              = var.enable_backup
  backup_schedule            = var.backup_schedule
  backup_retention_days      = var.backup_retention_days
  enable_backup_copy         = local.backup_copy
  backup_copy_retention_days = var.backup_copy_retention_days
  enable_replication         = local.replicate
  tags                       = local.tags
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
  image                  = var.image
  cpu                    = var.task_cpu
  memory                 = var.task_memory
  cpu_architecture       = var.cpu_architecture
  expected_vectors       = var.expected_vectors
  vector_dimensions      = var.vector_dimensions
  file_system_id         = module.efs.file_system_id
  access_point_id        = module.efs.access_point_id
  execution_role_arn     = module.iam.execution_role_arn
  task_role_arn          = module.iam.task_role_arn
  log_group_name         = module.observability.log_group_names["app"]
  enable_execute_command = var.enable_execute_command
  exec_log_group_name    = module.observability.log_group_names["ecs_exec"]
  exec_kms_key_arn       = module.observability.kms_key_arn
  posix_uid              = var.posix_uid
  posix_gid              = var.posix_gid
  wait_for_steady_state  = var.wait_for_steady_state
  tags                   = local.tags

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
