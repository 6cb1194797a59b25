"""The checks a day-2 change must pass before it counts as done: the failover gate's three checks.

smoke (ports.smoke), latency against the env's SLOs (ports.latency) and the data manifest
(chromactl.failover.manifest: collections and counts against the newest entry at or before the
data's time), through the stack's ALB (failover.core.gate_endpoint).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chromactl.checks.target import Target
from chromactl.failover import manifest as M
from chromactl.failover.core import Settings, gate_endpoint
from chromactl.failover.ports import Ports


@dataclass
class GateResult:
    ok: bool
    failed: list[str]
    report: dict[str, Any] = field(default_factory=dict)


def run_gate(d2: Any, outputs: dict[str, Any], ports: Ports, settings: Settings, *, data_as_of: str | None) -> GateResult:
    url, verify_tls, server_name = gate_endpoint(outputs, settings.endpoint_override)
    token = ports.read_token(outputs, d2.region, d2.profile, d2.factory)
    target = Target(url=url, token=token, timeout_s=settings.gate_timeout_s, verify_tls=verify_tls, env=d2.env.name,
                    region=d2.region, server_name=server_name)
    observed = M.snapshot(target)
    data = M.compare(M.read_manifest(d2.env, d2.factory), observed, datetime.fromisoformat(data_as_of) if data_as_of else None)
    smoke_ok, smoke = ports.smoke(target, vectors=settings.smoke_vectors)
    lat_ok, lat = ports.latency(target, d2.env.slo, settings.latency_queries, settings.latency_concurrency,
                                seed_vectors=settings.latency_seed_vectors)
    failed = []
    if not data.ok:
        failed.append(f"data check ({data.summary()})")
    if not smoke_ok:
        failed.append(f"smoke ({', '.join(s['name'] for s in smoke.get('steps', []) if not s.get('ok')) or 'failed'})")
    if not lat_ok:
        failed.append(f"latency ({'; '.join(lat.get('breaches', [])) or 'failed'})")
    report = {"endpoint": url, "data": data.to_dict(), "observed": observed, "smoke_ok": smoke_ok, "latency_ok": lat_ok}
    result = GateResult(ok=not failed, failed=failed, report=report)
    if result.ok:
        report["manifest_recorded_at"] = M.record_manifest(d2.env, d2.region, target, d2.factory)["recorded_at"]
    return result
