locals {
  container_name = "chroma"
  container_port = 8000
  data_path      = "/data" # persist_path of the image's /config.yaml (rust/frontend/sample_configs/docker_single_node.yaml)
  tmp_size_mib   = 512

  # Capacity rule (README "Capacity rule": measured by scripts/bench_capacity.py; the same rule is
  # cli/chromactl/sizing.py, held equal by tests/stack/test_capacity.py). Integer arithmetic, so both agree.
  #   index = vectors x (323 B + 4.20 B x dims)   steady = 55 MiB + index   load = 125 MiB + 1.19 x index
  capacity_fixed_bytes         = 55 * 1048576
  capacity_index_bytes         = ceil(var.expected_vectors * (323 * 100 + 420 * var.vector_dimensions) / 100)
  capacity_steady_bytes        = local.capacity_fixed_bytes + local.capacity_index_bytes
  capacity_load_bytes          = local.capacity_fixed_bytes + 70 * 1048576 + ceil(local.capacity_index_bytes * 119 / 100)
  capacity_steady_mib          = ceil(local.capacity_steady_bytes / 1048576)
  capacity_load_mib            = ceil(local.capacity_load_bytes / 1048576)
  capacity_headroom_percent    = 20 # steady state stays this far under the memory alarm
  capacity_load_ceiling        = 90 # a bulk load stays under this share of the task's memory (tmpfs, page cache)
  required_memory_steady_mib   = ceil(local.capacity_steady_bytes * 10000 / (var.memory_alarm_percent * (100 - local.capacity_headroom_percent) * 1048576))
  required_memory_load_mib     = ceil(local.capacity_load_bytes * 100 / (local.capacity_load_ceiling * 1048576))
  required_memory_mib          = max(local.required_memory_steady_mib, local.required_memory_load_mib)
  capacity_steady_percent      = floor(local.capacity_steady_bytes * 100 / (var.memory * 1048576))
  capacity_load_percent_of_mem = floor(local.capacity_load_bytes * 100 / (var.memory * 1048576))

  # Health-check grace (issue 12 item 16): a start plus reading the whole index from EFS at 50 MiB/s
  # (far under Elastic throughput's 1,500 MiB/s per client), capped at an hour, unless set.
  health_check_grace_period_seconds = coalesce(
    var.health_check_grace_period_seconds,
    min(3600, 120 + ceil(ceil(local.capacity_index_bytes / 1048576) / 50)),
  )

  container = {
    name      = local.container_name
    image     = var.image
    essential = true
    user      = "${var.posix_uid}:${var.posix_gid}"
    # ECS Exec's SSM agent must write into the container, so the root file system is
    # read-only exactly when Exec is off.
    readonlyRootFilesystem = !var.enable_execute_command
    stopTimeout            = 60

    portMappings = [{
      name          = "http"
      containerPort = local.container_port
      hostPort      = local.container_port
      protocol      = "tcp"
    }]

    # No secrets here: Chroma 1.x has no server-side auth; the token lives at the ALB.
    environment = [
      { name = "CHROMA_PERSIST_PATH", value = local.data_path },
      { name = "ANONYMIZED_TELEMETRY", value = "FALSE" },
    ]

    mountPoints = [
      { sourceVolume = "chroma-data", containerPath = local.data_path, readOnly = false },
    ]

    ulimits = [{ name = "nofile", softLimit = 65535, hardLimit = 65535 }]

    linuxParameters = {
      initProcessEnabled = var.enable_execute_command
      # Scratch space so the root file system can stay read-only. A tmpfs (Fargate supports
      # it since January 2026) is world-writable (mode 1777); an empty bind-mount volume on
      # Fargate is owned by root with mode 0755, so the container's uid 1000 could not write
      # to it (aws/containers-roadmap#938). Counts against the task's memory only when used. noexec: scratch
      # space for data, never for programs (the image runs nothing from /tmp).
      tmpfs = [{ containerPath = "/tmp", size = local.tmp_size_mib, mountOptions = ["rw", "nosuid", "nodev", "noexec"] }]
    }

    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = var.log_group_name
        awslogs-region        = var.region
        awslogs-stream-prefix = "chroma"
        mode                  = "non-blocking"
        max-buffer-size       = "25m"
      }
    }

    # No container health check: the image has no curl; the ALB checks GET /api/v2/heartbeat.
  }
}

resource "aws_ecs_cluster" "this" {
  name = var.name

  setting {
    name  = "containerInsights"
    value = var.container_insights
  }

  dynamic "configuration" {
    for_each = var.enable_execute_command ? [1] : []

    content {
      execute_command_configuration {
        kms_key_id = var.exec_kms_key_arn
        logging    = "OVERRIDE"

        log_configuration {
          cloud_watch_encryption_enabled = true
          cloud_watch_log_group_name     = var.exec_log_group_name
        }
      }
    }
  }

  tags = var.tags
}

resource "aws_ecs_cluster_capacity_providers" "this" {
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = ["FARGATE"]

  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    weight            = 1
    base              = 1
  }
}

resource "aws_ecs_task_definition" "this" {
  family                   = var.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = tostring(var.cpu)
  memory                   = tostring(var.memory)
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn
  container_definitions    = jsonencode([local.container])

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  volume {
    name = "chroma-data"

    efs_volume_configuration {
      file_system_id     = var.file_system_id
      transit_encryption = "ENABLED"

      authorization_config {
        access_point_id = var.access_point_id
        iam             = "ENABLED"
      }
    }
  }

  lifecycle {
    precondition {
      condition     = var.memory >= local.required_memory_steady_mib
      error_message = "memory ${var.memory} MiB cannot hold ${var.expected_vectors} vectors of ${var.vector_dimensions} dimensions at steady state: ${local.capacity_steady_mib} MiB is ${local.capacity_steady_percent} % of the task, over the ${var.memory_alarm_percent} % memory alarm less ${local.capacity_headroom_percent} % headroom; the capacity rule needs at least ${local.required_memory_mib} MiB (chromactl size --vectors ${var.expected_vectors} --dims ${var.vector_dimensions})."
    }
    precondition {
      condition     = var.memory >= local.required_memory_load_mib
      error_message = "memory ${var.memory} MiB cannot hold ${var.expected_vectors} vectors of ${var.vector_dimensions} dimensions during a bulk load: ${local.capacity_load_mib} MiB is ${local.capacity_load_percent_of_mem} % of the task, over ${local.capacity_load_ceiling} %; the capacity rule needs at least ${local.required_memory_mib} MiB (chromactl size --vectors ${var.expected_vectors} --dims ${var.vector_dimensions})."
    }
  }

  tags = var.tags

  # A task started before its roles' policies exist cannot pull the image, create its log stream or
  # mount EFS (the roles are in iam.tf of this module).
  depends_on = [aws_iam_role_policy.execution, aws_iam_role_policy.task]
}

resource "aws_security_group" "task" {
  name        = "${var.name}-task"
  description = "ChromaDB task: the container port from the ALB only"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-task" })
}

resource "aws_vpc_security_group_ingress_rule" "task_from_alb" {
  security_group_id            = aws_security_group.task.id
  description                  = "Chroma HTTP from the ALB"
  ip_protocol                  = "tcp"
  from_port                    = local.container_port
  to_port                      = local.container_port
  referenced_security_group_id = var.alb_security_group_id
}

resource "aws_vpc_security_group_egress_rule" "task_https" {
  security_group_id = aws_security_group.task.id
  description       = "HTTPS to the image registry (through NAT) and AWS APIs (through the VPC endpoints)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "task_nfs" {
  security_group_id = aws_security_group.task.id
  description       = "NFS to the EFS mount targets in this VPC"
  ip_protocol       = "tcp"
  from_port         = 2049
  to_port           = 2049
  cidr_ipv4         = var.vpc_cidr
}

# One writer per data directory (DESIGN.md #1): exactly one task, and a deployment
# stops the old task before it starts the new one (max 100 %, min 0 %).
resource "aws_ecs_service" "this" {
  name                               = var.name
  cluster                            = aws_ecs_cluster.this.arn
  task_definition                    = aws_ecs_task_definition.this.arn
  desired_count                      = 1
  launch_type                        = "FARGATE"
  platform_version                   = "LATEST"
  deployment_maximum_percent         = 100
  deployment_minimum_healthy_percent = 0
  health_check_grace_period_seconds  = local.health_check_grace_period_seconds
  enable_execute_command             = var.enable_execute_command
  enable_ecs_managed_tags            = true
  propagate_tags                     = "SERVICE"
  wait_for_steady_state              = var.wait_for_steady_state

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.task.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = var.target_group_arn
    container_name   = local.container_name
    container_port   = local.container_port
  }

  tags = var.tags

  depends_on = [aws_ecs_cluster_capacity_providers.this]
}
