locals {
  dns_suffix = var.partition == "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com"

  log_groups = {
    app       = "/${var.name}/app"
    flow_logs = "/${var.name}/vpc-flow-logs"
    ecs_exec  = "/${var.name}/ecs-exec"
    rotation  = "/aws/lambda/${var.lambda_function_name}"
  }

  alarm_actions = [aws_sns_topic.alarms.arn]

  alb_dimensions = {
    LoadBalancer = var.alb_arn_suffix
  }
  tg_dimensions = {
    LoadBalancer = var.alb_arn_suffix
    TargetGroup  = var.target_group_arn_suffix
  }
  service_dimensions = {
    ClusterName = var.cluster_name
    ServiceName = var.service_name
  }

  # TimeSinceLastSync is published with two dimensions, the source and the destination file system
  # (https://docs.aws.amazon.com/efs/latest/ug/efs-metrics.html): a query naming only FileSystemId matches
  # no data point at all.
  replication_dimensions = {
    FileSystemId            = var.file_system_id
    DestinationFileSystemId = var.replica_file_system_id
  }
}

# One customer managed key for the stack's logs; the alarm topic has its own (below).
resource "aws_kms_key" "logs" {
  description             = "${var.name}: CloudWatch Logs"
  enable_key_rotation     = true
  deletion_window_in_days = 30

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdministration"
        Effect    = "Allow"
        Principal = { AWS = "arn:${var.partition}:iam::${var.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "CloudWatchLogsUse"
        Effect    = "Allow"
        Principal = { Service = "logs.${var.region}.${local.dns_suffix}" }
        Action    = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
        Resource  = "*"
        Condition = {
          ArnLike = {
            "kms:EncryptionContext:aws:logs:arn" = "arn:${var.partition}:logs:${var.region}:${var.account_id}:log-group:*"
          }
        }
      },
    ]
  })

  tags = var.tags
}

resource "aws_kms_alias" "logs" {
  name          = "alias/${var.name}-logs"
  target_key_id = aws_kms_key.logs.key_id
}

# The alarm topic's own key: only what publishes to the topic may use it, not every log group's
# writer. CloudWatch alarms and EventBridge need Decrypt and GenerateDataKey on an encrypted topic's key
# (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
resource "aws_kms_key" "alarms" {
  description             = "${var.name}: the alarm SNS topic"
  enable_key_rotation     = true
  deletion_window_in_days = 30

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdministration"
        Effect    = "Allow"
        Principal = { AWS = "arn:${var.partition}:iam::${var.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "AlarmAndEventPublishersUse"
        Effect    = "Allow"
        Principal = { Service = ["cloudwatch.${local.dns_suffix}", "events.${local.dns_suffix}"] }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
        Condition = {
          StringEquals = { "aws:SourceAccount" = var.account_id }
        }
      },
    ]
  })

  tags = var.tags
}

resource "aws_kms_alias" "alarms" {
  name          = "alias/${var.name}-alarms"
  target_key_id = aws_kms_key.alarms.key_id
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338:Retention is an input per env (prod keeps 365 days; dev and staging keep less by choice, to save cost), validated against CloudWatch's allowed values.
  for_each = local.log_groups

  name              = each.value
  retention_in_days = each.key == "flow_logs" ? var.flow_logs_retention_days : var.log_retention_days
  kms_key_id        = aws_kms_key.logs.arn

  tags = merge(var.tags, { Purpose = each.key })
}

resource "aws_sns_topic" "alarms" {
  name              = "${var.name}-alarms"
  kms_master_key_id = aws_kms_key.alarms.arn

  tags = var.tags
}

resource "aws_sns_topic_policy" "alarms" {
  arn = aws_sns_topic.alarms.arn

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat([
      {
        Sid       = "CloudWatchAlarmsPublish"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.${local.dns_suffix}" }
        Action    = "sns:Publish"
        Resource  = aws_sns_topic.alarms.arn
        Condition = {
          StringEquals = { "aws:SourceAccount" = var.account_id }
        }
      },
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "sns:Publish"
        Resource  = aws_sns_topic.alarms.arn
        Condition = {
          Bool = { "aws:SecureTransport" = "false" }
        }
      },
      ], [for s in [{
        Sid       = "BackupFailureEventsPublish"
        Effect    = "Allow"
        Principal = { Service = "events.${local.dns_suffix}" }
        Action    = "sns:Publish"
        Resource  = aws_sns_topic.alarms.arn
        Condition = {
          ArnEquals = { "aws:SourceArn" = try(aws_cloudwatch_event_rule.backup_failures[0].arn, "") }
        }
    }] : s if var.backup_notifications])
  })
}

# ---------------------------------------------------------------- backup and copy job failures

# Failed, aborted or expired backup jobs and failed copy jobs of this region reach the alarm topic.
# EventBridge, not the vault notification API: that API's BACKUP_JOB_FAILED is a deprecated event that no
# longer sends anything (its only backup-job event is BACKUP_JOB_COMPLETED, every success included; see
# https://docs.aws.amazon.com/aws-backup/latest/devguide/API_PutBackupVaultNotifications.html), while
# EventBridge carries each job's state (https://docs.aws.amazon.com/aws-backup/latest/devguide/eventbridge.html).
# Copy jobs run in the source region, so their failures are seen here too.
resource "aws_cloudwatch_event_rule" "backup_failures" {
  count = var.backup_notifications ? 1 : 0

  name        = "${var.name}-backup-failures"
  description = "AWS Backup backup and copy jobs that did not complete"
  event_pattern = jsonencode({
    source        = ["aws.backup"]
    "detail-type" = ["Backup Job State Change", "Copy Job State Change"]
    detail        = { state = ["FAILED", "ABORTED", "EXPIRED"] }
  })

  tags = var.tags
}

resource "aws_cloudwatch_event_target" "backup_failures" {
  count = var.backup_notifications ? 1 : 0

  rule      = aws_cloudwatch_event_rule.backup_failures[0].name
  target_id = "alarm-topic"
  arn       = aws_sns_topic.alarms.arn
}

resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.alarm_emails)

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = each.value
}

# ---------------------------------------------------------------- alarms

resource "aws_cloudwatch_metric_alarm" "alb_5xx_rate" {
  alarm_name          = "${var.name}-alb-5xx-rate"
  alarm_description   = "5xx responses (target + ALB) above ${var.error_rate_threshold_percent}% of requests over 5 minutes."
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 1
  threshold           = var.error_rate_threshold_percent
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  metric_query {
    id          = "error_rate"
    expression  = "100 * (FILL(target_5xx, 0) + FILL(elb_5xx, 0)) / FILL(requests, 1)"
    label       = "5xx rate (%)"
    return_data = true
  }

  metric_query {
    id = "target_5xx"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_Target_5XX_Count"
      dimensions  = local.alb_dimensions
      period      = 300
      stat        = "Sum"
    }
  }

  metric_query {
    id = "elb_5xx"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_ELB_5XX_Count"
      dimensions  = local.alb_dimensions
      period      = 300
      stat        = "Sum"
    }
  }

  metric_query {
    id = "requests"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "RequestCount"
      dimensions  = local.alb_dimensions
      period      = 300
      stat        = "Sum"
    }
  }

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "target_response_time_p95" {
  alarm_name          = "${var.name}-target-response-time-p95"
  alarm_description   = "ALB TargetResponseTime p95 above ${var.target_response_time_p95_seconds} s for 3 of 3 minutes."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "TargetResponseTime"
  dimensions          = local.tg_dimensions
  extended_statistic  = "p95"
  period              = 60
  evaluation_periods  = 3
  datapoints_to_alarm = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.target_response_time_p95_seconds
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "unhealthy_hosts" {
  alarm_name          = "${var.name}-unhealthy-targets"
  alarm_description   = "At least one target of the ChromaDB target group is unhealthy."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "UnHealthyHostCount"
  dimensions          = local.tg_dimensions
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 2
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "running_tasks" {
  alarm_name          = "${var.name}-running-tasks-below-desired"
  alarm_description   = "The ChromaDB service runs fewer tasks than its desired count of 1 (Container Insights RunningTaskCount)."
  namespace           = "ECS/ContainerInsights"
  metric_name         = "RunningTaskCount"
  dimensions          = local.service_dimensions
  statistic           = "Minimum"
  period              = 60
  evaluation_periods  = 3
  comparison_operator = "LessThanThreshold"
  threshold           = 1
  treat_missing_data  = "breaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "cpu_high" {
  alarm_name          = "${var.name}-cpu-high"
  alarm_description   = "Service CPU above ${var.cpu_threshold_percent}% for 5 minutes: size the task up (one writer, no scale-out)."
  namespace           = "AWS/ECS"
  metric_name         = "CPUUtilization"
  dimensions          = local.service_dimensions
  statistic           = "Average"
  period              = 60
  evaluation_periods  = 5
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.cpu_threshold_percent
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "memory_high" {
  alarm_name          = "${var.name}-memory-high"
  alarm_description   = "Service memory above ${var.memory_threshold_percent}% for 5 minutes: the index is outgrowing the task (OOM risk)."
  namespace           = "AWS/ECS"
  metric_name         = "MemoryUtilization"
  dimensions          = local.service_dimensions
  statistic           = "Average"
  period              = 60
  evaluation_periods  = 5
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.memory_threshold_percent
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "efs_io_limit" {
  alarm_name          = "${var.name}-efs-io-limit"
  alarm_description   = "EFS PercentIOLimit above ${var.efs_utilisation_threshold_percent}%: the file system is near its I/O limit."
  namespace           = "AWS/EFS"
  metric_name         = "PercentIOLimit"
  dimensions          = { FileSystemId = var.file_system_id }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 5
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.efs_utilisation_threshold_percent
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  tags = var.tags
}

# Under Elastic throughput there is no provisioned or burst limit to measure MeteredIOBytes against;
# PermittedThroughput is then "the maximum write throughput of the file system"
# (https://docs.aws.amazon.com/efs/latest/ug/efs-metrics.html). So the alarm compares what the task
# writes (DataWriteIOBytes per second) with that ceiling: near it, writes (index flushes, compaction)
# are throttled.
resource "aws_cloudwatch_metric_alarm" "efs_write_throughput" {
  alarm_name          = "${var.name}-efs-write-throughput"
  alarm_description   = "EFS write throughput above ${var.efs_utilisation_threshold_percent}% of the maximum Elastic throughput permits (PermittedThroughput)."
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 5
  threshold           = var.efs_utilisation_threshold_percent
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  metric_query {
    id          = "utilisation"
    expression  = "100 * (written / PERIOD(written)) / permitted"
    label       = "Write throughput / permitted (%)"
    return_data = true
  }

  metric_query {
    id = "written"
    metric {
      namespace   = "AWS/EFS"
      metric_name = "DataWriteIOBytes"
      dimensions  = { FileSystemId = var.file_system_id }
      period      = 60
      stat        = "Sum"
    }
  }

  metric_query {
    id = "permitted"
    metric {
      namespace   = "AWS/EFS"
      metric_name = "PermittedThroughput"
      dimensions  = { FileSystemId = var.file_system_id }
      period      = 60
      stat        = "Average"
    }
  }

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "replication_lag" {
  count = var.replication_enabled ? 1 : 0

  alarm_name          = "${var.name}-efs-replication-lag"
  alarm_description   = "EFS replication TimeSinceLastSync above the RPO target of ${var.rpo_minutes} minutes."
  namespace           = "AWS/EFS"
  metric_name         = "TimeSinceLastSync"
  dimensions          = local.replication_dimensions
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.rpo_minutes * 60
  # With both dimensions the metric exists once the first sync is done; no data after that means
  # replication stopped reporting, which is as bad as lag.
  treat_missing_data = "breaching"
  alarm_actions      = local.alarm_actions
  ok_actions         = local.alarm_actions

  tags = var.tags
}

# Published by `chromactl latency --publish`: namespace Chromactl, metric LatencyP95 (Milliseconds), dimensions Env and Region.
resource "aws_cloudwatch_metric_alarm" "cli_latency_p95" {
  alarm_name          = "${var.name}-latency-p95-slo"
  alarm_description   = "The latency p95 measured by chromactl is above the env's SLO of ${var.latency_p95_slo_ms} ms."
  namespace           = "Chromactl"
  metric_name         = "LatencyP95"
  dimensions          = { Env = var.env, Region = var.region }
  unit                = "Milliseconds"
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.latency_p95_slo_ms
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  tags = var.tags
}

# ---------------------------------------------------------------- dashboard

# "All dashboards in your account are global, not region-specific"
# (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Dashboards.html): the name
# carries the region, so a failover rebuild of this env neither overwrites nor, on destroy, deletes
# the primary's dashboard.
resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = "${var.name}-${var.region}"

  dashboard_body = jsonencode({
    widgets = [
      {
        type = "metric", x = 0, y = 0, width = 12, height = 6
        properties = {
          title  = "Requests and 5xx"
          region = var.region
          stat   = "Sum"
          period = 60
          metrics = [
            ["AWS/ApplicationELB", "RequestCount", "LoadBalancer", var.alb_arn_suffix],
            [".", "HTTPCode_Target_5XX_Count", ".", "."],
            [".", "HTTPCode_ELB_5XX_Count", ".", "."],
            [".", "HTTPCode_ELB_4XX_Count", ".", "."],
          ]
        }
      },
      {
        type = "metric", x = 12, y = 0, width = 12, height = 6
        properties = {
          title  = "Target response time (s)"
          region = var.region
          period = 60
          metrics = [
            ["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", var.alb_arn_suffix, "TargetGroup", var.target_group_arn_suffix, { stat = "p50" }],
            ["...", { stat = "p95" }],
            ["...", { stat = "p99" }],
          ]
          annotations = { horizontal = [{ label = "p95 alarm", value = var.target_response_time_p95_seconds }] }
        }
      },
      {
        type = "metric", x = 0, y = 6, width = 12, height = 6
        properties = {
          title  = "Task CPU and memory (%)"
          region = var.region
          stat   = "Average"
          period = 60
          metrics = [
            ["AWS/ECS", "CPUUtilization", "ClusterName", var.cluster_name, "ServiceName", var.service_name],
            [".", "MemoryUtilization", ".", ".", ".", "."],
          ]
          annotations = { horizontal = [
            { label = "CPU alarm", value = var.cpu_threshold_percent },
            { label = "memory alarm", value = var.memory_threshold_percent },
          ] }
        }
      },
      {
        type = "metric", x = 12, y = 6, width = 12, height = 6
        properties = {
          title  = "Running tasks and healthy targets"
          region = var.region
          period = 60
          metrics = [
            ["ECS/ContainerInsights", "RunningTaskCount", "ClusterName", var.cluster_name, "ServiceName", var.service_name, { stat = "Minimum" }],
            ["AWS/ApplicationELB", "HealthyHostCount", "LoadBalancer", var.alb_arn_suffix, "TargetGroup", var.target_group_arn_suffix, { stat = "Minimum" }],
            [".", "UnHealthyHostCount", ".", ".", ".", ".", { stat = "Maximum" }],
          ]
        }
      },
      {
        type = "metric", x = 0, y = 12, width = 12, height = 6
        properties = {
          title  = "EFS"
          region = var.region
          period = 60
          metrics = [
            ["AWS/EFS", "PercentIOLimit", "FileSystemId", var.file_system_id, { stat = "Maximum" }],
            [".", "MeteredIOBytes", ".", ".", { stat = "Sum", yAxis = "right" }],
            [".", "StorageBytes", ".", ".", "StorageClass", "Total", { stat = "Average", yAxis = "right" }],
          ]
        }
      },
      {
        type = "metric", x = 12, y = 12, width = 12, height = 6
        properties = {
          title  = "chromactl latency p95 (ms) and replication lag (s)"
          region = var.region
          period = 300
          metrics = concat(
            [["Chromactl", "LatencyP95", "Env", var.env, "Region", var.region, { stat = "Maximum" }]],
            var.replication_enabled ? [[
              "AWS/EFS", "TimeSinceLastSync", "FileSystemId", var.file_system_id, "DestinationFileSystemId", var.replica_file_system_id,
              { stat = "Maximum", yAxis = "right" },
            ]] : [],
          )
          annotations = { horizontal = [{ label = "p95 SLO", value = var.latency_p95_slo_ms }] }
        }
      },
    ]
  })
}

# ---------------------------------------------------------------- Logs Insights

resource "aws_cloudwatch_query_definition" "errors" {
  name            = "${var.name}/errors"
  log_group_names = [aws_cloudwatch_log_group.this["app"].name]
  query_string    = <<-EOT
    fields @timestamp, @logStream, @message
    | filter @message like /(?i)(error|panic|fatal|exception)/
    | sort @timestamp desc
    | limit 200
  EOT
}

resource "aws_cloudwatch_query_definition" "slow_requests" {
  name            = "${var.name}/slow-requests"
  log_group_names = [aws_cloudwatch_log_group.this["app"].name]
  query_string    = <<-EOT
    fields @timestamp, @logStream, @message
    | parse @message /(?<duration_ms>\d+(\.\d+)?)\s?ms/
    | filter ispresent(duration_ms) and duration_ms > ${var.slow_request_ms}
    | sort duration_ms desc
    | limit 100
  EOT
}

# Each task writes its own log stream (prefix/container/task-id), so new streams are task (re)starts.
resource "aws_cloudwatch_query_definition" "task_restarts" {
  name            = "${var.name}/task-restarts"
  log_group_names = [aws_cloudwatch_log_group.this["app"].name]
  query_string    = <<-EOT
    fields @timestamp, @logStream
    | stats earliest(@timestamp) as started by @logStream
    | sort started desc
    | limit 50
  EOT
}
