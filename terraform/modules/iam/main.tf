locals {
  dns_suffix = var.partition == "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com"
  arn_prefix = "arn:${var.partition}"

  # The task role carries the confused-deputy conditions (ECS passes aws:SourceArn/aws:SourceAccount
  # when it assumes the task role: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html).
  # The execution role's trust policy is the plain one AWS documents, with no conditions
  # (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html), as in
  # terraform-aws-modules/terraform-aws-ecs modules/service/main.tf (conditions on the tasks role only).
  ecs_execution_trust = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ecs-tasks.${local.dns_suffix}" }
      Action    = "sts:AssumeRole"
    }]
  })

  ecs_task_trust = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ecs-tasks.${local.dns_suffix}" }
      Action    = "sts:AssumeRole"
      Condition = {
        StringEquals = { "aws:SourceAccount" = var.account_id }
        ArnLike      = { "aws:SourceArn" = "${local.arn_prefix}:ecs:${var.region}:${var.account_id}:*" }
      }
    }]
  })
}

# ---------------------------------------------------------------- ECS task execution role

resource "aws_iam_role" "execution" {
  name                 = "${var.name}-exec"
  description          = "ECS pulls the ChromaDB image and writes its logs"
  assume_role_policy   = local.ecs_execution_trust
  permissions_boundary = var.permissions_boundary_arn

  tags = var.tags
}

resource "aws_iam_role_policy" "execution" {
  name = "pull-and-log"
  role = aws_iam_role.execution.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid      = "WriteContainerLogs"
          Effect   = "Allow"
          Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
          Resource = "${var.app_log_group_arn}:log-stream:*"
        },
        {
          # GetAuthorizationToken has no resource-level permissions.
          Sid      = "EcrAuth"
          Effect   = "Allow"
          Action   = "ecr:GetAuthorizationToken"
          Resource = "*"
        },
      ],
      [for s in [{
        Sid      = "EcrPull"
        Effect   = "Allow"
        Action   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
        Resource = var.ecr_repository_arns
      }] : s if length(var.ecr_repository_arns) > 0],
      # The principal whose pull misses the cache creates the cached repository and imports the image
      # (https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-iam.html).
      [for s in [{
        Sid      = "EcrPullThroughCacheImport"
        Effect   = "Allow"
        Action   = ["ecr:CreateRepository", "ecr:BatchImportUpstreamImage"]
        Resource = var.ecr_repository_arns
      }] : s if var.ecr_pull_through_cache && length(var.ecr_repository_arns) > 0],
    )
  })
}

# ---------------------------------------------------------------- ECS task role

resource "aws_iam_role" "task" {
  name                 = "${var.name}-task"
  description          = "The ChromaDB task: mounts its EFS access point"
  assume_role_policy   = local.ecs_task_trust
  permissions_boundary = var.permissions_boundary_arn

  tags = var.tags
}

resource "aws_iam_role_policy" "task" {
  name = "efs-mount"
  role = aws_iam_role.task.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [{
        Sid      = "MountThroughAccessPoint"
        Effect   = "Allow"
        Action   = ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
        Resource = var.file_system_arn
        Condition = {
          StringEquals = { "elasticfilesystem:AccessPointArn" = var.access_point_arn }
        }
      }],
      [for s in [
        {
          # ssmmessages actions have no resource-level permissions.
          Sid      = "EcsExecChannels"
          Effect   = "Allow"
          Action   = ["ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"]
          Resource = "*"
        },
        {
          Sid      = "EcsExecLogging"
          Effect   = "Allow"
          Action   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
          Resource = ["${var.exec_log_group_arn}:*", "${var.exec_log_group_arn}:log-stream:*"]
        },
        {
          # logs:DescribeLogGroups has no resource-level permissions.
          Sid      = "EcsExecDescribeLogGroups"
          Effect   = "Allow"
          Action   = "logs:DescribeLogGroups"
          Resource = "*"
        },
        {
          Sid      = "EcsExecSessionKey"
          Effect   = "Allow"
          Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
          Resource = var.logs_kms_key_arn
        },
      ] : s if var.enable_execute_command],
    )
  })
}

# ---------------------------------------------------------------- token rotation function

resource "aws_iam_role" "rotation" {
  name        = "${var.name}-token-rotation"
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

  tags = var.tags
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
        Resource = var.token_secret_arn
      },
      {
        Sid      = "TokenKey"
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"]
        Resource = var.token_kms_key_arn
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
          var.https_listener_arn,
          "${replace(var.https_listener_arn, ":listener/", ":listener-rule/")}/*",
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
        Resource = "${var.rotation_log_group_arn}:log-stream:*"
      },
      {
        Sid    = "VpcEniCreate"
        Effect = "Allow"
        Action = "ec2:CreateNetworkInterface"
        Resource = concat(
          ["${local.arn_prefix}:ec2:${var.region}:${var.account_id}:network-interface/*"],
          ["${local.arn_prefix}:ec2:${var.region}:${var.account_id}:security-group/${var.rotation_security_group_id}"],
          [for s in var.rotation_subnet_ids : "${local.arn_prefix}:ec2:${var.region}:${var.account_id}:subnet/${s}"],
        )
      },
      {
        # Only the function's own ENIs: those in its subnets (ec2:Subnet is a condition key of the
        # network-interface resource for these actions: Service Authorization Reference, Amazon EC2,
        # https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html).
        Sid      = "VpcEniManage"
        Effect   = "Allow"
        Action   = ["ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"]
        Resource = "${local.arn_prefix}:ec2:${var.region}:${var.account_id}:network-interface/*"
        Condition = {
          ArnEquals = { "ec2:Subnet" = [for s in var.rotation_subnet_ids : "${local.arn_prefix}:ec2:${var.region}:${var.account_id}:subnet/${s}"] }
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

# ---------------------------------------------------------------- AWS Backup

resource "aws_iam_role" "backup" {
  name        = "${var.name}-backup"
  description = "AWS Backup backs up and restores the ChromaDB file system"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "backup.${local.dns_suffix}" }
      Action    = "sts:AssumeRole"
    }]
  })
  permissions_boundary = var.permissions_boundary_arn

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "backup" {
  for_each = toset(["AWSBackupServiceRolePolicyForBackup", "AWSBackupServiceRolePolicyForRestores"])

  role       = aws_iam_role.backup.name
  policy_arn = "${local.arn_prefix}:iam::aws:policy/service-role/${each.key}"
}

# ---------------------------------------------------------------- VPC flow logs

resource "aws_iam_role" "flow_logs" {
  name        = "${var.name}-flow-logs"
  description = "VPC Flow Logs writes to its encrypted log group"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "vpc-flow-logs.${local.dns_suffix}" }
      Action    = "sts:AssumeRole"
      Condition = {
        StringEquals = { "aws:SourceAccount" = var.account_id }
        ArnLike      = { "aws:SourceArn" = "${local.arn_prefix}:ec2:${var.region}:${var.account_id}:vpc-flow-log/*" }
      }
    }]
  })
  permissions_boundary = var.permissions_boundary_arn

  tags = var.tags
}

resource "aws_iam_role_policy" "flow_logs" {
  name = "write-flow-logs"
  role = aws_iam_role.flow_logs.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "WriteFlowLogs"
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
      Resource = ["${var.flow_logs_log_group_arn}:*", "${var.flow_logs_log_group_arn}:log-stream:*"]
    }]
  })
}
