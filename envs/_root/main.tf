# One ChromaDB stack per (env, region). chromactl passes region and failover_region
# with -var; a failover rebuild also passes existing_file_system_id,
# existing_root_directory, enable_cross_region_dr = false and dns_zone_id = "".

provider "aws" {
  region              = var.region
  allowed_account_ids = [var.account_id]

  default_tags {
    tags = {
      Project   = "chromactl"
      Env       = var.env
      ManagedBy = "terraform"
    }
  }
}

provider "aws" {
  alias               = "failover"
  region              = var.failover_region
  allowed_account_ids = [var.account_id]

  default_tags {
    tags = {
      Project   = "chromactl"
      Env       = var.env
      ManagedBy = "terraform"
    }
  }
}

module "stack" {
  source = "../../terraform/stack"
  providers = {
    aws          = aws
    aws.failover = aws.failover
  }

  env             = var.env
  account_id      = var.account_id
  region          = var.region
  failover_region = var.failover_region

  vpc_cidr             = var.vpc_cidr
  azs                  = lookup(var.azs_by_region, var.region, [])
  single_nat_gateway   = var.single_nat_gateway
  enable_vpc_endpoints = var.enable_vpc_endpoints
  endpoint_service_azs = var.endpoint_service_azs

  internal_alb               = var.internal_alb
  allowed_cidrs              = var.allowed_cidrs
  certificate_arn            = lookup(var.certificate_arns, var.region, "")
  alb_deletion_protection    = var.alb_deletion_protection
  waf_web_acl_arn            = var.waf_web_acl_arn
  access_logs_retention_days = var.access_logs_retention_days
  force_destroy_logs         = var.force_destroy_logs
  domain_name                = var.domain_name
  dns_zone_id                = var.dns_zone_id
  dns_record_name            = var.dns_record_name
  token_rotation_days        = var.token_rotation_days
  token_recovery_window_days = var.token_recovery_window_days
  rotation_lambda_zip        = "${path.root}/../../build/token-rotation.zip"

  token_grace_period_minutes  = var.token_grace_period_minutes
  enable_auth_rule_read_guard = var.enable_auth_rule_read_guard
  auth_rule_reader_arns       = var.auth_rule_reader_arns

  image                    = var.image
  image_pull_through_cache = var.image_pull_through_cache
  task_cpu                 = var.task_cpu
  task_memory              = var.task_memory
  expected_vectors         = var.expected_vectors
  vector_dimensions        = var.vector_dimensions
  enable_execute_command   = var.enable_execute_command

  health_check_grace_period_seconds = var.health_check_grace_period_seconds

  existing_file_system_id           = var.existing_file_system_id
  existing_root_directory           = var.existing_root_directory
  existing_kms_key_arn              = var.existing_kms_key_arn
  efs_break_glass_role_arns         = var.efs_break_glass_role_arns
  backup_retention_days             = var.backup_retention_days
  backup_copy_retention_days        = var.backup_copy_retention_days
  backup_vault_lock_mode            = var.backup_vault_lock_mode
  backup_vault_lock_changeable_days = var.backup_vault_lock_changeable_days
  protect_data                      = var.protect_data
  enable_replication                = var.enable_replication
  enable_backup_copy                = var.enable_backup_copy
  enable_cross_region_dr            = var.enable_cross_region_dr

  log_retention_days                 = var.log_retention_days
  flow_logs_retention_days           = var.flow_logs_retention_days
  flow_logs_max_aggregation_interval = var.flow_logs_max_aggregation_interval
  alarm_emails                       = var.alarm_emails
  latency_p95_slo_ms                 = var.latency_p95_slo_ms
  rpo_minutes                        = var.rpo_minutes

  permissions_boundary_arn = var.permissions_boundary_arn
}
