"""The fence's bound: one attempt, short connect and read timeouts, whatever the factory's defaults.

A primary that accepts connections and never answers (a hung region) must cost the failover one
short read timeout, not botocore's retries times the factory's 30 s read timeout. The silent server
here counts the connections it accepted: each attempt is a new connection, so the count is the
number of attempts, whatever the machine's speed.

botocore facts relied on (botocore/config.py, `Config` docstring, `retries`): `total_max_attempts`
counts the initial request (1 = no retry); `max_attempts` counts retries after it (1 = two
attempts). A ReadTimeoutError is retried in the standard mode (botocore/retries/standard.py,
RetryableExceptions / TransientRetryableChecker).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from chromactl.aws.session import ClientFactory
from chromactl.config import load_env
from chromactl.failover import aws as A

from tests.failover.conftest import CLUSTER, PRIMARY, SERVICE, write_env

HOLD_S = 6.0  # the silent server drops each connection after this long (a hang guard for broken code)


class SilentServer:
    """Accepts TCP connections on 127.0.0.1, reads, never answers; closes each after HOLD_S."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True, name="silent-primary")
        self._thread.start()

    def _hold(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(0.1)
            deadline = time.monotonic() + HOLD_S
            while time.monotonic() < deadline and not self._stop.is_set():
                try:
                    if not conn.recv(65536):
                        return  # the client gave up and closed
                except TimeoutError:
                    continue
                except OSError:
                    return

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            threading.Thread(target=self._hold, args=(conn,), daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


@pytest.fixture
def silent() -> Iterator[SilentServer]:
    server = SilentServer()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class RecordingFactory(ClientFactory):
    """The real factory; remembers every client it built (dataclasses.replace keeps the class)."""

    built: list[Any] | None = None

    def client(self, service: str, region: str, **kw: Any) -> Any:
        client = super().client(service, region, **kw)
        if self.built is not None:
            self.built.append(client)
        return client


def _env(tmp_path: Path) -> Any:
    write_env(tmp_path, "prod", protected=False)
    return load_env("prod", tmp_path)


@pytest.fixture
def aws_creds(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"), ("AWS_SESSION_TOKEN", "testing")):
        monkeypatch.setenv(key, value)
    for key in ("AWS_PROFILE", "AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")


OUTPUTS = {"cluster_name": CLUSTER, "service_name": SERVICE}


def test_fence_client_is_bounded_whatever_the_factory_defaults(tmp_path: Path, aws_creds: None,
                                                              monkeypatch: pytest.MonkeyPatch, silent: SilentServer) -> None:
    monkeypatch.setenv("CHROMACTL_AWS_ENDPOINTS", f'{{"{PRIMARY}": "http://127.0.0.1:{silent.port}"}}')
    built: list[Any] = []
    factory = RecordingFactory(connect_timeout=30.0, read_timeout=60.0, max_attempts=5, built=built)
    monkeypatch.setattr(A, "FENCE_READ_S", 0.5)  # the bound under test, made short so the test is quick
    res = A.fence_primary(_env(tmp_path), factory, OUTPUTS)
    assert res["outcome"] == "unreachable" and "ReadTimeoutError" in res["reason"]
    assert res["manual"].startswith(f"aws ecs update-service --region {PRIMARY} --cluster {CLUSTER} --service {SERVICE}")
    (ecs,) = built
    cfg = ecs.meta.config
    assert cfg.connect_timeout == A.FENCE_CONNECT_S and cfg.read_timeout == 0.5
    assert ecs.meta.region_name == PRIMARY
    # exactly one request reached the hung primary: no retry
    assert silent.accepted == 1, f"{silent.accepted} attempts"
    # it gave up on its own read timeout, long before the server dropped the connection
    assert res["seconds"] < HOLD_S / 2, res
    assert factory._cache == {}  # the fence's short-lived client is not the shared one


def test_fence_of_a_refusing_primary_is_recorded_not_raised(tmp_path: Path, aws_creds: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.fixtures.servers import free_port

    monkeypatch.setenv("CHROMACTL_AWS_ENDPOINTS", f'{{"{PRIMARY}": "http://127.0.0.1:{free_port()}"}}')
    res = A.fence_primary(_env(tmp_path), RecordingFactory(built=[]), OUTPUTS)
    assert res["outcome"] == "unreachable" and "EndpointConnectionError" in res["reason"]
    assert "--desired-count 0" in res["manual"]


def test_fence_without_cluster_or_service_is_skipped(tmp_path: Path) -> None:
    res = A.fence_primary(_env(tmp_path), RecordingFactory(built=[]), {"cluster_name": CLUSTER})
    assert res["outcome"] == "skipped" and "--cluster chromactl-prod --service <service>" in res["manual"]


def test_factory_max_attempts_counts_the_first_request(aws_creds: None, monkeypatch: pytest.MonkeyPatch, silent: SilentServer) -> None:
    """ClientFactory(max_attempts=N) makes N attempts in all (it once made N + 1: botocore's
    `max_attempts` counts retries only), so the fence's max_attempts=1 is a single attempt."""
    import botocore.exceptions as bex

    monkeypatch.setenv("CHROMACTL_AWS_ENDPOINTS", f'{{"{PRIMARY}": "http://127.0.0.1:{silent.port}"}}')
    ecs = ClientFactory(read_timeout=0.3, max_attempts=2).client("ecs", PRIMARY)
    with pytest.raises(bex.ReadTimeoutError):
        ecs.list_clusters()
    assert silent.accepted == 2, f"{silent.accepted} attempts"
