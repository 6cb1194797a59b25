# Token auth at the ALB (DESIGN.md #2, issue 7). Terraform creates the secret, its
# key, the rotation function and its schedule; the function creates every token
# value, so no value ever enters Terraform state (there is no secret version here).

resource "aws_kms_key" "token" {
  description             = "${local.name}: ALB token secret and the rotation function's environment"
  enable_key_rotation     = true
  deletion_window_in_days = 30

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "AccountAdministration"
      Effect    = "Allow"
      Principal = { AWS = "arn:${local.partition}:iam::${var.account_id}:root" }
      Action    = "kms:*"
      Resource  = "*"
    }]
  })

  tags = local.tags
}

resource "aws_kms_alias" "token" {
  name          = "alias/${local.name}-token"
  target_key_id = aws_kms_key.token.key_id
}

resource "aws_secretsmanager_secret" "token" {
  name                    = "${local.name}/alb-token"
  description             = "Bearer token the ALB requires (lowercase letters and digits; rotated by ${local.rotation_function_name})"
  kms_key_id              = aws_kms_key.token.arn
  recovery_window_in_days = var.token_recovery_window_days

  tags = local.tags
}

resource "aws_security_group" "rotation" {
  name        = "${local.name}-token-rotation"
  description = "Token rotation function: HTTPS out to AWS APIs and the ALB"
  vpc_id      = module.vpc.vpc_id

  tags = merge(local.tags, { Name = "${local.name}-token-rotation" })
}

resource "aws_vpc_security_group_egress_rule" "rotation_https" {
  security_group_id = aws_security_group.rotation.id
  description       = "HTTPS to Secrets Manager and ELB APIs and to the ALB"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_lambda_function" "rotation" {
  #checkov:skip=CKV_AWS_116:Secrets Manager invokes the rotation function and records and retries failed steps itself; a DLQ would hold events no one replays.
  #checkov:skip=CKV_AWS_272:The zip is built reproducibly from this repository (make build); no AWS Signer profile exists for it.
  #checkov:skip=CKV_AWS_115:No reserved concurrency: Lambda keeps 100 (new accounts: 10) of the account's concurrency unreserved, so reserving even 1 fails CreateFunction in a new account; Secrets Manager already runs one rotation step at a time per secret.
  function_name    = local.rotation_function_name
  description      = "Rotates the ALB token of ${local.name} (create, set, test, finish)"
  role             = module.iam.rotation_role_arn
  runtime          = "python3.12"
  handler          = "handler.lambda_handler"
  filename         = var.rotation_lambda_zip
  source_code_hash = filebase64sha256(var.rotation_lambda_zip)
  timeout          = 60
  memory_size      = 256
  kms_key_arn      = aws_kms_key.token.arn

  # testSecret goes to this stack's ALB by its own DNS name: the env's domain may not point at
  # it yet (first apply; a failover rebuild before the DNS step). Where a domain is on the
  # certificate, the probe presents it as the TLS server name and Host and verifies it.
  environment {
    variables = merge(
      {
        AUTH_RULE_ARNS   = join(",", module.alb.auth_rule_arns)
        TARGET_GROUP_ARN = module.alb.target_group_arn
        ENDPOINT_URL     = "https://${module.alb.dns_name}"
        VERIFY_TLS       = local.verify_tls ? "true" : "false"
      },
      local.verify_tls ? { TLS_SERVER_NAME = local.endpoint_host } : {},
    )
  }

  vpc_config {
    subnet_ids         = module.vpc.private_subnet_ids
    security_group_ids = [aws_security_group.rotation.id]
  }

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format = "Text"
    log_group  = module.observability.log_group_names["rotation"]
  }

  tags = local.tags
}

resource "aws_lambda_permission" "rotation" {
  statement_id   = "AllowSecretsManagerInvoke"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.rotation.function_name
  principal      = "secretsmanager.amazonaws.com"
  source_arn     = aws_secretsmanager_secret.token.arn
  source_account = var.account_id
}

# Rotates once at creation (the rules start matching nothing), then every N days.
resource "aws_secretsmanager_secret_rotation" "token" {
  secret_id           = aws_secretsmanager_secret.token.id
  rotation_lambda_arn = aws_lambda_function.rotation.arn
  rotate_immediately  = true

  rotation_rules {
    automatically_after_days = var.token_rotation_days
  }

  # The test step calls the endpoint through the ALB: by the Route 53 name when the stack
  # manages one, which must exist first (a lookup before it would fail and be cached as NXDOMAIN).
  depends_on = [
    aws_lambda_permission.rotation,
    aws_lambda_function.rotation,
    module.iam,
    module.alb,
    module.ecs,
    aws_route53_record.endpoint,
  ]
}
