"""Drills talk to the endpoint the stack names; on the ALB's own DNS name no certificate matches."""

from __future__ import annotations

from chromactl.config import load_env
from chromactl.drills.context import DrillContext
from chromactl.output import Output


def _ctx(outputs: dict[str, object], **kw: object) -> DrillContext:
    return DrillContext(env=load_env("dev"), region="us-east-1", outputs=outputs, factory=None, output=Output(json=True), **kw)  # type: ignore[arg-type]


def test_alb_own_name_is_not_verified_a_domain_is() -> None:
    alb = {"endpoint_url": "https://chromactl-dev-1.us-east-1.elb.amazonaws.com", "endpoint_tls_verifiable": False}
    assert _ctx(alb).verify_tls is False
    assert _ctx({"endpoint_url": "https://chroma.example.com", "endpoint_tls_verifiable": True}).verify_tls is True
    assert _ctx({"endpoint_url": "https://chroma.example.com"}).verify_tls is True  # older stacks: verify
    assert _ctx(alb, endpoint_override="https://127.0.0.1:8443").verify_tls is True
