"""Saved plans and their sidecar.

`plan` writes the Terraform plan file and, next to it, `<plan>.json`: env,
region, state key, backend, when, which Terraform, the plan's sha256 and its
summary. `apply --plan FILE` reads the sidecar first and refuses a plan made
for another env, region or state, or one changed after planning. A plan is
single-use: after an apply (done, failed or interrupted) both files are
removed, so no stale plan is left for the next run to trip on.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chromactl.config import EnvConfig
from chromactl.errors import ConfigError, UsageError

SIDECAR_VERSION = 1


def default_plan_path(env: EnvConfig, region: str, *, destroy: bool = False) -> Path:
    name = f"{region}.destroy.tfplan" if destroy else f"{region}.tfplan"
    return env.dir / ".chromactl" / "plans" / name


def sidecar_path(plan: Path) -> Path:
    return plan.with_name(plan.name + ".json")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass
class Sidecar:
    env: str
    region: str
    state_key: str
    backend: str
    created: str
    terraform_version: str
    sha256: str
    destroy: bool
    changes: bool
    summary: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"version": SIDECAR_VERSION, **self.__dict__}


def discard(plan: Path) -> None:
    """Remove a plan and its sidecar (missing files are fine)."""
    for p in (plan, sidecar_path(plan)):
        try:
            p.unlink()
        except FileNotFoundError:
            pass


def write_sidecar(plan: Path, **fields: Any) -> Sidecar:
    car = Sidecar(created=datetime.now(UTC).isoformat(timespec="seconds"), sha256=sha256_file(plan), **fields)
    path = sidecar_path(plan)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(car.to_dict(), indent=2), encoding="utf-8")
    os.replace(tmp, path)
    return car


def read_sidecar(plan: Path, env: EnvConfig, region: str, state_key: str, backend: str) -> Sidecar:
    """The sidecar of `plan`, checked against the env/region/state being applied."""
    if not plan.is_file():
        raise UsageError(
            f"There is no saved plan at {plan}.",
            f"Run `chromactl plan --env {env.name} --region {region}` first; apply never plans on its own.",
        )
    path = sidecar_path(plan)
    if not path.is_file():
        raise UsageError(
            f"The plan file {plan} has no chromactl sidecar ({path.name}), so chromactl cannot tell which env and region it is for.",
            f"Discard it and run `chromactl plan --env {env.name} --region {region}` again.",
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        car = Sidecar(**{k: data[k] for k in Sidecar.__dataclass_fields__})
    except (OSError, json.JSONDecodeError, KeyError, TypeError):
        raise UsageError(f"The sidecar {path} is unreadable or incomplete.", f"Run `chromactl plan --env {env.name} --region {region}` again.") from None
    if (car.env, car.region) != (env.name, region):
        raise ConfigError(
            f"The plan file {plan} was made for env {car.env} in {car.region}, not for {env.name} in {region}.",
            f"Apply it with `--env {car.env} --region {car.region}`, or run `chromactl plan --env {env.name} --region {region}`.",
        )
    if car.state_key != state_key or car.backend != backend:
        raise ConfigError(
            f"The plan file {plan} was made against another state ({car.backend}:{car.state_key}), not {backend}:{state_key}.",
            f"Run `chromactl plan --env {env.name} --region {region}` again.",
        )
    if sha256_file(plan) != car.sha256:
        raise ConfigError(f"The plan file {plan} changed after it was made (checksum mismatch).", f"Run `chromactl plan --env {env.name} --region {region}` again.")
    return car
