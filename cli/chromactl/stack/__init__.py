"""A deployed stack as data: its outputs (one frozen StackOutputs), and waiting until its service is
stable. stack/outputs.py reads `terraform output` once per run (through terraform/runner.py) and hands the typed result over."""
