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
        self.closed_by_client = 0  # connections the client dropped before the server's hold ran out
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
                        self.closed_by_client += 1  # the client gave up and closed
                        return
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
    # it gave up on its own read timeout: it dropped the connection before the server's hold ran out
    deadline = time.monotonic() + HOLD_S
    while silent.closed_by_client < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert silent.closed_by_client == 1
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


def _stubbed_ecs() -> tuple[Any, Any]:
    import boto3
    from botocore.stub import Stubber

    ecs = boto3.client("ecs", PRIMARY, aws_access_key_id="x", aws_secret_access_key="x")
    return ecs, Stubber(ecs)


def test_fence_of_a_live_primary_scales_it_to_zero(tmp_path: Path) -> None:
    """UpdateService(desiredCount=0) on the primary's cluster and service (botocore ecs/2014-11-13
    UpdateServiceRequest); the override reaches the fence's own short-lived factory."""
    ecs, stub = _stubbed_ecs()
    stub.add_response("update_service", {"service": {"serviceName": SERVICE, "desiredCount": 0}},
                      {"cluster": CLUSTER, "service": SERVICE, "desiredCount": 0})
    with stub:
        res = A.fence_primary(_env(tmp_path), RecordingFactory(built=[], overrides={("ecs", PRIMARY): ecs}), OUTPUTS)
    stub.assert_no_pending_responses()
    assert set(res) == {"outcome", "cluster", "service", "seconds"}
    assert (res["outcome"], res["cluster"], res["service"]) == ("fenced", CLUSTER, SERVICE) and 0 <= res["seconds"] < HOLD_S


def test_fence_refused_by_the_primary_is_an_error_outcome_with_the_manual_command(tmp_path: Path) -> None:
    ecs, stub = _stubbed_ecs()
    stub.add_client_error("update_service", "AccessDeniedException", "not authorized to perform ecs:UpdateService", 400,
                          expected_params={"cluster": CLUSTER, "service": SERVICE, "desiredCount": 0})
    with stub:
        res = A.fence_primary(_env(tmp_path), RecordingFactory(built=[], overrides={("ecs", PRIMARY): ecs}), OUTPUTS)
    assert res["outcome"] == "error" and res["reason"] == "AccessDeniedException: not authorized to perform ecs:UpdateService"
    assert res["manual"] == (f"aws ecs update-service --region {PRIMARY} --cluster {CLUSTER} --service {SERVICE} --desired-count 0")
    assert set(res) == {"outcome", "reason", "seconds", "manual"}


def test_fence_skipped_names_the_placeholders() -> None:
    from chromactl.config import EnvConfig

    env = EnvConfig(name="prod", kind="aws", dir=Path("."), config_path=Path("x"), primary_region=PRIMARY)
    res = A.fence_primary(env, RecordingFactory(built=[]), {})
    assert res == {"outcome": "skipped", "reason": "the primary's state names no ECS cluster/service",
                   "manual": f"aws ecs update-service --region {PRIMARY} --cluster <cluster> --service <service> --desired-count 0"}


@pytest.mark.parametrize("outcome", ["fenced", "unreachable", "error"])
def test_every_fence_outcome_records_its_seconds_to_the_hundredth(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   outcome: str) -> None:
    from types import SimpleNamespace

    from botocore.exceptions import ClientError, EndpointConnectionError

    ticks = iter([500.0, 501.23456])
    monkeypatch.setattr(A, "time", SimpleNamespace(monotonic=lambda: next(ticks)))

    class Ecs:
        def update_service(self, **kw: Any) -> dict[str, Any]:
            assert kw == {"cluster": CLUSTER, "service": SERVICE, "desiredCount": 0}
            if outcome == "unreachable":
                raise EndpointConnectionError(endpoint_url=f"https://ecs.{PRIMARY}.amazonaws.com")
            if outcome == "error":
                raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "UpdateService")
            return {"service": {"serviceName": SERVICE}}

    res = A.fence_primary(_env(tmp_path), RecordingFactory(built=[], overrides={("ecs", PRIMARY): Ecs()}), OUTPUTS)
    assert res["outcome"] == outcome and res["seconds"] == 1.23
    assert set(res) == ({"outcome", "cluster", "service", "seconds"} if outcome == "fenced" else {"outcome", "reason", "seconds", "manual"})
