# Token auth at the ALB (DESIGN.md #2, issues 7 and 14). Terraform creates the secret, its key,
# the rotation function, its schedules and alarms, and the listener (default 401) with the open
# heartbeat rule (terraform/modules/alb). The function creates every token value AND the two
# token rules on the listener: neither is a Terraform resource, so no value ever enters Terraform
# state or a plan, not even after a refresh (there is no secret version and no token rule here).

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

# ---------------------------------------------------------------- the function's role

# It was terraform/modules/iam until issue 15 (each module owns its roles); moved.tf carries the old
# addresses over. The name carries the region (IAM is global: a failover rebuild must not collide).

resource "aws_iam_role" "rotation" {
  name        = "${local.global_name}-token-rotation"
  description = "Rotates the ALB token: writes the secret, owns the two token rules"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.${local.dns_suffix}" }
      Action    = "sts:AssumeRole"
    }]
  })
  permissions_boundary = var.permissions_boundary_arn

  tags = local.tags
}

resource "aws_iam_role_policy" "rotation" {
  name = "rotate-token"
  role = aws_iam_role.rotation.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "TokenSecret"
        Effect   = "Allow"
        Action   = ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue", "secretsmanager:ListSecretVersionIds", "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"]
        Resource = aws_secretsmanager_secret.token.arn
      },
      {
        Sid      = "TokenKey"
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"]
        Resource = aws_kms_key.token.arn
      },
      {
        # The function owns the token rules of this one listener: it creates them (first
        # rotation, replaced listener), edits them and tags them (the grace period's end).
        # Service Authorization Reference, Elastic Load Balancing V2: CreateRule is authorized
        # on the listener and the new listener-rule, ModifyRule and AddTags on the listener-rule
        # (listener-rule/app/<lb-name>/<lb-id>/<listener-id>/<rule-id>).
        Sid    = "OwnAuthRules"
        Effect = "Allow"
        Action = ["elasticloadbalancing:CreateRule", "elasticloadbalancing:ModifyRule", "elasticloadbalancing:AddTags"]
        Resource = [
          module.alb.https_listener_arn,
          "${replace(module.alb.https_listener_arn, ":listener/", ":listener-rule/")}/*",
        ]
      },
      {
        # Describe* calls of ELBv2 have no resource-level permissions.
        Sid      = "ReadRules"
        Effect   = "Allow"
        Action   = ["elasticloadbalancing:DescribeRules", "elasticloadbalancing:DescribeTags"]
        Resource = "*"
      },
      {
        Sid      = "WriteLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = "${module.observability.log_group_arns["rotation"]}:log-stream:*"
      },
      {
        Sid    = "VpcEniCreate"
        Effect = "Allow"
        Action = "ec2:CreateNetworkInterface"
        Resource = concat(
          ["arn:${local.partition}:ec2:${var.region}:${var.account_id}:network-interface/*"],
          ["arn:${local.partition}:ec2:${var.region}:${var.account_id}:security-group/${aws_security_group.rotation.id}"],
          [for s in module.vpc.private_subnet_ids : "arn:${local.partition}:ec2:${var.region}:${var.account_id}:subnet/${s}"],
        )
      },
      {
        # Only the function's own ENIs: those in its subnets (ec2:Subnet is a condition key of the
        # network-interface resource for these actions: Service Authorization Reference, Amazon EC2,
        # https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html).
        Sid      = "VpcEniManage"
        Effect   = "Allow"
        Action   = ["ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"]
        Resource = "arn:${local.partition}:ec2:${var.region}:${var.account_id}:network-interface/*"
        Condition = {
          ArnEquals = { "ec2:Subnet" = [for s in module.vpc.private_subnet_ids : "arn:${local.partition}:ec2:${var.region}:${var.account_id}:subnet/${s}"] }
        }
      },
      {
        # EC2 Describe* and X-Ray segment uploads have no resource-level permissions.
        # DescribeSubnets is in AWSLambdaVPCAccessExecutionRole: Lambda checks the VPC setup with it.
        Sid      = "DescribeAndTrace"
        Effect   = "Allow"
        Action   = ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "xray:PutTraceSegments", "xray:PutTelemetryRecords"]
        Resource = "*"
      },
    ]
  })
}

# ---------------------------------------------------------------- the function

resource "aws_lambda_function" "rotation" {
  #checkov:skip=CKV_AWS_116:Secrets Manager invokes the rotation function and records and retries failed steps itself; a DLQ would hold events no one replays.
  #checkov:skip=CKV_AWS_272:The zip is built reproducibly from this repository (make build); no AWS Signer profile exists for it.
  #checkov:skip=CKV_AWS_115:No reserved concurrency: Lambda keeps 100 (new accounts: 10) of the account's concurrency unreserved, so reserving even 1 fails CreateFunction in a new account; Secrets Manager already runs one rotation step at a time per secret.
  function_name    = local.rotation_function_name
  description      = "Rotates the ALB token of ${local.name} (create, set, test, finish)"
  role             = aws_iam_role.rotation.arn
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
        LISTENER_ARN        = module.alb.https_listener_arn
        SECRET_ARN          = aws_secretsmanager_secret.token.arn
        TARGET_GROUP_ARN    = module.alb.target_group_arn
        ENDPOINT_URL        = "https://${module.alb.dns_name}"
        VERIFY_TLS          = local.verify_tls ? "true" : "false"
        GRACE_SECONDS       = tostring(var.token_grace_period_minutes * 60)
        STUCK_AFTER_SECONDS = tostring(var.token_stuck_after_minutes * 60)
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

  # Lambda checks at CreateFunction that a VPC function's role may create network interfaces.
  depends_on = [aws_iam_role_policy.rotation]
}

resource "aws_lambda_permission" "rotation" {
  statement_id   = "AllowSecretsManagerInvoke"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.rotation.function_name
  principal      = "secretsmanager.amazonaws.com"
  source_arn     = aws_secretsmanager_secret.token.arn
  source_account = var.account_id
}

# Rotates once at creation (until then the listener has no token rule: closed), then every N days.
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
    aws_iam_role_policy.rotation,
    module.alb,
    module.ecs,
    aws_route53_record.endpoint,
  ]
}

# ---------------------------------------------------------------- reconcile schedule

# Every few minutes the function reconciles the token rules with the secret: it re-creates rules
# that are missing (a replaced listener or ALB is closed at most this long, never for good), ends
# the previous token's grace period, and logs ROTATION_STUCK for a version left AWSPENDING.
resource "aws_cloudwatch_event_rule" "token_maintenance" {
  name                = "${local.name}-token-maintenance"
  description         = "Reconciles the ALB token rules of ${local.name} (missing rules, grace period, stuck rotation)"
  schedule_expression = var.token_maintenance_minutes == 1 ? "rate(1 minute)" : "rate(${var.token_maintenance_minutes} minutes)"

  tags = local.tags
}

resource "aws_cloudwatch_event_target" "token_maintenance" {
  rule  = aws_cloudwatch_event_rule.token_maintenance.name
  arn   = aws_lambda_function.rotation.arn
  input = jsonencode({ chromactl = "maintain" })

  # The next run comes soon anyway: a missed one is not replayed.
  retry_policy {
    maximum_event_age_in_seconds = 60
    maximum_retry_attempts       = 0
  }
}

resource "aws_lambda_permission" "token_maintenance" {
  statement_id   = "AllowEventBridgeMaintenance"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.rotation.function_name
  principal      = "events.amazonaws.com"
  source_arn     = aws_cloudwatch_event_rule.token_maintenance.arn
  source_account = var.account_id
}

# ---------------------------------------------------------------- alarms

# A failed rotation step (Secrets Manager retries it) or a failed maintenance run: the current
# token keeps working; the log group says why. AWS/Lambda publishes Errors per FunctionName.
resource "aws_cloudwatch_metric_alarm" "rotation_failed" {
  alarm_name          = "${local.name}-token-rotation-failed"
  alarm_description   = "The token rotation function failed (a rotation step or the scheduled maintenance). The current token still works. Read ${module.observability.log_group_names["rotation"]}, fix the cause, then run chromactl token rotate --env ${var.env} --abandon-pending."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = aws_lambda_function.rotation.function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [module.observability.alarm_topic_arn]
  ok_actions          = [module.observability.alarm_topic_arn]

  tags = local.tags
}

resource "aws_cloudwatch_log_metric_filter" "rotation_stuck" {
  name           = "${local.name}-token-rotation-stuck"
  log_group_name = module.observability.log_group_names["rotation"]
  pattern        = "\"ROTATION_STUCK\""

  metric_transformation {
    name          = "TokenRotationStuck"
    namespace     = "chromactl/${local.name}"
    value         = "1"
    default_value = "0"
  }
}

resource "aws_cloudwatch_metric_alarm" "rotation_stuck" {
  alarm_name          = "${local.name}-token-rotation-stuck"
  alarm_description   = "A token rotation has stayed AWSPENDING for over ${var.token_stuck_after_minutes} minutes. The current token still works. Read ${module.observability.log_group_names["rotation"]}, then run chromactl token rotate --env ${var.env} --abandon-pending."
  namespace           = "chromactl/${local.name}"
  metric_name         = aws_cloudwatch_log_metric_filter.rotation_stuck.metric_transformation[0].name
  statistic           = "Sum"
  period              = max(300, var.token_maintenance_minutes * 60)
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [module.observability.alarm_topic_arn]
  ok_actions          = [module.observability.alarm_topic_arn]

  tags = local.tags
}

# ---------------------------------------------------------------- who may read the token rules

# The token is readable by anyone allowed elasticloadbalancing:DescribeRules (ReadOnlyAccess
# includes it; the action has no resource-level permissions, so it cannot be denied for one
# listener only). The guard denies it to every principal but the rotation role and the listed
# operators; use the document as an SCP, or the managed policy on roles with ReadOnlyAccess.
locals {
  auth_rule_read_guard = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "DenyReadingTokenRules"
      Effect   = "Deny"
      Action   = "elasticloadbalancing:DescribeRules"
      Resource = "*"
      Condition = {
        ArnNotLike = { "aws:PrincipalArn" = concat([aws_iam_role.rotation.arn], var.auth_rule_reader_arns) }
      }
    }]
  })
}

resource "aws_iam_policy" "auth_rule_read_guard" {
  count = var.enable_auth_rule_read_guard ? 1 : 0

  name        = "${local.global_name}-deny-auth-rule-read"
  description = "Denies elasticloadbalancing:DescribeRules (it shows the ALB token) to all but the rotation role and the operators"
  policy      = local.auth_rule_read_guard

  tags = local.tags
}
