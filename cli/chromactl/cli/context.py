"""The RunContext: what every command gets from the global options, built once at the edge (cli/app.py).

Global environment variables (CHROMACTL_JSON, CHROMACTL_VERBOSE, CHROMACTL_PROFILE, CHROMACTL_ROOT)
are read here, once, through Typer's envvar= options; the values travel down as fields (the root
included: it is never written into os.environ for code below to find). The CHROMACTL_* variables the
code below reads are read once by cli/app.py's main into chromactl.settings.Settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import typer

from chromactl.output import Output


@dataclass
class RunContext:
    output: Output = field(default_factory=Output)
    profile: str | None = None
    root: Path | None = None  # --root / CHROMACTL_ROOT, checked; None: found from the working directory


AppContext = RunContext  # its old name


def command_name(ctx: typer.Context) -> str:
    """The verb's path without the program's name: `smoke`, `backup list`, `token rotate`."""
    return ctx.command_path.partition(" ")[2] or ctx.command_path


def app_context(ctx: typer.Context, json_flag: bool = False) -> RunContext:
    """The RunContext of this run; a verb-level --json switches JSON on too. Names the verb for the envelope."""
    obj = ctx.find_root().obj
    if not isinstance(obj, RunContext):
        obj = RunContext()
        ctx.find_root().obj = obj
    if json_flag:
        obj.output.json = True
    obj.output.command = command_name(ctx)
    return obj



def complete_env(ctx: typer.Context, incomplete: str) -> list[str]:
    """Shell completion for --env: the env names under envs/ of --root when the line has one, else of the
    project found from the working directory (nothing when no project is found)."""
    try:
        from chromactl.config import checked_root, list_envs

        given = ctx.find_root().params.get("root")
        root = checked_root(Path(given), "--root") if given else None
        return [name for name in list_envs(root) if name.startswith(incomplete)]
    except Exception:  # noqa: BLE001 - completion must never print an error into the shell
        return []


# Shared option declarations, so every verb spells them the same way.
JSON_OPT = typer.Option(False, "--json", help="Print the result as JSON on stdout.", envvar="CHROMACTL_JSON")
ENV_OPT = typer.Option(..., "--env", "-e", help="Environment name (a folder under envs/).", envvar="CHROMACTL_ENV", autocompletion=complete_env)
REGION_OPT = typer.Option(None, "--region", "-r", help="AWS region (default: the env's primary).", envvar="CHROMACTL_REGION")
# "Don't ask" (cli/chromactl/lifecycle/guard.py): --yes skips y/N questions; a protected env also needs its name.
YES_OPT = typer.Option(False, "--yes", "-y", help="Do not ask y/N (CI). Never enough on its own for a protected env: add --confirm-env NAME.")
AUTO_APPROVE_OPT = typer.Option(False, "--auto-approve", hidden=True, help="Old name of --yes.")
CONFIRM_ENV_OPT = typer.Option(
    None, "--confirm-env", metavar="NAME", help="Type the env's name here instead of at the prompt (protected envs, non-interactive runs)."
)
