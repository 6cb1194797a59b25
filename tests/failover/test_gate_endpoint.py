"""The failover gate checks the rebuilt stack, not the clients' DNS name (still on the old region)."""

from __future__ import annotations

from chromactl.failover.core import gate_endpoint

ALB = "chromactl-prod-123.us-west-2.elb.amazonaws.com"


def test_gate_goes_to_the_new_regions_alb_and_verifies_the_domain() -> None:
    outputs = {"endpoint_url": "https://chroma.example.com", "alb_dns_name": ALB, "endpoint_tls_verifiable": True}
    assert gate_endpoint(outputs) == (f"https://{ALB}", True, "chroma.example.com")


def test_without_a_domain_the_albs_name_cannot_be_verified() -> None:
    outputs = {"endpoint_url": f"https://{ALB}", "alb_dns_name": ALB, "endpoint_tls_verifiable": False}
    assert gate_endpoint(outputs) == (f"https://{ALB}", False, None)


def test_override_wins_and_keeps_tls_verification() -> None:
    assert gate_endpoint({"endpoint_url": "https://x", "alb_dns_name": "alb"}, "http://127.0.0.1:8000") == (
        "http://127.0.0.1:8000", True, None)


def test_without_an_alb_output_the_endpoint_is_used() -> None:
    assert gate_endpoint({"endpoint_url": "https://chroma.example.com"}) == ("https://chroma.example.com", True, None)
