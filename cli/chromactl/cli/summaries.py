"""The one-line summary of every verb, as `chromactl --help` lists it.

Click makes a list line from the first sentence of a verb's help and cuts it to fit the terminal
(click/core.py, Command.get_short_help_str -> click/utils.py, make_default_short_help), so long first
sentences showed as "Init, plan, confirm, apply, wait until stable and healthy,...". Each verb's own
`--help` keeps its full text; the list shows these, each a complete phrase that fits an 80-column
terminal (tests/unit/test_help_summaries.py).
"""

from __future__ import annotations

import typer

# verb path -> summary (at most MAX_LEN characters)
SUMMARIES: dict[str, str] = {
    "init": "Write an env's Terraform root and config here.",
    "envs": "List the envs, their regions and protection.",
    "doctor": "Check Terraform, credentials, regions and config.",
    "bootstrap": "Create the env's Terraform state bucket.",
    "plan": "Plan an env in a region to a saved file.",
    "apply": "Apply a saved plan (never plans again).",
    "up": "Plan, apply, wait until healthy, smoke-check.",
    "destroy": "Destroy an env's stack in a region.",
    "output": "Show the stack's outputs (never secret values).",
    "status": "Show service, targets, alarms, replication, backups.",
    "smoke": "Check the endpoint end to end.",
    "latency": "Measure query latency (closed or open loop).",
    "load": "Bulk-load vectors; rerun to resume.",
    "size": "Print the task size for N vectors of D dims.",
    "failover": "Rebuild the stack in another region, move the endpoint.",
    "drill": "Break one thing on purpose and measure the recovery.",
    "restore": "Restore a recovery point into a new file system.",
    "upgrade": "Upgrade Chroma: backup, apply, gate, roll back.",
    "manifest": "Record or show the data manifest a failover checks.",
    "manifest record": "Record the endpoint's collections and counts.",
    "manifest show": "Show the env's recorded manifest entries.",
    "token": "Rotate the API token, see its age, check its rules.",
    "token rotate": "Rotate the token with zero downtime.",
    "token age": "Show the token's age and rotation schedule.",
    "token check": "Check the token rules for drift (exit 1 on drift).",
    "backup": "Take or list on-demand AWS Backup recovery points.",
    "backup list": "List the env's recovery points.",
}
MAX_LEN = 55  # 80 columns - 2 indent - the longest verb (9) - 2 gap - Click's margin


def apply_summaries(app: typer.Typer, prefix: str = "") -> None:
    """Set each registered verb's short help from SUMMARIES (a verb missing from it keeps Click's cut line;
    the test says which)."""
    for info in app.registered_commands:
        name = info.name or (info.callback.__name__.replace("_", "-") if info.callback else "")
        summary = SUMMARIES.get(f"{prefix}{name}")
        if summary:
            info.short_help = summary
    for group in app.registered_groups:
        sub = group.typer_instance
        name = group.name or (sub.info.name if sub and isinstance(sub.info.name, str) else "")
        summary = SUMMARIES.get(f"{prefix}{name}")
        if summary:
            group.short_help = summary
        if sub is not None:
            apply_summaries(sub, f"{prefix}{name} ")
