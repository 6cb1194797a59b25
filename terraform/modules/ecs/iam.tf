# The task's two roles (they were terraform/modules/iam until issue 15: each module owns its roles, as
# terraform-aws-modules/ecs does; terraform/stack/moved.tf carries the old addresses over).

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
  name                 = "${var.iam_name}-exec"
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
          Resource = "${var.log_group_arn}:log-stream:*"
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
  name                 = "${var.iam_name}-task"
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
          Resource = var.exec_kms_key_arn
        },
      ] : s if var.enable_execute_command],
    )
  })
}
