output "kms_key_arn" {
  description = "ARN of the KMS key encrypting the log groups and the alarm topic."
  value       = aws_kms_key.logs.arn
}

output "log_group_names" {
  description = "Map of purpose (app, flow_logs, ecs_exec, rotation) to log group name."
  value       = { for k, v in aws_cloudwatch_log_group.this : k => v.name }
}

output "log_group_arns" {
  description = "Map of purpose (app, flow_logs, ecs_exec, rotation) to log group ARN (built from the name, so policies using it are known at plan time)."
  value       = { for k, v in aws_cloudwatch_log_group.this : k => "arn:${var.partition}:logs:${var.region}:${var.account_id}:log-group:${v.name}" }
}

output "app_log_group_name" {
  description = "Name of the ChromaDB container log group."
  value       = aws_cloudwatch_log_group.this["app"].name
}

output "alarm_topic_arn" {
  description = "ARN of the encrypted SNS topic every alarm notifies."
  value       = aws_sns_topic.alarms.arn
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}

output "alarm_names" {
  description = "Names of the alarms, by purpose."
  value = merge(
    {
      alb_5xx_rate             = aws_cloudwatch_metric_alarm.alb_5xx_rate.alarm_name
      target_response_time_p95 = aws_cloudwatch_metric_alarm.target_response_time_p95.alarm_name
      unhealthy_hosts          = aws_cloudwatch_metric_alarm.unhealthy_hosts.alarm_name
      running_tasks            = aws_cloudwatch_metric_alarm.running_tasks.alarm_name
      cpu_high                 = aws_cloudwatch_metric_alarm.cpu_high.alarm_name
      memory_high              = aws_cloudwatch_metric_alarm.memory_high.alarm_name
      efs_io_limit             = aws_cloudwatch_metric_alarm.efs_io_limit.alarm_name
      efs_write_throughput     = aws_cloudwatch_metric_alarm.efs_write_throughput.alarm_name
      cli_latency_p95          = aws_cloudwatch_metric_alarm.cli_latency_p95.alarm_name
    },
    var.replication_enabled ? { replication_lag = aws_cloudwatch_metric_alarm.replication_lag[0].alarm_name } : {},
  )
}

output "query_definition_names" {
  description = "Names of the saved CloudWatch Logs Insights queries (errors, slow requests, task restarts)."
  value = [
    aws_cloudwatch_query_definition.errors.name,
    aws_cloudwatch_query_definition.slow_requests.name,
    aws_cloudwatch_query_definition.task_restarts.name,
  ]
}
