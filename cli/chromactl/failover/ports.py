"""The parts a failover uses from the rest of chromactl, behind one object.

The defaults call the real modules (lifecycle for Terraform, stack for the wait,
checks for smoke and latency, rotation for the token); smoke and latency are
looked up on their module at each call, so a test patching checks.latency.run_closed
reaches the port. Tests and drills may swap one port (for example a recorded apply in a
fault-injection run) while everything else stays real.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chromactl.checks import latency as latency_check
from chromactl.checks import smoke as smoke_check
from chromactl.config import EnvConfig, SloConfig
from chromactl.lifecycle.apply import apply_region
from chromactl.output import Output
from chromactl.rotation.token import read_current_token
from chromactl.stack.health import wait_stable


def _apply_region(env: EnvConfig, region: str, *, extra_vars: dict[str, str] | None, output: Output,
                  auto_approve: bool, allow_protected_changes: bool = False, profile: str | None = None,
                  secret_action: str | None = None) -> dict[str, Any]:
    """The stack's outputs after the apply: an OutputValues (values plus Terraform's sensitive flags)."""
    return apply_region(env, region, extra_vars=extra_vars, output=output, auto_approve=auto_approve,
                        allow_protected_changes=allow_protected_changes, profile=profile, secret_action=secret_action)


def _wait_stable(env: EnvConfig, region: str, outputs: dict[str, Any], factory: Any, timeout_s: float, output: Output) -> dict[str, Any]:
    return wait_stable(env, region, outputs, factory, timeout_s, output)


def _read_token(outputs: dict[str, Any], region: str, profile: str | None, factory: Any = None) -> str | None:
    arn = outputs.get("token_secret_arn")
    if not arn:
        return None
    return read_current_token(arn, region, profile, factory=factory)


def _smoke(target: Any, **kw: Any) -> tuple[bool, dict[str, Any]]:
    report = smoke_check.run_smoke(target, **kw)
    return report.ok, report.to_dict()


def _latency(target: Any, slo: SloConfig, queries: int, concurrency: int, **kw: Any) -> tuple[bool, dict[str, Any]]:
    report = latency_check.run_closed(target, queries, concurrency, **kw)
    slos = {k: v for k, v in (("p95", slo.p95_ms), ("p99", slo.p99_ms)) if v}
    breaches = report.breaches(slos)
    data = report.to_dict() if hasattr(report, "to_dict") else {}
    breaches_txt = [f"{b['metric']} {b['actual_ms']} ms > {b['limit_ms']} ms" for b in breaches]
    errors = int(getattr(report, "errors", 0) or 0)
    if errors:
        breaches_txt.append(f"{errors} query errors")
    return not breaches_txt, {"report": data, "breaches": breaches_txt}


@dataclass
class Ports:
    apply_region: Callable[..., dict[str, Any]] = _apply_region
    wait_stable: Callable[..., dict[str, Any]] = _wait_stable
    read_token: Callable[..., str | None] = _read_token
    smoke: Callable[..., tuple[bool, dict[str, Any]]] = _smoke
    latency: Callable[..., tuple[bool, dict[str, Any]]] = _latency
    extra: dict[str, Any] = field(default_factory=dict)
