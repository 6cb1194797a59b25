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

import typer
import typer.core
from click.core import ParameterSource

from chromactl import __version__
from chromactl.cli import (
    cmd_checks,
    cmd_day2,
    cmd_drill,
    cmd_envs,
    cmd_failover,
    cmd_init,
    cmd_lifecycle,
    cmd_size,
    cmd_token,
)
from chromactl.cli.context import RunContext
from chromactl.cli.summaries import apply_summaries
from chromactl.errors import EXIT_FAILED, EXIT_USAGE, Cancelled, ChangesPresent, ChromactlError
from chromactl.output import Output, no_color_env
from chromactl.render import ErrorInfo
from chromactl.settings import Settings, installed

# Help is plain Click text (rich_markup_mode=None: faster, and what a pipe wants), but Typer 0.19
# still escapes the "[default: ...]" and "[env var: ...]" brackets for rich whenever rich is
# importable (typer/core.py, TyperOption.get_help_record and TyperArgument: `if HAS_RICH:
# rich_utils.escape_before_html_export`), so they showed as "\[default: ...]". Nothing else in
# Typer reads HAS_RICH when the markup mode is None (usage errors use Click's own formatter).
typer.core.HAS_RICH = False

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
        from chromactl.modules import module_ref

        typer.echo(f"chromactl {__version__} (Chroma {CHROMA_VERSION}; scaffolds the stack module at {module_ref()})")
        raise typer.Exit(0)


@app.callback()
def _global(
    ctx: typer.Context,
    json_out: bool = typer.Option(False, "--json", help="Print results as JSON on stdout.", envvar="CHROMACTL_JSON"),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show what runs (commands, AWS calls).", envvar="CHROMACTL_VERBOSE"),
    no_color: bool = typer.Option(False, "--no-color", help="No colour and no other escape codes (also NO_COLOR set to anything)."),
    profile: str | None = typer.Option(None, "--profile", help="AWS profile to use.", envvar="CHROMACTL_PROFILE"),
    root: Path | None = typer.Option(None, "--root", help="The chromactl project folder (holding envs/).", envvar="CHROMACTL_ROOT"),  # noqa: B008
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
) -> None:
    """chromactl: production-grade self-hosted ChromaDB on AWS.

    Global options (--json, --verbose, --no-color, --profile, --root) go before or after the verb.
    """
    color = not no_color and not no_color_env()
    if root is not None:
        from chromactl.config import checked_root  # lazy: only with --root; --help stays at Typer

        # the error names what the user gave: the --root option, or the CHROMACTL_ROOT variable Click read for it
        given = "--root" if ctx.get_parameter_source("root") == ParameterSource.COMMANDLINE else "CHROMACTL_ROOT"
        root = checked_root(root, given)
    if isinstance(ctx.obj, RunContext):  # main()'s: it prints the --json envelope after the verb
        ctx.obj.output.json = ctx.obj.output.json or json_out
        ctx.obj.output.verbose, ctx.obj.output.color, ctx.obj.profile = verbose, color, profile
        ctx.obj.root = root
    else:
        ctx.obj = RunContext(output=Output(json=json_out, verbose=verbose, color=color), profile=profile, root=root)


for _module in (cmd_init, cmd_envs, cmd_lifecycle, cmd_checks, cmd_size, cmd_failover, cmd_token, cmd_drill, cmd_day2):
    _module.register(app)
apply_summaries(app)


# Global options, accepted before or after the verb (as gh, aws and copilot do): hoisted in front of
# the verb before Click parses, so each verb does not have to declare them. FLAG takes no value.
GLOBAL_FLAGS = frozenset({"--json", "--verbose", "-v", "--no-color"})
GLOBAL_VALUED = frozenset({"--profile", "--root"})


def hoist_global_options(args: list[str]) -> list[str]:
    """Move global options found after the verb to the front; `--` ends the options (kept as is)."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest.extend(args[i:])
            break
        name = arg.split("=", 1)[0]
        if arg in GLOBAL_FLAGS:
            front.append(arg)
        elif name in GLOBAL_VALUED:
            if "=" in arg:
                front.append(arg)
            elif i + 1 < len(args):
                front.extend(args[i : i + 2])
                i += 1
            else:
                rest.append(arg)  # no value: Click reports it
        else:
            rest.append(arg)
        i += 1
    return front + rest


def _print_error(exc: ChromactlError) -> None:
    """The sentence, its detail lines and the hint, on stderr (with --json too: the envelope has them as well)."""
    if isinstance(exc, Cancelled):  # the user said no at a prompt: that is all there is to say
        sys.stderr.write("cancelled\n")
        return
    sys.stderr.write(f"error: {exc.message}\n")
    detail = getattr(exc, "detail", None)
    if detail:
        sys.stderr.write("".join(f"  {line}\n" for line in detail.splitlines()))
    if exc.hint:
        sys.stderr.write(f"hint: {exc.hint}\n")


def _print_envelope(actx: RunContext, args: list[str], code: int, error: ErrorInfo | None) -> None:
    """With --json: the one document on stdout (chromactl.render), whatever happened.

    Nothing when no verb ran and nothing failed (`--help`, `--version`: Click printed them).
    """
    out = actx.output
    if not out.has_result and error is None:
        return
    from chromactl.render import dumps, envelope

    doc = envelope(out.command or command_of(args), code, out.pending if out.has_result else None, error)
    sys.stdout.write(dumps(doc) + "\n")
    sys.stdout.flush()


def verb_of(args: list[str]) -> str | None:
    """The verb of a hoisted command line: the first word that is neither a global option nor its value."""
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            return None
        if arg in GLOBAL_VALUED:
            i += 2
            continue
        if not arg.startswith("-"):
            return arg
        i += 1
    return None


def command_of(args: list[str]) -> str | None:
    """The verb's path from a hoisted command line, when the verb failed before naming itself: its words that
    name groups and commands of the app (`token rotate`, `backup list`)."""
    import click

    group: click.Command = typer.main.get_command(app)
    words: list[str] = []
    i = 0
    while i < len(args) and isinstance(group, click.Group):
        arg = args[i]
        if arg == "--":
            break
        if arg in GLOBAL_VALUED:
            i += 2
            continue
        if not arg.startswith("-"):
            sub = group.commands.get(arg)
            if sub is None:
                break
            words.append(arg)
            group = sub
        i += 1
    return " ".join(words) or None


def drift_check(args: list[str]) -> bool:
    """`plan --check`: Terraform's -detailed-exitcode, where 2 means changes present and every error is 1
    (https://developer.hashicorp.com/terraform/cli/commands/plan#detailed-exitcode)."""
    options = args[: args.index("--")] if "--" in args else args
    return verb_of(options) == "plan" and "--check" in options


def refusal_reason(exit_: SystemExit) -> str:
    """Click's own reason for refusing the command line ("No such option: --bogus"). Typer shows the
    UsageError and calls sys.exit inside its `except click.ClickException` block (typer/core.py, _main),
    so the SystemExit's __context__ is that error."""
    import click

    cause = exit_.__context__
    if isinstance(cause, click.ClickException):
        reason = cause.format_message().strip()
        if reason:
            return reason
    return "The command line was refused (the reason is on stderr)."


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `chromactl` console script."""
    args = hoist_global_options(list(sys.argv[1:] if argv is None else argv))
    # every CHROMACTL_* variable the code below reads, read once (chromactl/settings.py)
    run_settings = Settings.from_environ(os.environ)
    json_mode = "--json" in args or run_settings.json
    verbose = "--verbose" in args or "-v" in args
    # Under `plan --check` exit 2 means only "changes present": an error exits 1 whatever its kind.
    error_code = (lambda code: EXIT_FAILED if code == EXIT_USAGE else code) if drift_check(args) else (lambda code: code)
    actx = RunContext(output=Output(json=json_mode, verbose=verbose))
    code, error = 0, None
    try:
        # standalone mode: Typer reports usage errors itself (exit 2) and exits.
        with installed(run_settings):
            app(args=args, prog_name="chromactl", standalone_mode=True, obj=actx)
    except SystemExit as exc:
        raw = exc.code
        code = error_code(raw) if isinstance(raw, int) else (0 if raw is None else EXIT_FAILED)
        if raw == EXIT_USAGE and not actx.output.has_result:  # Click refused the command line (its reason is on stderr)
            error = ErrorInfo(refusal_reason(exc), "Run the verb with --help.", code)
    except ChangesPresent as exc:
        code = exc.exit_code
    except ChromactlError as exc:
        code = exc.exit_code = error_code(exc.exit_code)
        _print_error(exc)
        error = ErrorInfo(exc.message, exc.hint, code, getattr(exc, "detail", None))
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted.\n")
        code, error = 130, ErrorInfo("interrupted.", None, 130)
    except Exception as exc:  # noqa: BLE001 - the edge: never show a traceback by default
        if verbose:
            import traceback

            traceback.print_exc()
        message, hint = f"unexpected {type(exc).__name__}: {exc}", "run again with --verbose for details, and report it if it persists."
        sys.stderr.write(f"error: {message}\nhint: {hint}\n")
        code, error = EXIT_FAILED, ErrorInfo(message, hint, EXIT_FAILED)
    if actx.output.json:
        _print_envelope(actx, args, code, error)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
