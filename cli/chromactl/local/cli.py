"""The local env's `destroy`: say what runs and what would be deleted, ask, then do it.

Kept beside the server code so the CLI layer stays one call: `--delete-data` names the directory
(size, files, collections when the server answers) and asks, by the one don't-ask policy
(chromactl.lifecycle.guard): `--yes` skips the question; without a terminal and without `--yes` it
refuses (exit 2) before anything is stopped or deleted; "no" is "cancelled", exit 1.
"""

from __future__ import annotations

from typing import Any

from chromactl.config import EnvConfig
from chromactl.lifecycle.guard import Change, confirm_change
from chromactl.local.server import data_to_delete, local_destroy
from chromactl.output import Output


def _what(plan: dict[str, Any]) -> str:
    cols = plan.get("collections")
    listed = ""
    if cols:
        shown = ", ".join(cols[:10]) + (f" and {len(cols) - 10} more" if len(cols) > 10 else "")
        listed = f", holding {len(cols)} collection(s): {shown}"
    elif cols == []:
        listed = ", holding no collections"
    return f"{plan['description']}{listed}"


def destroy_local(env: EnvConfig, output: Output, *, delete_data: bool, yes: bool, confirm_env: str | None = None) -> dict[str, Any]:
    plan = data_to_delete(env) if delete_data else None
    if plan is not None and plan["exists"]:
        confirm_change(env, output, Change(
            where=env.name,
            what=f"destroy --delete-data deletes {plan['path']}",
            question=f"Delete the local data directory {_what(plan)}?",
            refusal=f"Refusing to delete {plan['path']} without confirmation (not a terminal, no --yes).",
        ), yes=yes, confirm_env=confirm_env)  # "no" raises Cancelled: nothing was stopped or deleted
    data = local_destroy(env, delete_data=delete_data)
    if plan is not None:
        data["deleted"] = plan if data["data_deleted"] else None

    def render(console: Any) -> None:
        if data["was_running"]:
            console.print(f"stopped the local Chroma server of env '{env.name}' (pid {data['pid']}).", markup=False)
        else:
            stale = " (removed its stale state file)" if data.get("stale_state_removed") else ""
            console.print(f"no local Chroma server was running for env '{env.name}'{stale}.", markup=False)
        if data["data_deleted"] and plan is not None:
            console.print(f"deleted {_what(plan)}.", markup=False)
        elif delete_data:
            console.print(f"no data directory to delete ({data['data_dir']} does not exist).", markup=False)
        elif data.get("data_kept"):
            console.print(f"data kept in {data['data_dir']} (destroy --delete-data removes it).", markup=False)

    output.result(data, render)
    return data
