"""The lifecycle core: Terraform runs per (env, region), plans, guards, outputs.

Modules, one job each:
- backend:  the backend config computed from env and region (S3, or the local
            test backend switched on by CHROMACTL_BACKEND=local);
- runner:   runs the Terraform CLI (per-region data dir, init fingerprint,
            Ctrl-C forwarded, errors turned into one sentence and a hint);
- summary:  what a plan does, by action and resource type;
- planfile: saved plans and their sidecar (which env/region/state they are for);
- guard:    confirmation rules (protected envs type the env's name);
- outputs:  `terraform output -json`, values only;
- core:     plan / apply / up / destroy orchestration and wait_stable.
"""
