# The role VPC Flow Logs delivers with. It was terraform/modules/iam until issue 15: each module owns its
# roles, as terraform-aws-modules/vpc does (vpc-flow-logs.tf); terraform/stack/moved.tf carries the old
# addresses over.

# ---------------------------------------------------------------- VPC flow logs

resource "aws_iam_role" "flow_logs" {
  name        = "${var.iam_name}-flow-logs"
  description = "VPC Flow Logs writes to its encrypted log group"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "vpc-flow-logs.${var.partition == "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com"}" }
      Action    = "sts:AssumeRole"
      Condition = {
        StringEquals = { "aws:SourceAccount" = var.account_id }
        ArnLike      = { "aws:SourceArn" = "arn:${var.partition}:ec2:${var.region}:${var.account_id}:vpc-flow-log/*" }
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
