"""The CHROMACTL_* environment variables that code below the CLI reads: read once, here, into one
frozen Settings.

A `chromactl` run builds its Settings at the edge (cli/app.py's main, before the RunContext) and
installs it for the length of the command: nothing below reads os.environ for these, and a value
that does not parse is one ConfigError naming the variable where it is used (CHROMACTL_TF_TIMEOUT=abc
used to end a plan with "unexpected ValueError", raised when runner.py was imported). Code called without the CLI (the tests, a script
importing a workflow) gets `current()` built from the environment of that moment, so it behaves as
the CLI would with the same variables.

CHROMACTL_VERBOSE and CHROMACTL_PROFILE (global options) and the variables of verb options (CHROMACTL_ENV, CHROMACTL_REGION,
CHROMACTL_TOKEN_SECRET_ID) are Typer's envvar= options, read by Typer at the edge too.
tests/unit/test_settings.py fails when a module other than this one reads a CHROMACTL_* variable.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from chromactl.errors import ConfigError

# name -> what it sets (the README's "Environment variables" table; tests/unit/test_settings.py holds them equal)
VARIABLES: dict[str, str] = {
    "CHROMACTL_ROOT": "the project root (the --root option's variable)",
    "CHROMACTL_BACKEND": "where Terraform state lives: s3 (default) or local (this machine; tests and demos)",
    "CHROMACTL_TERRAFORM": "the Terraform (or OpenTofu) binary to run, a path or a name on PATH",
    "CHROMACTL_NO_BUNDLED_TERRAFORM": "1/true/yes: never fall back to the bundled Terraform",
    "CHROMACTL_TF_TIMEOUT": "seconds one Terraform command may run (default 3600)",
    "CHROMACTL_AWS_ENDPOINTS": 'JSON map of region to AWS endpoint URL, e.g. {"us-east-1": "http://127.0.0.1:5000"}',
    "CHROMACTL_EXTRA_REGIONS": "comma-separated region names to accept beyond the known ones",
    "CHROMACTL_MODULE_SOURCE": "the git repository `init` pins the Terraform modules from",
    "CHROMACTL_PROGRESS_EVERY": "seconds between progress lines when stderr is not a terminal (default 10)",
    "CHROMACTL_FAILOVER_ENDPOINT": "the endpoint failover's gate checks instead of the new stack's own",
    "CHROMACTL_JSON": "1/true/yes/on (Click's words for true): every verb prints its --json envelope (the --json option's variable)",
}

_TRUE = ("1", "true", "yes")


@dataclass(frozen=True)
class Settings:
    """A snapshot of the variables, taken once; a value is checked where it is used (a bad
    CHROMACTL_TF_TIMEOUT stops a Terraform run with a ConfigError, not `chromactl envs`)."""

    root: str | None = None
    backend: str = "s3"  # terraform/backend.py checks it where the backend is computed
    terraform: str | None = None
    no_bundled_terraform: bool = False
    tf_timeout: str = ""
    aws_endpoints: str = ""  # JSON; aws/session.py parses it when a client is made
    extra_regions: frozenset[str] = frozenset()
    module_source: str | None = None
    progress_every: str = ""
    failover_endpoint: str | None = None
    json: bool = False

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        def text(name: str) -> str | None:
            return environ.get(name, "").strip() or None

        return cls(
            root=text("CHROMACTL_ROOT"),
            backend=(environ.get("CHROMACTL_BACKEND", "").strip().lower() or "s3"),
            terraform=text("CHROMACTL_TERRAFORM"),
            no_bundled_terraform=environ.get("CHROMACTL_NO_BUNDLED_TERRAFORM", "").strip().lower() in _TRUE,
            tf_timeout=environ.get("CHROMACTL_TF_TIMEOUT", "").strip(),
            aws_endpoints=environ.get("CHROMACTL_AWS_ENDPOINTS", "").strip(),
            extra_regions=frozenset(r.strip() for r in environ.get("CHROMACTL_EXTRA_REGIONS", "").split(",") if r.strip()),
            module_source=text("CHROMACTL_MODULE_SOURCE"),
            progress_every=environ.get("CHROMACTL_PROGRESS_EVERY", "").strip(),
            failover_endpoint=text("CHROMACTL_FAILOVER_ENDPOINT"),
            # the words Click reads as true for a bool envvar (click/types.py, BoolParamType.bool_states)
            json=environ.get("CHROMACTL_JSON", "").strip().lower() in ("1", "true", "t", "yes", "y", "on"),
        )

    @property
    def tf_timeout_s(self) -> float:
        """Seconds one Terraform command may run: CHROMACTL_TF_TIMEOUT, default 3600."""
        return _seconds("CHROMACTL_TF_TIMEOUT", self.tf_timeout, 3600.0)

    @property
    def progress_every_s(self) -> float:
        """Lenient on purpose: a cadence that does not parse falls back to 10 s (it changes only how
        often a progress line is printed, never what a command does)."""
        try:
            value = float(self.progress_every or "10")
        except ValueError:
            return 10.0
        return value if math.isfinite(value) and value > 0 else 10.0


def _seconds(name: str, raw: str, default: float) -> float:
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{name}={raw!r} is not a number of seconds.", f"Set {name} to a positive number such as {default:g}, or unset it.")
    return value


_installed: Settings | None = None


def current() -> Settings:
    """The Settings of this run: the one the CLI installed, else the environment's as it is now."""
    return _installed if _installed is not None else Settings.from_environ(os.environ)


@contextlib.contextmanager
def installed(settings: Settings) -> Iterator[Settings]:
    """`settings` is what current() returns until the block ends (the CLI wraps one command in it)."""
    global _installed
    before = _installed
    _installed = settings
    try:
        yield settings
    finally:
        _installed = before
