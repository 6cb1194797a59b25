"""Run real Terraform offline against the test-only AWS provider.

The library the tests, `scripts/tf-offline` and `make validate` use:

    env = offline_env(tmp)                  # CLI config with dev_overrides, no TF_* leaks
    root = copy_root("envs/prod", tmp)      # terraform/ + envs/prod, relative paths kept
    result = validate(root)                 # terraform validate -json, parsed
    plan = plan_json(root, vars={...})      # plan to a file, then show -json, parsed

Terraform finds the provider through a CLI config: `dev_overrides` points
hashicorp/aws at tools/tfoffline/bin (the launcher), and a filesystem mirror
holding the same launcher lets `terraform init` (needed for modules and the
backend) succeed without asking the registry. Proxy variables point at a
closed local port, so any network attempt fails at once instead of hanging.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from chromactl.errors import ChromactlError, ConfigError, OperationFailed, UsageError

REPO = Path(__file__).resolve().parents[2]
PKG_DIR = Path(__file__).resolve().parent
LAUNCHER_DIR = PKG_DIR / "bin"
PROVIDER_SCRIPT = PKG_DIR / "provider.py"
PROVIDER_VERSION = "6.69.1"
SCHEMA_FILE = PKG_DIR / "schema" / f"aws-{PROVIDER_VERSION}.json.gz"
PROVIDER_PYTHON = REPO / ".venv-tfprov" / "bin" / "python"
OVERRIDE_NAME = "_tfoffline_override.tf"
ALIASES_NAME = "_tfoffline_providers.tf"
STUB_REGION = (
    "us-west-2"  # region of stub provider configurations for a module's configuration_aliases
)
PLAN_NAME = "tfoffline.tfplan"
VARS_NAME = "tfoffline-vars.tfvars.json"
DEFAULT_TIMEOUT = 600
_DEAD_PROXY = "http://127.0.0.1:9"  # discard port: nothing listens, a network attempt fails at once


class NotATerraformRoot(UsageError):
    """The directory holds no *.tf file."""


class SchemaUnavailable(ConfigError):
    """The provider schema snapshot is missing or unreadable."""


class ProviderEnvMissing(ConfigError):
    """The provider's own Python environment (.venv-tfprov) is missing."""


class TerraformFailed(OperationFailed):
    """A Terraform command failed; `.output` holds what it printed."""

    def __init__(
        self, message: str, hint: str | None = None, *, output: str = "", returncode: int = 1
    ):
        super().__init__(message, hint)
        self.output = output
        self.returncode = returncode


# --------------------------------------------------------------------------- checks


def schema_path() -> Path:
    return Path(os.environ.get("TFOFFLINE_SCHEMA") or SCHEMA_FILE)


def provider_python() -> Path:
    return Path(os.environ.get("TFOFFLINE_PYTHON") or PROVIDER_PYTHON)


@lru_cache(maxsize=8)
def _check_schema_cached(path: str, mtime_ns: int, size: int) -> dict[str, int]:
    try:
        with gzip.open(path, "rb") as fh:
            doc = json.loads(fh.read())
        provider = doc["provider_schemas"]["registry.terraform.io/hashicorp/aws"]
        counts = {
            "resource_types": len(provider["resource_schemas"]),
            "data_sources": len(provider["data_source_schemas"]),
        }
    except (OSError, EOFError, ValueError, KeyError, TypeError) as exc:
        kind = type(exc).__name__
        raise SchemaUnavailable(
            f"The offline provider schema {path} is corrupt ({kind}).",
            "Restore it with `git checkout tools/tfoffline/schema` or regenerate it: python -m tfoffline gen-schema.",
        ) from None
    if counts["resource_types"] == 0:
        raise SchemaUnavailable(
            f"The offline provider schema {path} holds no resource types.",
            "Regenerate it: python -m tfoffline gen-schema.",
        )
    return counts


def check_schema() -> dict[str, int]:
    """Raise SchemaUnavailable unless the schema snapshot loads; return its counts."""
    path = schema_path()
    try:
        st = path.stat()
    except OSError:
        raise SchemaUnavailable(
            f"The offline provider schema {path} is missing.",
            "Restore it with `git checkout tools/tfoffline/schema` or regenerate it: python -m tfoffline gen-schema.",
        ) from None
    return _check_schema_cached(str(path), st.st_mtime_ns, st.st_size)


def check_provider_env() -> None:
    py = provider_python()
    if not (py.is_file() and os.access(py, os.X_OK)):
        raise ProviderEnvMissing(
            f"The offline provider's Python environment is missing ({py} not found).",
            "Run `make setup` to create .venv-tfprov.",
        )


class Zygote:
    """A running tools/tfoffline/zygote.py: a warm parent that forks provider processes. Put
    `socket` in TFOFFLINE_ZYGOTE for the Terraform runs that should use it; stop() ends it."""

    def __init__(self, proc: subprocess.Popen[bytes], socket: Path):
        self.proc = proc
        self.socket = socket

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=timeout)


def start_zygote(directory: Path, timeout: float = 60.0) -> Zygote:
    """Start a provider zygote listening on DIRECTORY/zygote.sock; returns once it is ready."""
    check_provider_env()
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    sock = directory / "zygote.sock"
    if len(str(sock)) > 100:  # sun_path holds 108 bytes
        raise ConfigError(
            f"The zygote socket path {sock} is too long for a unix socket.",
            "Use a shorter directory.",
        )
    sock.unlink(missing_ok=True)
    log = open(directory / "zygote.log", "wb")  # noqa: SIM115 - handed to the child
    proc = subprocess.Popen(
        [str(provider_python()), str(PKG_DIR / "zygote.py"), "serve", str(sock)],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    log.close()
    deadline = time.monotonic() + timeout
    while not sock.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            Zygote(proc, sock).stop()
            raise ConfigError(
                f"The offline provider zygote did not start: {(directory / 'zygote.log').read_text()[-500:]}",
                "Run without it (unset TFOFFLINE_ZYGOTE) or check .venv-tfprov.",
            )
        time.sleep(0.02)
    return Zygote(proc, sock)


def check_root(root: Path) -> Path:
    root = Path(root)
    if not root.is_dir():
        raise NotATerraformRoot(
            f"{root} is not a directory.", "Pass a Terraform root such as envs/prod."
        )
    if not any(p.name not in (OVERRIDE_NAME, ALIASES_NAME) for p in root.glob("*.tf")):
        raise NotATerraformRoot(
            f"{root} is not a Terraform root: it holds no *.tf file.",
            "Pass a directory with Terraform configuration, such as envs/prod.",
        )
    return root


@lru_cache(maxsize=4)
def _engine_cached(key: tuple[str, str]) -> Any:
    from chromactl.terraform.engine import resolve

    return resolve()


def engine() -> Any:
    """The Terraform engine (chromactl's resolver), resolved once per PATH/CHROMACTL_TERRAFORM."""
    return _engine_cached((os.environ.get("CHROMACTL_TERRAFORM", ""), os.environ.get("PATH", "")))


# --------------------------------------------------------------------------- CLI config and env


def _mirror_launcher(repo: Path) -> str:
    return (
        "#!/usr/bin/env bash\n"
        "# tfoffline: the offline AWS provider (only `terraform init` sees this copy; dev_overrides run bin/).\n"
        f'exec "{repo / "tools" / "tfoffline" / "bin" / "terraform-provider-aws"}" "$@"\n'
    )


def terraform_platform() -> str:
    """Terraform's name for this machine's platform (linux_amd64, darwin_arm64, ...)."""
    import platform
    import sys

    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(
        machine, machine
    )
    system = (
        "darwin"
        if sys.platform == "darwin"
        else ("windows" if sys.platform.startswith("win") else "linux")
    )
    return f"{system}_{arch}"


def write_cli_config(dest_dir: Path) -> Path:
    """Write the offline CLI config (and its provider mirror) into dest_dir; return the config file."""
    dest_dir = Path(dest_dir)
    mirror = dest_dir / "mirror"
    plat = (
        mirror
        / "registry.terraform.io"
        / "hashicorp"
        / "aws"
        / PROVIDER_VERSION
        / terraform_platform()
    )
    plat.mkdir(parents=True, exist_ok=True)
    launcher = plat / "terraform-provider-aws"
    text = _mirror_launcher(REPO)
    if not launcher.is_file() or launcher.read_text() != text:
        launcher.write_text(text)
        launcher.chmod(0o755)
    config = dest_dir / "tfoffline.tfrc"
    content = (
        "# Written by tfoffline: Terraform uses the offline test provider for hashicorp/aws.\n"
        "provider_installation {\n"
        "  dev_overrides {\n"
        f'    "hashicorp/aws" = "{LAUNCHER_DIR}"\n'
        "  }\n"
        "  filesystem_mirror {\n"
        f'    path    = "{mirror}"\n'
        '    include = ["registry.terraform.io/hashicorp/aws"]\n'
        "  }\n"
        "  direct {\n"
        '    exclude = ["registry.terraform.io/hashicorp/aws"]\n'
        "  }\n"
        "}\n"
        "disable_checkpoint = true\n"
    )
    if not config.is_file() or config.read_text() != content:
        config.write_text(content)
    return config


def offline_env(tmp: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """A copy of the environment for offline Terraform: our CLI config, no TF_* leaks, no network."""
    src = dict(os.environ if base is None else base)
    env = {k: v for k, v in src.items() if not k.upper().startswith("TF_")}
    for k in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "http_proxy",
        "https_proxy",
        "NO_PROXY",
        "no_proxy",
        "ALL_PROXY",
        "all_proxy",
    ):
        env.pop(k, None)
    env["TF_CLI_CONFIG_FILE"] = str(write_cli_config(Path(tmp)))
    env["CHECKPOINT_DISABLE"] = "1"
    env["TF_IN_AUTOMATION"] = "1"
    env["TF_INPUT"] = "0"
    env["HTTPS_PROXY"] = env["HTTP_PROXY"] = _DEAD_PROXY
    env["https_proxy"] = env["http_proxy"] = _DEAD_PROXY
    # local test servers (moto, chroma on 127.0.0.1) stay reachable
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost,::1"
    return env


def default_workdir() -> Path:
    """A per-user scratch directory for the CLI config and out-of-tree data dirs."""
    d = (
        Path(tempfile.gettempdir())
        / f"tfoffline-{os.getuid()}-{hashlib.sha256(str(REPO).encode()).hexdigest()[:8]}"
    )
    d.mkdir(parents=True, exist_ok=True)
    return d


# --------------------------------------------------------------------------- roots

_COPY_IGNORE = shutil.ignore_patterns(
    ".terraform",
    ".terraform.lock.hcl",
    "*.tfstate",
    "*.tfstate.*",
    "*.tfplan",
    OVERRIDE_NAME,
    ALIASES_NAME,
    PLAN_NAME,
    VARS_NAME,
    "__pycache__",
)


def copy_root(rel_dir: str, dest: Path, repo: Path | None = None) -> Path:
    """Copy terraform/ and rel_dir (and build/ if present) under dest, keeping relative paths; return the root."""
    repo = repo or REPO
    rel = Path(rel_dir)
    if rel.is_absolute():
        try:
            rel = rel.resolve().relative_to(repo)
        except ValueError:
            raise NotATerraformRoot(
                f"{rel_dir} is outside the project.", "Pass a path relative to the project root."
            ) from None
    src = repo / rel
    check_root(src)
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for top in ("terraform", "build"):
        if (repo / top).is_dir() and not (dest / top).exists():
            shutil.copytree(repo / top, dest / top, ignore=_COPY_IGNORE, symlinks=True)
    target = dest / rel
    if not target.exists():
        # symlinks=False: env roots link their .tf files to envs/_root (one copy for every
        # env); the copy gets the files themselves, so it plans without envs/_root beside it.
        shutil.copytree(src, target, ignore=_COPY_IGNORE, symlinks=False)
    return target


_ALIASES_RE = re.compile(r"configuration_aliases\s*=\s*\[([^\]]*)\]")


def configuration_aliases(root: Path) -> list[str]:
    """The `aws.<alias>` entries a root declares in configuration_aliases (a module used as a root)."""
    found: list[str] = []
    for tf in sorted(Path(root).glob("*.tf")):
        if tf.name in (OVERRIDE_NAME, ALIASES_NAME):
            continue
        text = re.sub(r"(?m)^\s*(#|//).*$", "", tf.read_text(errors="replace"))
        for m in _ALIASES_RE.finditer(text):
            for item in re.split(r"[\s,]+", m.group(1)):
                if item.startswith("aws.") and item not in found:
                    found.append(item)
    return found


def provider_alias_stubs(root: Path) -> Path | None:
    """A module declaring `configuration_aliases = [aws.failover]` cannot be validated or planned as a
    root (Terraform: "Provider configuration not present"); write _tfoffline_providers.tf with one
    provider block per alias (region us-west-2) so it can. Returns the file, or None if not needed."""
    aliases = configuration_aliases(root)
    path = Path(root) / ALIASES_NAME
    if not aliases:
        return None
    blocks = "".join(
        f'provider "aws" {{\n  alias  = "{a.split(".", 1)[1]}"\n  region = "{STUB_REGION}"\n}}\n\n'
        for a in aliases
    )
    path.write_text(
        "# Written by tfoffline: stub configurations for this module's provider aliases.\n" + blocks
    )
    return path


def local_backend_override(root: Path, state_path: Path | None = None) -> Path:
    """Write _tfoffline_override.tf: the backend becomes local, so `backend "s3" {}` roots plan offline.
    A module root that declares configuration_aliases also gets its alias stubs (provider_alias_stubs)."""
    root = Path(root)
    provider_alias_stubs(root)
    body = f'    path = "{state_path}"\n' if state_path else ""
    path = root / OVERRIDE_NAME
    path.write_text(
        "# Written by tfoffline for offline runs; never commit (it is in .gitignore).\n"
        "terraform {\n"
        '  backend "local" {\n'
        f"{body}"
        "  }\n"
        "}\n"
    )
    return path


# --------------------------------------------------------------------------- running Terraform


def _env_for(root: Path, env: Mapping[str, str] | None) -> dict[str, str]:
    if env is not None:
        return dict(env)
    return offline_env(default_workdir())


def run(
    root: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    check: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run `terraform ARGS` in root with the offline provider; output captured as text."""
    check_schema()
    check_provider_env()
    eng = engine()
    root = Path(root)
    argv = [*eng.argv, *args]
    try:
        proc = subprocess.run(
            argv,
            cwd=root,
            env=_env_for(root, env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        raise TerraformFailed(
            f"terraform {args[0] if args else ''} in {root} did not finish within {timeout:.0f} s.",
            "Look for a hung provider or a prompt; run it by hand with scripts/tf-offline.",
            output=out,
        ) from None
    if check and proc.returncode != 0:
        raise _failed(args, root, proc)
    return proc


def first_error(text: str) -> str:
    lines = [ln.strip(" │╷╵") for ln in text.splitlines()]
    for i, ln in enumerate(lines):
        if ln.startswith("Error:"):
            return ln[len("Error:") :].strip()
    meaningful = [ln for ln in lines if ln.strip()]
    return meaningful[-1] if meaningful else "no output"


def _failed(
    args: Iterable[str], root: Path, proc: subprocess.CompletedProcess[str]
) -> TerraformFailed:
    cmd = next(iter(args), "")
    err = first_error(proc.stderr or proc.stdout)
    return TerraformFailed(
        f"terraform {cmd} failed in {root}: {err.rstrip('.')}.",
        "Read the full output (TerraformFailed.output) or run it by hand with scripts/tf-offline.",
        output=(proc.stdout or "") + (proc.stderr or ""),
        returncode=proc.returncode,
    )


def _parse_json_lines(text: str) -> list[dict[str, Any]]:
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
    return out


def init(
    root: Path, env: Mapping[str, str] | None = None, timeout: float = DEFAULT_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    """`terraform init` with the local backend override; raises TerraformFailed on failure."""
    root = check_root(Path(root))
    if not (root / OVERRIDE_NAME).is_file():
        local_backend_override(root)
    return run(root, "init", "-input=false", "-no-color", env=env, timeout=timeout, check=True)


def _init_diagnostics(
    root: Path, env: Mapping[str, str] | None, timeout: float
) -> dict[str, Any] | None:
    """Init; on failure return its diagnostics in `validate -json` shape (syntax errors surface here)."""
    root = check_root(Path(root))
    if (root / ".terraform").is_dir() and (root / OVERRIDE_NAME).is_file():
        return None  # initialised already (call init() again after changing module blocks)
    if not (root / OVERRIDE_NAME).is_file():
        local_backend_override(root)
    proc = run(root, "init", "-input=false", "-no-color", "-json", env=env, timeout=timeout)
    if proc.returncode == 0:
        return None
    diags = [
        ev["diagnostic"] for ev in _parse_json_lines(proc.stdout) if ev.get("type") == "diagnostic"
    ]
    errors = [d for d in diags if d.get("severity") == "error"]
    if not errors:
        errors = [
            {
                "severity": "error",
                "summary": first_error(proc.stderr or proc.stdout),
                "detail": proc.stderr,
            }
        ]
        diags += errors
    return {
        "valid": False,
        "error_count": len(errors),
        "warning_count": len(diags) - len(errors),
        "diagnostics": diags,
        "stage": "init",
    }


def validate(
    root: Path, env: Mapping[str, str] | None = None, timeout: float = DEFAULT_TIMEOUT
) -> dict[str, Any]:
    """`terraform validate -json` (init first if the root was never initialised), parsed:
    {"valid", "error_count", "warning_count", "diagnostics", "stage"}; stage is "init" when init
    already failed (syntax errors, missing module directories) and "validate" otherwise."""
    failed = _init_diagnostics(root, env, timeout)
    if failed is not None:
        return failed
    proc = run(root, "validate", "-json", "-no-color", env=env, timeout=timeout)
    try:
        result = json.loads(proc.stdout)
    except ValueError:
        raise _failed(("validate",), Path(root), proc) from None
    result["stage"] = "validate"
    return result


def errors(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The error diagnostics of a validate() result."""
    return [d for d in result.get("diagnostics", []) if d.get("severity") == "error"]


def _var_args(
    root: Path, vars: Mapping[str, Any] | None, var_files: Iterable[str | Path]
) -> list[str]:
    args = [f"-var-file={Path(f).resolve()}" for f in var_files]
    if vars:
        path = Path(root) / VARS_NAME
        path.write_text(json.dumps(dict(vars), indent=2))
        args.append(f"-var-file={path}")
    return args


def _ensure_init(root: Path, env: Mapping[str, str] | None, timeout: float) -> None:
    root = Path(root)
    if not (root / ".terraform").is_dir() or not (root / OVERRIDE_NAME).is_file():
        init(root, env=env, timeout=timeout)


def plan_json(
    root: Path,
    vars: Mapping[str, Any] | None = None,
    var_files: Iterable[str | Path] = (),
    env: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    extra_args: Iterable[str] = (),
) -> dict[str, Any]:
    """Plan to a file, then `terraform show -json` it; raises TerraformFailed if the plan fails."""
    root = check_root(Path(root))
    _ensure_init(root, env, timeout)
    args = [
        "plan",
        "-input=false",
        "-no-color",
        "-lock=false",
        f"-out={PLAN_NAME}",
        *_var_args(root, vars, var_files),
        *extra_args,
    ]
    run(root, *args, env=env, timeout=timeout, check=True)
    shown = run(root, "show", "-json", "-no-color", PLAN_NAME, env=env, timeout=timeout, check=True)
    return json.loads(shown.stdout)


def apply(
    root: Path,
    vars: Mapping[str, Any] | None = None,
    var_files: Iterable[str | Path] = (),
    env: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    extra_args: Iterable[str] = (),
) -> subprocess.CompletedProcess[str]:
    """`terraform apply -auto-approve` into the local state; raises TerraformFailed on failure."""
    root = check_root(Path(root))
    _ensure_init(root, env, timeout)
    args = [
        "apply",
        "-input=false",
        "-no-color",
        "-auto-approve",
        *_var_args(root, vars, var_files),
        *extra_args,
    ]
    return run(root, *args, env=env, timeout=timeout, check=True)


def destroy(
    root: Path,
    vars: Mapping[str, Any] | None = None,
    var_files: Iterable[str | Path] = (),
    env: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> subprocess.CompletedProcess[str]:
    return apply(root, vars, var_files, env=env, timeout=timeout, extra_args=("-destroy",))


def state_json(
    root: Path, env: Mapping[str, str] | None = None, timeout: float = DEFAULT_TIMEOUT
) -> dict[str, Any]:
    """`terraform show -json` of the current (local) state."""
    proc = run(Path(root), "show", "-json", "-no-color", env=env, timeout=timeout, check=True)
    return json.loads(proc.stdout)


# --------------------------------------------------------------------------- plan helpers for tests


def planned_resources(plan: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every resource in a plan's planned_values, child modules included."""
    out: list[dict[str, Any]] = []

    def walk(mod: Mapping[str, Any]) -> None:
        out.extend(mod.get("resources", []))
        for child in mod.get("child_modules", []):
            walk(child)

    walk(plan.get("planned_values", {}).get("root_module", {}))
    return out


def resource_changes(plan: Mapping[str, Any], type_name: str | None = None) -> list[dict[str, Any]]:
    return [
        rc
        for rc in plan.get("resource_changes", [])
        if type_name is None or rc.get("type") == type_name
    ]


__all__ = [
    "ChromactlError",
    "NotATerraformRoot",
    "ProviderEnvMissing",
    "SchemaUnavailable",
    "TerraformFailed",
    "Zygote",
    "apply",
    "check_provider_env",
    "check_root",
    "check_schema",
    "copy_root",
    "default_workdir",
    "destroy",
    "engine",
    "errors",
    "init",
    "local_backend_override",
    "offline_env",
    "plan_json",
    "planned_resources",
    "resource_changes",
    "run",
    "start_zygote",
    "state_json",
    "validate",
    "write_cli_config",
]
