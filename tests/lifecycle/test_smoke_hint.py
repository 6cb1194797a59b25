"""`up` smoke-checks the stack it applied through that stack's ALB, whatever the domain's DNS says yet.

At a first prod/staging apply (domain_name, no Route 53 zone) the domain cannot point at the new
ALB; the check dials the ALB and presents the domain in TLS (verified) and as Host.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from chromactl.checks.target import Target
from chromactl.errors import OperationFailed
from chromactl.output import Output
from chromactl.workflows import up as core

ALB = "chromactl-prod-1234.us-east-1.elb.amazonaws.com"


def _fake(monkeypatch: pytest.MonkeyPatch, target: Target, ok: bool) -> list[Any]:
    seen: list[Any] = []
    monkeypatch.setattr("chromactl.workflows.endpoint.resolve_target", lambda *a, **k: target)
    report = SimpleNamespace(ok=ok, steps=[SimpleNamespace(name="heartbeat", ok=ok)], to_dict=dict)

    def run(t: Any) -> Any:
        seen.append(t)
        return report

    monkeypatch.setattr("chromactl.checks.smoke.run_smoke", run)
    return seen


def test_domain_endpoint_is_checked_at_the_alb_with_the_domain_as_server_name(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _fake(monkeypatch, Target("https://chroma.example.com", "t" * 64), ok=True)
    core._smoke("prod", "us-east-1", None, Output(json=True), alb_dns_name=ALB + ".")
    (t,) = seen
    assert (t.url, t.server_name, t.verify_tls, t.token) == (f"https://{ALB}", "chroma.example.com", True, "t" * 64)


def test_alb_endpoint_is_used_as_is_and_a_failure_still_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _fake(monkeypatch, Target(f"https://{ALB}", "t" * 64, verify_tls=False), ok=False)
    with pytest.raises(OperationFailed, match="heartbeat"):
        core._smoke("dev", "us-east-1", None, Output(json=True), alb_dns_name=ALB)
    (t,) = seen
    assert (t.url, t.server_name, t.verify_tls) == (f"https://{ALB}", None, False)


def test_without_an_alb_output_the_endpoint_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _fake(monkeypatch, Target("https://chroma.example.com", None), ok=True)
    core._smoke("prod", "us-east-1", None, Output(json=True))
    assert seen[0].url == "https://chroma.example.com" and seen[0].server_name is None
