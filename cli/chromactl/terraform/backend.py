"""Where an (env, region) keeps its Terraform state, computed, never hand-written.

Production: the env's partial `backend "s3" {}` is completed at init time with
`-backend-config` arguments: bucket and region from `[state]`, key =
`env.state_key(region)` (`<prefix>/<env>/<region>/terraform.tfstate`),
`use_lockfile = true`, `encrypt = true`.

Local backend (tests, demos, no AWS): with `CHROMACTL_BACKEND=local` chromactl
writes `chromactl_backend_override.tf` (a `backend "local" {}` override) into
the env folder and keeps the state at
`<project>/.chromactl/state/<env>/<region>/terraform.tfstate`. The switch is
explicit and the file is removed again as soon as the switch is off, so an
override can never silently redirect a real env's state.

Every region has its own Terraform data dir, `<env dir>/.terraform/<region>`
(TF_DATA_DIR), so switching region never mixes backends or states.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from chromactl import settings
from chromactl.config import EnvConfig
from chromactl.errors import ConfigError

BACKEND_ENV = "CHROMACTL_BACKEND"
OVERRIDE_NAME = "chromactl_backend_override.tf"
_OVERRIDE_TEXT = (
    "# Written by chromactl because CHROMACTL_BACKEND=local: state stays on this machine.\n"
    "# chromactl deletes this file when CHROMACTL_BACKEND is not local. Do not commit it.\n"
    'terraform {\n  backend "local" {}\n}\n'
)


@dataclass(frozen=True)
class Backend:
    kind: str  # "s3" or "local"
    config: dict[str, str]
    state_key: str

    def args(self) -> list[str]:
        return [f"-backend-config={k}={v}" for k, v in self.config.items()]

    def describe(self) -> str:
        if self.kind == "local":
            return f"local state {self.config['path']}"
        return f"s3://{self.config['bucket']}/{self.config['key']} ({self.config['region']})"


def backend_kind() -> str:
    kind = settings.current().backend
    if kind not in ("s3", "local"):
        raise ConfigError(f"{BACKEND_ENV}={kind!r} is not a backend chromactl knows.", f"Set {BACKEND_ENV} to s3 (default) or local.")
    return kind


def local_state_path(env: EnvConfig, region: str) -> Path:
    root = env.root
    return root / ".chromactl" / "state" / env.name / region / "terraform.tfstate"


def compute_backend(env: EnvConfig, region: str) -> Backend:
    """The backend of (env, region): S3 from [state], or the local test backend."""
    if not env.is_aws or env.state is None:
        raise ConfigError(f"Env {env.name!r} is not an AWS env and has no Terraform state.", "Use an AWS env (see `chromactl envs`).")
    key = env.state_key(region)
    if backend_kind() == "local":
        return Backend("local", {"path": str(local_state_path(env, region))}, key)
    return Backend(
        "s3",
        {
            "bucket": env.state.bucket,
            "region": env.state.region,
            "key": key,
            "use_lockfile": "true",
            "encrypt": "true",
        },
        key,
    )


def sync_override(env: EnvConfig, backend: Backend) -> None:
    """Write the local-backend override when asked for, remove it otherwise."""
    path = env.dir / OVERRIDE_NAME
    if backend.kind == "local":
        if not path.is_file() or path.read_text(encoding="utf-8") != _OVERRIDE_TEXT:
            tmp = path.with_suffix(".tmp")
            tmp.write_text(_OVERRIDE_TEXT, encoding="utf-8")
            tmp.replace(path)
        Path(backend.config["path"]).parent.mkdir(parents=True, exist_ok=True)
    elif path.exists():
        path.unlink()


def data_dir(env: EnvConfig, region: str) -> Path:
    return env.dir / ".terraform" / region
