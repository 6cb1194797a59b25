"""The chromactl command line: a thin layer over the core modules.

Each verb lives in a `cmd_*` module that imports its heavy dependencies
(boto3, chromadb, rich tables) inside the function body, so start-up and
`--help` stay fast. Errors from the core (ChromactlError) become one sentence,
a hint and an exit code here, never a traceback.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

import typer

from chromactl import __version__
from chromactl.cli import cmd_checks, cmd_drill, cmd_envs, cmd_failover, cmd_lifecycle, cmd_token
from chromactl.cli.context import AppContext
from chromactl.errors import EXIT_FAILED, ChromactlError
from chromactl.output import Output

app = typer.Typer(
    name="chromactl",
    help="Production-grade self-hosted ChromaDB on AWS: plan, apply, check and fail over.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    add_completion=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from chromactl import CHROMA_VERSION

        typer.echo(f"chromactl {__version__} (Chroma {CHROMA_VERSION})")
        raise typer.Exit(0)


@app.callback()
def _global(
    ctx: typer.Context,
    json_out: bool = typer.Option(False, "--json", help="Print results as JSON on stdout.", envvar="CHROMACTL_JSON"),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show what runs (commands, AWS calls).", envvar="CHROMACTL_VERBOSE"),
    no_color: bool = typer.Option(False, "--no-color", help="No colour (also NO_COLOR=1).", envvar="NO_COLOR"),
    profile: Optional[str] = typer.Option(None, "--profile", help="AWS profile to use.", envvar="CHROMACTL_PROFILE"),
    root: Optional[Path] = typer.Option(None, "--root", help="The chromactl project folder (holding envs/).", envvar="CHROMACTL_ROOT"),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
) -> None:
    """chromactl: production-grade self-hosted ChromaDB on AWS."""
    output = Output(json=json_out, verbose=verbose, color=not no_color and "NO_COLOR" not in os.environ)
    if root is not None:
        os.environ["CHROMACTL_ROOT"] = str(root)
    ctx.obj = AppContext(output=output, profile=profile, root=None)


for _module in (cmd_envs, cmd_lifecycle, cmd_checks, cmd_failover, cmd_token, cmd_drill):
    _module.register(app)
__import__("chromactl.cli.cmd_size", fromlist=["register"]).register(app)  # chromactl size (issue 21)


def _print_error(exc: ChromactlError, json_mode: bool) -> None:
    if json_mode:
        import json

        sys.stdout.write(json.dumps({"error": exc.message, "hint": exc.hint, "exit_code": exc.exit_code}) + "\n")
    sys.stderr.write(f"error: {exc.message}\n")
    if exc.hint:
        sys.stderr.write(f"hint: {exc.hint}\n")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `chromactl` console script."""
    args = sys.argv[1:] if argv is None else argv
    json_mode = "--json" in args or os.environ.get("CHROMACTL_JSON", "") in ("1", "true")
    verbose = "--verbose" in args or "-v" in args
    try:
        # standalone mode: Typer reports usage errors itself (exit 2) and exits.
        app(args=args, prog_name="chromactl", standalone_mode=True)
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else EXIT_FAILED)
    except ChromactlError as exc:
        _print_error(exc, json_mode)
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted.\n")
        return 130
    except Exception as exc:  # noqa: BLE001 - the edge: never show a traceback by default
        if verbose:
            import traceback

            traceback.print_exc()
        sys.stderr.write(f"error: unexpected {type(exc).__name__}: {exc}\n")
        sys.stderr.write("hint: run again with --verbose for details, and report it if it persists.\n")
        return EXIT_FAILED
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
