"""Environments: discovery under `envs/` and `envs/<env>/chromactl.toml`.

Every problem is reported as a ConfigError naming the file and the key, so a
user can fix it without reading code.
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chromactl import settings
from chromactl.errors import ConfigError
from chromactl.regions import check_region

CONFIG_NAME = "chromactl.toml"
_ENV_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_ACCOUNT = re.compile(r"^\d{12}$")

# Every table and key chromactl.toml may hold. Anything else is an error: a misspelled key would
# otherwise be ignored and silently turn a guard off (`protcted = true` leaves prod unprotected).
SCHEMA: dict[str, tuple[str, ...]] = {
    "env": ("kind", "protected", "sandbox", "account_id"),
    "regions": ("primary", "failover"),
    "state": ("bucket", "region", "key_prefix"),
    "slo": ("p95_ms", "p99_ms", "rto_minutes", "rpo_minutes"),
    "dns": ("zone_id", "record_name"),
    "local": ("host", "port", "data_dir"),
}


@dataclass(frozen=True)
class StateConfig:
    bucket: str
    region: str
    key_prefix: str = "chromactl"


@dataclass(frozen=True)
class SloConfig:
    p95_ms: float | None = None
    p99_ms: float | None = None
    rto_minutes: float = 15.0
    rpo_minutes: float = 15.0


@dataclass(frozen=True)
class DnsConfig:
    zone_id: str = ""
    record_name: str = ""

    @property
    def managed(self) -> bool:
        return bool(self.zone_id and self.record_name)


@dataclass(frozen=True)
class LocalConfig:
    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: str = ".chromactl/local"


@dataclass(frozen=True)
class EnvConfig:
    name: str
    kind: str  # "aws" or "local"
    dir: Path
    config_path: Path
    protected: bool = False
    sandbox: bool = False  # [env] sandbox = true: plan goes ahead with placeholders (a warning); up/apply still refuse
    account_id: str | None = None
    primary_region: str | None = None
    failover_regions: tuple[str, ...] = ()
    state: StateConfig | None = None
    slo: SloConfig = field(default_factory=SloConfig)
    dns: DnsConfig = field(default_factory=DnsConfig)
    local: LocalConfig | None = None

    @property
    def is_aws(self) -> bool:
        return self.kind == "aws"

    def state_key(self, region: str) -> str:
        """One state per (env, region): a rebuild elsewhere never touches the primary's."""
        prefix = self.state.key_prefix if self.state else "chromactl"
        return f"{prefix}/{self.name}/{region}/terraform.tfstate"

    @property
    def root(self) -> Path:
        """The project root this env was loaded from (envs/<name> sits in it): what code that holds an
        env uses instead of looking the root up again (--root is not in the environment)."""
        return self.dir.parent.parent

    def region_or_primary(self, region: str | None) -> str:
        if region:
            return check_region(region)
        if not self.primary_region:
            raise ConfigError(f"Env {self.name!r} has no primary region.", f"Set [regions] primary in {self.config_path}.")
        return self.primary_region


# What a project root is, in the words of the error when one has no envs/.
PROJECT_IS = "a chromactl project (a checkout or your own repository made by chromactl init): the folder holding envs/"


def _no_envs(given: str, value: object) -> ConfigError:
    shown = f"--root {value}" if given == "--root" else f"{given}={value}"
    return ConfigError(f"{shown} has no envs/ directory.", f"Point {given} at {PROJECT_IS}.")


def checked_root(root: Path, given: str = "--root") -> Path:
    """--root (given: "--root", or "CHROMACTL_ROOT" when Click read it from the variable), resolved and
    checked once at the edge (the CLI's RunContext holds it)."""
    resolved = root.expanduser().resolve()
    if not (resolved / "envs").is_dir():
        raise _no_envs(given, root)
    return resolved


def project_root(start: Path | None = None) -> Path:
    """The project root: $CHROMACTL_ROOT, else the nearest parent holding envs/."""
    env_root = settings.current().root
    if env_root:
        root = Path(env_root).expanduser().resolve()
        if not (root / "envs").is_dir():
            raise _no_envs("CHROMACTL_ROOT", env_root)
        return root
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        # A chromactl checkout (envs/ beside terraform/), or a user's own repository with envs
        # scaffolded by `chromactl init` (the modules come from a pinned source, no terraform/).
        envs = candidate / "envs"
        if envs.is_dir() and ((candidate / "terraform").is_dir() or any(envs.glob(f"*/{CONFIG_NAME}"))):
            return candidate
    # No fallback to the checkout an editable install points at: from outside any project that listed and
    # planned the checkout's envs as if they were the user's (a new user's review).
    raise ConfigError(
        "No chromactl project found here (no envs/ and terraform/ folders in this directory or above).",
        "Run chromactl in your infrastructure repository (create an env with `chromactl init --env NAME --region R`), or pass --root (CHROMACTL_ROOT) naming one.",
    )


# The local env exists in every project: envs/local/chromactl.toml when the project has one (a chromactl
# checkout does), else this built-in copy of the checkout's file (tests/unit/test_local_env.py holds
# them equal), so `chromactl up/status --env local` work in a repository made by `chromactl init` too.
LOCAL_ENV = "local"
LOCAL_TOML = """# The embedded default: a Chroma server on this machine (127.0.0.1), no AWS.
# A sandbox to try smoke, latency and status with; not a deployment.
[env]
kind = "local"
protected = false

[local]
host = "127.0.0.1"
port = 8000
data_dir = ".chromactl/local"   # relative to the project root

[slo]
p95_ms = 100
p99_ms = 250
"""


def envs_dir(root: Path | None = None) -> Path:
    return (root or project_root()) / "envs"


def list_envs(root: Path | None = None) -> list[str]:
    base = envs_dir(root)
    return sorted(p.name for p in base.iterdir() if (p / CONFIG_NAME).is_file())


def all_envs(root: Path | None = None) -> list[str]:
    """The envs under envs/ and the local env, which every project has (LOCAL_TOML when envs/local is absent)."""
    return sorted({LOCAL_ENV, *list_envs(root)})


def load_env(name: str, root: Path | None = None) -> EnvConfig:
    """Load and validate envs/<name>/chromactl.toml."""
    base = envs_dir(root)
    if not _ENV_NAME.match(name or ""):
        raise ConfigError(f"{name!r} is not a valid env name.", "Env names are lowercase letters, digits and dashes.")
    env_dir = base / name
    path = env_dir / CONFIG_NAME
    if name == LOCAL_ENV and not env_dir.is_dir():  # the built-in local env (data under the project's .chromactl/)
        return _parse(name, env_dir, path, tomllib.loads(LOCAL_TOML))
    if not env_dir.is_dir():
        known = ", ".join(list_envs(root)) or "none"
        builtin = "" if (base / LOCAL_ENV).is_dir() else f" (and {LOCAL_ENV}, built in)"
        raise ConfigError(f"Unknown env {name!r}: there is no {env_dir}.", f"Known envs: {known}{builtin}.")
    if not path.is_file():
        raise ConfigError(f"Env {name!r} has no {CONFIG_NAME} ({path} is missing).", "Copy one from envs/dev and edit it.")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"Cannot read {path}: {exc.strerror}.", "Check the file's permissions.") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{path}:{line}: the file is not UTF-8 text (byte 0x{raw[exc.start]:02x} cannot be decoded).",
            "Save it as UTF-8 (TOML files must be UTF-8).",
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}.", "Fix the syntax at the line named.") from None
    check_known_keys(path, text, data)
    return _parse(name, env_dir, path, data)


def _line_of(text: str, table: str | None, key: str | None) -> int | None:
    """The line of `[table]` (key None) or of `key = ...` inside `[table]` (table None: top level)."""
    current: str | None = None
    header = re.compile(r"^\s*\[\s*([^\]\s]+)\s*\]")
    for lineno, line in enumerate(text.splitlines(), start=1):
        m = header.match(line)
        if m:
            current = m.group(1).strip("\"'")
            if key is None and current == table:
                return lineno
            continue
        if key is not None and current == table:
            km = re.match(r"^\s*[\"']?([^\"'=\s]+)[\"']?\s*=", line)
            if km and km.group(1) == key:
                return lineno
    return None


def _unknown(path: Path, text: str, table: str | None, key: str | None, known: tuple[str, ...] | list[str]) -> ConfigError:
    name = key if key is not None else table or ""
    line = _line_of(text, table, key)
    where = f"{path}:{line}" if line else str(path)
    what = f"unknown key {name!r} in [{table}]" if key is not None and table else f"unknown table [{name}]"
    if key is not None and table is None:
        what = f"unknown top-level key {name!r}"
    close = difflib.get_close_matches(name, [k.strip("[]") for k in known], n=1, cutoff=0.6)
    if close:
        suggestion = f"[{close[0]}]" if key is None or table is None and close[0] in SCHEMA else repr(close[0])
        what += f" (did you mean {suggestion}?)"
    listed = ", ".join(f"[{k.strip('[]')}]" if key is None or table is None else k for k in known)
    return ConfigError(
        f"{where}: {what}.",
        f"Fix or remove it; known here: {listed}. chromactl refuses names it does not know rather than ignore them.",
    )


def check_known_keys(path: Path, text: str, data: dict[str, Any]) -> None:
    """Refuse any table or key outside SCHEMA, naming file, line and the closest known name."""
    for table, value in data.items():
        if table not in SCHEMA:
            if not isinstance(value, dict):
                raise _unknown(path, text, None, table, [f"[{t}]" for t in SCHEMA])
            raise _unknown(path, text, table, None, list(SCHEMA))
        if not isinstance(value, dict):
            continue  # _Reader.table reports "must be a table"
        for key in value:
            if key not in SCHEMA[table]:
                raise _unknown(path, text, table, key, SCHEMA[table])


class _Reader:
    """Typed access to a TOML table with errors that name file and key."""

    def __init__(self, path: Path, data: dict[str, Any]):
        self.path = path
        self.data = data

    def table(self, key: str, required: bool = False) -> dict[str, Any]:
        value = self.data.get(key)
        if value is None:
            if required:
                raise ConfigError(f"{self.path}: missing table [{key}].", f"Add a [{key}] table; see envs/dev/{CONFIG_NAME}.")
            return {}
        if not isinstance(value, dict):
            raise ConfigError(f"{self.path}: {key} must be a table.", f"Write it as [{key}].")
        return value

    def get(self, table: str, key: str, kind: type | tuple[type, ...], *, required: bool = False, default: Any = None) -> Any:
        section = self.table(table)
        if key not in section:
            if required:
                raise ConfigError(f"{self.path}: missing key {table}.{key}.", f"Add {key} = ... under [{table}].")
            return default
        value = section[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if isinstance(value, bool) and bool not in kinds:
            ok = False
        else:
            ok = isinstance(value, kinds)
        if not ok:
            names = " or ".join(k.__name__ for k in kinds)
            raise ConfigError(
                f"{self.path}: {table}.{key} must be a {names}, not {type(value).__name__}.",
                f"Fix {key} under [{table}].",
            )
        return value


def _parse(name: str, env_dir: Path, path: Path, data: dict[str, Any]) -> EnvConfig:
    r = _Reader(path, data)
    kind = r.get("env", "kind", str, default="aws")
    if kind not in ("aws", "local"):
        raise ConfigError(f"{path}: env.kind must be \"aws\" or \"local\", not {kind!r}.", "Fix kind under [env].")
    protected = r.get("env", "protected", bool, default=False)
    slo_t = "slo"
    slo = SloConfig(
        p95_ms=_positive(r, slo_t, "p95_ms"),
        p99_ms=_positive(r, slo_t, "p99_ms"),
        rto_minutes=_positive(r, slo_t, "rto_minutes") or 15.0,
        rpo_minutes=_positive(r, slo_t, "rpo_minutes") or 15.0,
    )
    if kind == "local":
        port = r.get("local", "port", int, default=8000)
        if not 1 <= port <= 65535:
            raise ConfigError(f"{path}: local.port must be between 1 and 65535.", "Fix port under [local].")
        host = r.get("local", "host", str, default="127.0.0.1")
        if host not in ("127.0.0.1", "localhost"):
            raise ConfigError(f"{path}: local.host must be 127.0.0.1 (the local env never listens beyond loopback).", "Set host = \"127.0.0.1\".")
        local = LocalConfig(host="127.0.0.1", port=port, data_dir=r.get("local", "data_dir", str, default=".chromactl/local"))
        return EnvConfig(name=name, kind=kind, dir=env_dir, config_path=path, protected=protected, slo=slo, local=local)

    account = r.get("env", "account_id", str, default=None)
    if account is not None and not _ACCOUNT.match(account):
        raise ConfigError(f"{path}: env.account_id must be 12 digits, not {account!r}.", "Fix account_id under [env] or remove it.")
    sandbox = r.get("env", "sandbox", bool, default=False)
    r.table("regions", required=True)
    primary = r.get("regions", "primary", str, required=True)
    check_region(primary, where=f"{path}: regions.primary")
    failover_raw = r.get("regions", "failover", list, default=[])
    failover: list[str] = []
    for item in failover_raw:
        if not isinstance(item, str):
            raise ConfigError(f"{path}: regions.failover must be a list of region names.", "Write failover = [\"us-west-2\"].")
        check_region(item, where=f"{path}: regions.failover")
        if item == primary:
            raise ConfigError(f"{path}: regions.failover lists the primary region {primary}.", "A failover region must differ from the primary.")
        failover.append(item)
    r.table("state", required=True)
    bucket = r.get("state", "bucket", str, required=True)
    if not _BUCKET.match(bucket):
        raise ConfigError(f"{path}: state.bucket {bucket!r} is not a valid S3 bucket name.", "Use 3-63 lowercase letters, digits, dots and dashes.")
    state_region = r.get("state", "region", str, required=True)
    check_region(state_region, where=f"{path}: state.region")
    if state_region == primary:
        raise ConfigError(
            f"{path}: state.region is the primary region {primary}; the state would be lost with it.",
            "Put the state bucket in another region (for example the failover region's neighbour).",
        )
    prefix = r.get("state", "key_prefix", str, default="chromactl").strip("/") or "chromactl"
    dns = DnsConfig(zone_id=r.get("dns", "zone_id", str, default=""), record_name=r.get("dns", "record_name", str, default=""))
    return EnvConfig(
        name=name,
        kind=kind,
        dir=env_dir,
        config_path=path,
        protected=protected,
        sandbox=sandbox,
        account_id=account,
        primary_region=primary,
        failover_regions=tuple(failover),
        state=StateConfig(bucket=bucket, region=state_region, key_prefix=prefix),
        slo=slo,
        dns=dns,
    )


def _positive(r: _Reader, table: str, key: str) -> float | None:
    value = r.get(table, key, (int, float), default=None)
    if value is not None and (not math.isfinite(value) or value <= 0):
        raise ConfigError(f"{r.path}: {table}.{key} must be a positive finite number, not {value!r}.", f"Fix {key} under [{table}].")
    return float(value) if value is not None else None
