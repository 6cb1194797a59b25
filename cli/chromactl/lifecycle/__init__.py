"""The lifecycle core: plans, applies and destroys per (env, region), and the rules around them.

Modules, one job each:
- plan:      init when needed, plan, its summary and sidecar, the checks before an apply;
- apply:     apply a saved plan, apply_region (failover's), destroy;
- summary:   what a plan does, by action and resource type;
- planfile:  saved plans and their sidecar (which env/region/state they are for);
- guard:     the one confirmation policy (protected envs type the env's name);
- secrets:   secrets scheduled for deletion that a plan would create again;
- placeholders, tfvars_values: what the tfvars say, and the value Terraform will use.

Terraform itself runs through chromactl.terraform (runner, backend, engine); the outputs are read
by chromactl.stack.outputs.
"""
