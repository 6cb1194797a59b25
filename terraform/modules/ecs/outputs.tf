output "cluster_name" {
  description = "Name of the ECS cluster."
  value       = aws_ecs_cluster.this.name
}

output "cluster_arn" {
  description = "ARN of the ECS cluster."
  value       = aws_ecs_cluster.this.arn
}

output "service_name" {
  description = "Name of the ECS service (one task: the single writer)."
  value       = aws_ecs_service.this.name
}

output "task_definition_family" {
  description = "Family of the task definition."
  value       = aws_ecs_task_definition.this.family
}

output "task_definition_arn" {
  description = "ARN of the current task definition revision."
  value       = aws_ecs_task_definition.this.arn
}

output "task_security_group_id" {
  description = "ID of the task's security group."
  value       = aws_security_group.task.id
}

output "container_name" {
  description = "Name of the Chroma container."
  value       = local.container_name
}

output "container_port" {
  description = "Port Chroma listens on in the container."
  value       = local.container_port
}

output "data_path" {
  description = "Path in the container where the EFS access point is mounted (Chroma's persist_path)."
  value       = local.data_path
}

output "required_memory_mib" {
  description = "Memory the capacity rule requires for the declared vectors and dimensions, in MiB."
  value       = local.required_memory_mib
}

output "capacity" {
  description = "The capacity rule's figures for the declared vectors (README, Capacity rule): MiB at steady state and during a bulk load, the least task memory that holds both, and the health-check grace in use."
  value = {
    steady_state_mib                  = local.capacity_steady_mib
    during_load_mib                   = local.capacity_load_mib
    required_memory_mib               = local.required_memory_mib
    memory_mib                        = var.memory
    health_check_grace_period_seconds = local.health_check_grace_period_seconds
  }
}

output "execution_role_arn" {
  description = "ARN of the ECS task execution role (image pull, container logs)."
  value       = aws_iam_role.execution.arn

  # A task started before its role's policy exists cannot pull the image or create its log stream.
  depends_on = [aws_iam_role_policy.execution]
}

output "task_role_arn" {
  description = "ARN of the ECS task role (EFS mount through the access point; ECS Exec when enabled)."
  value       = aws_iam_role.task.arn

  # The task mounts EFS with this role from its first start.
  depends_on = [aws_iam_role_policy.task]
}

output "task_role_name" {
  description = "Name of the ECS task role."
  value       = aws_iam_role.task.name
}
