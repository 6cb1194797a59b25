"""Fixtures for the rotation tests: a real Chroma behind a real nginx that enforces the
ALB's token rule (accepted values mirrored from the moto rules after every step), the
moto stand-in for what Terraform builds, and the handler wired to both."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.rotation import harness


@pytest.fixture(scope="session")
def rotation_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """nginx in front of `chroma run`, shared by the rotation tests; no token accepted at start."""
    from tests.fixtures.servers import stop_process
    from tests.rotation import _fallback

    base = tmp_path_factory.mktemp("rotation-endpoint")
    (base / "chroma").mkdir()
    chroma, chroma_url = _fallback.start_chroma(base / "chroma")
    proxy = None
    try:
        proxy = _fallback.make_nginx_proxy(chroma_url, [], base / "nginx")
        yield proxy
    finally:
        if proxy is not None:
            proxy.stop()
        stop_process(chroma)


def heartbeat(url: str, token: str | None, how: str = "bearer", timeout: float = 5.0) -> int:
    """Status of GET /api/v2/heartbeat as a client holding `token` sees it."""
    headers = {}
    if token is not None:
        headers = {"Authorization": f"Bearer {token}"} if how == "bearer" else {"X-Chroma-Token": token}
    req = urllib.request.Request(f"{url}/api/v2/heartbeat", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return int(r.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


@pytest.fixture
def handler_mod() -> Any:
    return harness.load_handler()


@pytest.fixture
def rig(aws_env: Any, rotation_endpoint: Any, handler_mod: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[harness.Rotator]:
    """A fresh moto ALB + secret (as Terraform leaves them), the handler configured for them,
    and the proxy reset to accept nothing (the rules start uninitialised)."""
    stack = harness.build_alb()
    secret = harness.create_secret()
    monkeypatch.setenv("AUTH_RULE_ARNS", ",".join(stack.rule_arns))
    monkeypatch.setenv("TARGET_GROUP_ARN", stack.target_group_arn)
    monkeypatch.setenv("ENDPOINT_URL", rotation_endpoint.url)
    monkeypatch.setenv("VERIFY_TLS", "false")
    monkeypatch.setenv("HTTP_TIMEOUT_SECONDS", "3")
    monkeypatch.setenv("TEST_ATTEMPTS", "3")
    monkeypatch.setenv("TEST_RETRY_DELAY_SECONDS", "0.2")
    rotation_endpoint.set_tokens([])
    yield harness.Rotator(handler=handler_mod, secret_arn=secret, stack=stack, sync=rotation_endpoint.set_tokens)


@pytest.fixture
def endpoint_url(rotation_endpoint: Any) -> str:
    return str(rotation_endpoint.url)


__all__ = ["heartbeat", "Path"]
