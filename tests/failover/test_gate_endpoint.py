"""The failover gate checks the rebuilt stack, not the clients' DNS name (still on the old region)."""

from __future__ import annotations

from chromactl.failover.core import gate_endpoint


def test_gate_goes_to_the_new_regions_alb_not_the_clients_name() -> None:
    outputs = {"endpoint_url": "https://chroma.example.com",
               "alb_dns_name": "chromactl-prod-123.us-west-2.elb.amazonaws.com"}
    assert gate_endpoint(outputs) == ("https://chromactl-prod-123.us-west-2.elb.amazonaws.com", False)


def test_override_wins_and_keeps_tls_verification() -> None:
    assert gate_endpoint({"endpoint_url": "https://x", "alb_dns_name": "alb"}, "http://127.0.0.1:8000") == (
        "http://127.0.0.1:8000", True)


def test_without_an_alb_output_the_endpoint_is_used() -> None:
    assert gate_endpoint({"endpoint_url": "https://chroma.example.com"}) == ("https://chroma.example.com", True)
