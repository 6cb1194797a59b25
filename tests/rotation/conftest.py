"""Fixtures for the rotation tests: a real Chroma behind a real nginx that enforces the
ALB's token rule (accepted values mirrored from the moto rules after every step), the
moto stand-in for what Terraform builds, and the handler wired to both."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.servers import wait_until
from tests.rotation import harness


@pytest.fixture(scope="session")
def rotation_endpoint(chroma_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The shared real Chroma behind a real nginx enforcing the ALB's token rule
    (helper fixtures in tests/fixtures); no token accepted at start."""
    from tests.fixtures.nginx_proxy import start_nginx

    proxy = start_nginx(tmp_path_factory.mktemp("rotation-nginx"), chroma_server.url, [])
    try:
        yield proxy
    finally:
        proxy.stop()


def _workers(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found.update(int(p) for p in (task / "children").read_text().split())
        except FileNotFoundError:
            continue
    return found


def settled_set_tokens(proxy: Any) -> Any:
    """proxy.set_tokens, then also wait until the workers that ran the previous map are gone:
    after a reload an old worker may still answer a new connection for a moment, and the
    assertions here are about exactly which tokens the rule accepts."""

    def set_tokens(tokens: list[str]) -> None:
        old = _workers(proxy.proc.pid)
        proxy.set_tokens(tokens)
        wait_until(lambda: not (old & _workers(proxy.proc.pid)), timeout=20, what="old nginx workers to exit", interval=0.02)

    return set_tokens


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
    rotator = harness.Rotator(handler=handler_mod, secret_arn=secret, stack=stack, set_tokens=settled_set_tokens(rotation_endpoint))
    rotator.sync([])
    yield rotator


@pytest.fixture
def endpoint_url(rotation_endpoint: Any) -> str:
    return str(rotation_endpoint.url)


