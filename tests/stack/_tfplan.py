"""Readers for plan and state JSON of the AWS stack, and the env files they are checked against."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import hcl2

REPO = Path(__file__).resolve().parents[2]
ENVS = ("dev", "staging", "prod")
ROTATION_ZIP = REPO / "build" / "token-rotation.zip"


def ensure_rotation_zip() -> Path:
    """The envs hash build/token-rotation.zip at plan time. `make tools` builds it; when it is
    missing, build the real one the same way (never a stand-in: apply would ship it)."""
    if not ROTATION_ZIP.is_file():
        subprocess.run(
            [sys.executable, "-m", "chromactl.rotation.package", str(ROTATION_ZIP)],
            cwd=REPO, check=True, capture_output=True, text=True, timeout=60,
        )
    return ROTATION_ZIP


# ---------------------------------------------------------------- plan/state readers


def walk_resources(module: dict[str, Any]) -> Iterable[dict[str, Any]]:
    yield from module.get("resources", [])
    for child in module.get("child_modules", []):
        yield from walk_resources(child)


class Plan:
    """Planned values and unknowns of one `terraform show -json` plan."""

    def __init__(self, data: dict[str, Any]):
        self.data = data
        self.changes = {rc["address"]: rc for rc in data.get("resource_changes", [])}
        self.resources = list(walk_resources(data.get("planned_values", {}).get("root_module", {})))

    def of_type(self, type_name: str) -> list[dict[str, Any]]:
        return [r for r in self.resources if r["type"] == type_name]

    def one(self, type_name: str, name: str | None = None) -> dict[str, Any]:
        found = [r for r in self.of_type(type_name) if name is None or r["name"] == name]
        assert len(found) == 1, f"expected one {type_name}{'.' + name if name else ''}, found {[r['address'] for r in found]}"
        return found[0]

    def values(self, type_name: str, name: str | None = None) -> dict[str, Any]:
        return self.one(type_name, name)["values"]

    def unknown(self, address: str) -> dict[str, Any]:
        return self.changes[address]["change"].get("after_unknown") or {}

    def is_set(self, resource: dict[str, Any], attr: str) -> bool:
        """Set to a known non-null value, or to a value known only after apply."""
        if resource["values"].get(attr) not in (None, "", []):
            return True
        return self.unknown(resource["address"]).get(attr) is True

    def types(self) -> set[str]:
        return {r["type"] for r in self.resources}


class State:
    """Values of an applied (offline) state."""

    def __init__(self, data: dict[str, Any]):
        self.data = data
        self.resources = list(walk_resources(data.get("values", {}).get("root_module", {})))

    def of_type(self, type_name: str) -> list[dict[str, Any]]:
        return [r for r in self.resources if r["type"] == type_name]

    def one(self, type_name: str, name: str | None = None, module: str | None = None) -> dict[str, Any]:
        found = [
            r for r in self.of_type(type_name)
            if (name is None or r["name"] == name) and (module is None or r["address"].startswith(module + "."))
        ]
        assert len(found) == 1, f"expected one {type_name}.{name}, found {[r['address'] for r in found]}"
        return found[0]

    def values(self, type_name: str, name: str | None = None, module: str | None = None) -> dict[str, Any]:
        return self.one(type_name, name, module)["values"]

    def policy(self, type_name: str, name: str, module: str | None = None) -> dict[str, Any]:
        return json.loads(self.values(type_name, name, module)["policy"])


def statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    st = policy["Statement"]
    return st if isinstance(st, list) else [st]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def tfvars(env: str) -> dict[str, Any]:
    """envs/<env>/terraform.tfvars as plain Python values."""
    with (REPO / "envs" / env / "terraform.tfvars").open(encoding="utf-8") as fh:
        raw = hcl2.load(fh)

    def clean(v: Any) -> Any:
        if isinstance(v, str) and len(v) >= 2 and v[0] == v[-1] == '"':
            return json.loads(v)
        if isinstance(v, list):
            return [clean(x) for x in v]
        if isinstance(v, dict):
            return {clean(k): clean(x) for k, x in v.items() if k != "__is_block__"}
        return v

    return {k: clean(v) for k, v in raw.items()}


def chromactl_toml(env: str) -> dict[str, Any]:
    return tomllib.loads((REPO / "envs" / env / "chromactl.toml").read_text(encoding="utf-8"))


def required_memory_mib(vectors: int, dims: int) -> int:
    """The capacity rule (terraform/modules/ecs README; cli/chromactl/sizing.py, measured by
    scripts/bench_capacity.py): the least task memory holding both the steady state and a bulk load."""
    from chromactl import sizing

    return sizing.estimate(vectors, dims).min_memory_mib


def flat(text: str) -> str:
    """Terraform's diagnostics, unwrapped onto one line (it wraps long messages)."""
    return " ".join(text.replace("│", " ").split())
