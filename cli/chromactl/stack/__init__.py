"""A deployed stack as data: its outputs (one frozen StackOutputs), and waiting until its service is
stable. No Terraform runs here (lifecycle/outputs.py reads `terraform output` once and hands the result over)."""
