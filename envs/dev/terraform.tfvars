# dev: 2 AZs, one shared NAT gateway, no VPC interface endpoints, no cross-region copies,
# deletion protection off (a sandbox), sized for 100k vectors of 1536 dimensions.
# Values marked REPLACE are placeholders: put your own before the first apply.

env        = "dev"
account_id = "123456789012" # REPLACE with your AWS account ID

# chromactl passes region and failover_region with -var (from chromactl.toml [regions]); these match it
# so a plain `terraform plan` works too.
region          = "us-east-1"
failover_region = "us-west-2"

vpc_cidr = "10.20.0.0/16"
azs_by_region = {
  "us-east-1" = ["us-east-1a", "us-east-1b"]
  "us-west-2" = ["us-west-2a", "us-west-2b"]
}
single_nat_gateway   = true
enable_vpc_endpoints = false

internal_alb  = false
allowed_cidrs = ["203.0.113.0/24"] # REPLACE with your clients' networks (documentation range shown)
certificate_arns = {
  # REPLACE with ACM certificates, one per region the env may run in.
  "us-east-1" = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000" # REPLACE
  "us-west-2" = "arn:aws:acm:us-west-2:123456789012:certificate/00000000-0000-0000-0000-000000000000" # REPLACE
}
alb_deletion_protection    = false
force_destroy_logs         = true
access_logs_retention_days = 30
domain_name                = "" # the ALB's own DNS name (TLS verification off in the rotation test)

token_recovery_window_days = 0

# Tag and digest (the 1.5.9 multi-arch index; check: docker buildx imagetools inspect chromadb/chroma:1.5.9).
image             = "chromadb/chroma:1.5.9@sha256:1e0b73a187a28757c572acba508c46f48c9e8b0acaf5c20e6d95cdedce1acdf6"
expected_vectors  = 100000
vector_dimensions = 1536
# Capacity rule (`chromactl size -n 100000 -d 1536`; ecs module README): steady state 702 MiB (34 % of the task, 20 % under the
# 80 % memory alarm or more), during a bulk load 894 MiB (44 %, under 90 %); health-check grace 133 s.
task_cpu    = 512
task_memory = 2048

backup_retention_days = 7
enable_replication    = false
# A sandbox: no vault lock, and destroy may remove the data.
backup_vault_lock_mode = "none"
protect_data           = false
enable_backup_copy     = false

log_retention_days = 30
# Flow logs: bulky and for investigations only, so kept shorter; prod records at 1-minute resolution.
flow_logs_retention_days           = 7
flow_logs_max_aggregation_interval = 600
latency_p95_slo_ms                 = 500
rpo_minutes                        = 1440
