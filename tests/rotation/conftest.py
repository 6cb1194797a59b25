"""Fixtures for the rotation tests: a real Chroma behind a real nginx that does what the
stack's ALB does (token rules whose accepted values are mirrored from the moto rules after
every step, an open heartbeat, 401 otherwise), the moto stand-in for what Terraform builds,
and the handler wired to both."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fixtures.nginx_proxy import NginxProxy, start_nginx
from tests.rotation import harness


@pytest.fixture(scope="session")
def rotation_endpoint(chroma_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[NginxProxy]:
    """nginx as the ALB: the token rule (accepting nothing until the first rotation) and the
    open heartbeat."""
    proxy = start_nginx(tmp_path_factory.mktemp("rotation-nginx"), chroma_server.url, [])
    try:
        yield proxy
    finally:
        proxy.stop()


CLIENT_PATH = "/api/v2/tenants/default_tenant/databases/default_database/collections"


def heartbeat(url: str, token: str | None, how: str = "bearer", timeout: float = 5.0, path: str = CLIENT_PATH) -> int:
    """The status a client holding `token` gets for a real API call (list collections)."""
    headers = {}
    if token is not None:
        headers = {"Authorization": f"Bearer {token}"} if how == "bearer" else {"X-Chroma-Token": token}
    req = urllib.request.Request(f"{url}{path}", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return int(r.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


@pytest.fixture
def handler_mod() -> Any:
    return harness.load_handler()


@pytest.fixture
def rig(aws_env: Any, rotation_endpoint: NginxProxy, handler_mod: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[harness.Rotator]:
    """A fresh moto ALB + secret (as Terraform leaves them), the handler configured for them
    (grace period 0 unless a test sets GRACE_SECONDS), and the proxy reset to accept nothing
    (no token rule exists before the first rotation)."""
    stack = harness.build_alb()
    secret = harness.create_secret()
    monkeypatch.setenv("LISTENER_ARN", stack.listener_arn)
    monkeypatch.setenv("SECRET_ARN", secret)
    monkeypatch.setenv("GRACE_SECONDS", "0")
    monkeypatch.setenv("TARGET_GROUP_ARN", stack.target_group_arn)
    monkeypatch.setenv("ENDPOINT_URL", rotation_endpoint.url)
    monkeypatch.setenv("VERIFY_TLS", "false")
    monkeypatch.setenv("HTTP_TIMEOUT_SECONDS", "3")
    monkeypatch.setenv("TEST_ATTEMPTS", "3")
    monkeypatch.setenv("TEST_RETRY_DELAY_SECONDS", "0.2")
    rotator = harness.Rotator(handler=handler_mod, secret_arn=secret, stack=stack, set_tokens=rotation_endpoint.set_tokens)
    rotator.sync([])
    yield rotator


@pytest.fixture
def endpoint_url(rotation_endpoint: NginxProxy) -> str:
    return str(rotation_endpoint.url)
