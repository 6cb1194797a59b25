"""Fixtures for the rotation tests: a real Chroma behind a real nginx that does what the
stack's ALB does (token rules whose accepted values are mirrored from the moto rules after
every step, an open heartbeat, 401 otherwise), the moto stand-in for what Terraform builds,
and the handler wired to both."""

from __future__ import annotations

import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.servers import wait_until
from tests.rotation import harness


def _workers(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found.update(int(p) for p in (task / "children").read_text().split())
        except FileNotFoundError:
            continue
    return found


def alb_like(conf: str) -> str:
    """The shared proxy's config plus what the stack's ALB also does: GET /api/v2/heartbeat is
    forwarded without a token (listener rule priority 1, for health probes)."""
    marker = "        location / {"
    assert marker in conf, "the nginx fixture's config changed shape"
    open_heartbeat = "        location = /api/v2/heartbeat {\n            proxy_pass http://chroma;\n        }\n"
    return conf.replace(marker, open_heartbeat + marker, 1)


class AlbLikeProxy:
    """helper C's nginx (tests/fixtures/nginx_proxy.py) rendering the token rule, plus the open
    heartbeat. set_tokens returns once every worker that ran the previous rule has exited, so
    the accepted set is exact from then on (right after a reload an old worker may still
    answer a new connection for a moment)."""

    def __init__(self, inner: Any):
        self.inner = inner
        self.url = inner.url
        self.tokens: list[str] = list(inner.tokens)

    def set_tokens(self, tokens: list[str]) -> None:
        from tests.fixtures import nginx_proxy

        inner = self.inner
        old = _workers(inner.proc.pid)
        inner.conf.write_text(alb_like(nginx_proxy._render(inner.dir, inner.port, inner.upstream, list(tokens))))
        subprocess.run(inner._cmd("-t", "-q"), check=True, capture_output=True, timeout=30)
        subprocess.run(inner._cmd("-s", "reload"), check=True, capture_output=True, timeout=30)
        inner.tokens = self.tokens = list(tokens)
        wait_until(
            lambda: bool(_workers(inner.proc.pid)) and not (old & _workers(inner.proc.pid)),
            timeout=20,
            what="nginx reload (old workers gone)",
            interval=0.02,
        )

    def stop(self) -> None:
        self.inner.stop()


@pytest.fixture(scope="session")
def rotation_endpoint(chroma_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AlbLikeProxy]:
    from tests.fixtures.nginx_proxy import start_nginx

    proxy = AlbLikeProxy(start_nginx(tmp_path_factory.mktemp("rotation-nginx"), chroma_server.url, []))
    try:
        proxy.set_tokens([])
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
def rig(aws_env: Any, rotation_endpoint: AlbLikeProxy, handler_mod: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[harness.Rotator]:
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
    rotator = harness.Rotator(handler=handler_mod, secret_arn=secret, stack=stack, set_tokens=rotation_endpoint.set_tokens)
    rotator.sync([])
    yield rotator


@pytest.fixture
def endpoint_url(rotation_endpoint: AlbLikeProxy) -> str:
    return str(rotation_endpoint.url)
