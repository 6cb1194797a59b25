"""A failed smoke at the end of `up` says where to point the domain when it is not this stack's ALB."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from chromactl.checks.target import Target
from chromactl.errors import OperationFailed
from chromactl.lifecycle import core
from chromactl.output import Output

ALB = "chromactl-prod-1234.us-east-1.elb.amazonaws.com"


def _failing(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setattr("chromactl.checks.target.resolve_target", lambda *a, **k: Target(url, "t" * 64))
    report = SimpleNamespace(ok=False, steps=[SimpleNamespace(name="heartbeat", ok=False)], to_dict=dict)
    monkeypatch.setattr("chromactl.checks.smoke.run_smoke", lambda target: report)


def test_domain_not_on_this_alb_gets_the_alb_name_in_the_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    _failing(monkeypatch, "https://chroma.example.com")
    with pytest.raises(OperationFailed) as info:
        core._smoke("prod", "us-east-1", None, Output(json=True), alb_dns_name=ALB)
    assert "heartbeat" in info.value.message
    assert f"point it at {ALB}" in (info.value.hint or "") and "chroma.example.com" in (info.value.hint or "")


def test_endpoint_on_the_alb_itself_keeps_the_plain_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    _failing(monkeypatch, f"https://{ALB}")
    with pytest.raises(OperationFailed) as info:
        core._smoke("dev", "us-east-1", None, Output(json=True), alb_dns_name=ALB)
    hint: Any = info.value.hint
    assert "point it at" not in hint and "chromactl smoke --env dev --json" in hint
