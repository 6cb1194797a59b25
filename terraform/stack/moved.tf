# Issue 15: the roles of terraform/modules/iam moved to the modules that use them (each module owns its
# roles, as terraform-aws-modules do). These blocks carry every existing state's objects to their new
# addresses, so an upgrade plans no IAM delete/create: the names stay exactly as they were (IAM is
# global, the names carry the region). They live here, not in the env root: a root that calls this stack
# by a git source (what `chromactl init` writes) is another module package, and Terraform refuses a move
# from or to an object declared inside an external package ("Cross-package move statement",
# hashicorp/terraform internal/refactoring/move_validate.go), while terraform/stack and terraform/modules/*
# are one package. https://developer.hashicorp.com/terraform/language/modules/develop/refactoring: keep
# them, removing a moved block is a breaking change for anyone who has not applied since.
# Pinned by tests/stack/test_iam_moved.py (apply the pre-move root, plan this one on its state).

# the ECS task's two roles -> modules/ecs/iam.tf
moved {
  from = module.iam.aws_iam_role.execution
  to   = module.ecs.aws_iam_role.execution
}

moved {
  from = module.iam.aws_iam_role_policy.execution
  to   = module.ecs.aws_iam_role_policy.execution
}

moved {
  from = module.iam.aws_iam_role.task
  to   = module.ecs.aws_iam_role.task
}

moved {
  from = module.iam.aws_iam_role_policy.task
  to   = module.ecs.aws_iam_role_policy.task
}

# the token-rotation function's role -> auth.tf, beside the function
moved {
  from = module.iam.aws_iam_role.rotation
  to   = aws_iam_role.rotation
}

moved {
  from = module.iam.aws_iam_role_policy.rotation
  to   = aws_iam_role_policy.rotation
}

# the AWS Backup role -> modules/efs/iam.tf, beside the backup plan and selection
moved {
  from = module.iam.aws_iam_role.backup
  to   = module.efs.aws_iam_role.backup
}

moved {
  from = module.iam.aws_iam_role_policy_attachment.backup
  to   = module.efs.aws_iam_role_policy_attachment.backup
}

# the VPC Flow Logs role -> modules/vpc/iam.tf, beside the flow log
moved {
  from = module.iam.aws_iam_role.flow_logs
  to   = module.vpc.aws_iam_role.flow_logs
}

moved {
  from = module.iam.aws_iam_role_policy.flow_logs
  to   = module.vpc.aws_iam_role_policy.flow_logs
}
