# staging: 2 AZs, a NAT gateway per AZ, backup copies to us-west-2 (no replication),
# deletion protection on, sized for 1M vectors of 1536 dimensions.
# Values marked REPLACE are placeholders: put your own before the first apply.

env        = "staging"
account_id = "123456789012" # REPLACE with your AWS account ID

# chromactl passes region and failover_region with -var (from chromactl.toml [regions]); these match it
# so a plain `terraform plan` works too.
region          = "us-east-1"
failover_region = "us-west-2"

vpc_cidr = "10.30.0.0/16"
azs_by_region = {
  "us-east-1" = ["us-east-1a", "us-east-1b"]
  "us-west-2" = ["us-west-2a", "us-west-2b"]
}
single_nat_gateway   = false
enable_vpc_endpoints = true

internal_alb  = false
allowed_cidrs = ["203.0.113.0/24"] # REPLACE with your clients' networks (documentation range shown)
certificate_arns = {
  # REPLACE with ACM certificates for domain_name, one per region the env may run in.
  "us-east-1" = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000" # REPLACE
  "us-west-2" = "arn:aws:acm:us-west-2:123456789012:certificate/00000000-0000-0000-0000-000000000000" # REPLACE
}
alb_deletion_protection    = true
access_logs_retention_days = 90
domain_name                = "chroma-staging.example.com" # REPLACE with your domain

# Tag and digest (the 1.5.9 multi-arch index; check: docker buildx imagetools inspect chromadb/chroma:1.5.9).
image = "chromadb/chroma:1.5.9@sha256:1e0b73a187a28757c572acba508c46f48c9e8b0acaf5c20e6d95cdedce1acdf6"
# Pulled through an ECR pull-through cache, so no task depends on Docker Hub's anonymous pull limit
# (shared by every task behind the NAT IPs) during a failover. Create the secret (your Docker Hub user
# and access token) in every region the env may run in before the first apply.
image_pull_through_cache = {
  upstream               = "dockerhub"
  credential_secret_name = "ecr-pullthroughcache/docker-hub" # REPLACE if you named it otherwise
}
expected_vectors  = 1000000
vector_dimensions = 1536
# Capacity rule (`chromactl size -n 1000000 -d 1536`; ecs module README): steady state 6,516 MiB (64 % of the task, 20 % under the
# 80 % memory alarm or more), during a bulk load 7,813 MiB (76 %, under 90 %); health-check grace 250 s.
task_cpu    = 2048
task_memory = 10240

backup_retention_days      = 14
backup_copy_retention_days = 14
enable_replication         = false
# Governance lock: removable by a principal allowed backup:DeleteBackupVaultLockConfiguration.
backup_vault_lock_mode = "governance"
protect_data           = true
enable_backup_copy     = true

log_retention_days = 90
# Flow logs: bulky and for investigations only, so kept shorter; prod records at 1-minute resolution.
flow_logs_retention_days           = 30
flow_logs_max_aggregation_interval = 600
alarm_emails                       = ["oncall@example.com"] # REPLACE with your on-call address
latency_p95_slo_ms                 = 300
rpo_minutes                        = 60
