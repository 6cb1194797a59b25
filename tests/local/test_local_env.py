"""The local env: a real `chroma run` on 127.0.0.1, checked with pytest-testinfra, smoke-able, restartable."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import testinfra
from chromactl.checks.client import ChromaClient
from chromactl.config import EnvConfig, load_env
from chromactl.local.server import data_dir, local_destroy, local_endpoint, local_status, local_up
from chromactl.output import Output

from tests.checks.helpers import run_cli
from tests.fixtures.envelope import result_of
from tests.fixtures.servers import free_port


@pytest.fixture(scope="module")
def local_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[EnvConfig, Path]]:
    root = tmp_path_factory.mktemp("project")
    (root / "terraform").mkdir()
    env_dir = root / "envs" / "local"
    env_dir.mkdir(parents=True)
    port = free_port()
    (env_dir / "chromactl.toml").write_text(
        f'[env]\nkind = "local"\nprotected = false\n\n[local]\nhost = "127.0.0.1"\nport = {port}\ndata_dir = ".chromactl/local"\n'
        "\n[slo]\np95_ms = 2000\np99_ms = 5000\n"
    )
    env = load_env("local", root)
    try:
        yield env, root
    finally:
        local_destroy(env, delete_data=True)


@pytest.fixture(scope="module")
def running(local_env):  # type: ignore[no-untyped-def]
    env, root = local_env
    first = local_up(env, Output(json=True))
    return env, root, first


def test_up_twice_leaves_one_server(running) -> None:  # type: ignore[no-untyped-def]
    env, _, first = running
    assert first["started"] is True
    second = local_up(env, Output(json=True))
    assert second["already_running"] is True and second["pid"] == first["pid"]
    host = testinfra.get_host("local://")
    procs = [p for p in host.process.filter(comm="chroma") if str(data_dir(env)) in p.args]
    assert len(procs) == 1 and procs[0].pid == first["pid"]


def test_host_checks(running) -> None:  # type: ignore[no-untyped-def]
    env, _, first = running
    host = testinfra.get_host("local://")
    port = env.local.port
    args = host.process.get(pid=first["pid"]).args
    assert f"run --host 127.0.0.1 --port {port} --path {data_dir(env)}" in args
    assert host.socket(f"tcp://127.0.0.1:{port}").is_listening
    assert not host.socket(f"tcp://0.0.0.0:{port}").is_listening
    assert not host.socket(f"tcp://:::{port}").is_listening
    listeners = [s for s in host.socket.get_listening_sockets() if s.endswith(f":{port}")]
    assert listeners == [f"tcp://127.0.0.1:{port}"], listeners
    ddir = host.file(str(data_dir(env)))
    assert ddir.is_directory and ddir.mode & 0o077 == 0  # 0700: not world- (or group-) readable
    assert ddir.user == host.user().name
    state = data_dir(env).parent / "local-server.json"
    assert stat.S_IMODE(os.stat(state).st_mode) == 0o600


def test_status_and_cli_smoke_and_latency(running) -> None:  # type: ignore[no-untyped-def]
    env, root, first = running
    st = local_status(env)
    assert st["running"] and st["healthy"] and st["pid"] == first["pid"] and st["version"] == "1.5.9"
    assert st["endpoint"] == local_endpoint(env) == f"http://127.0.0.1:{env.local.port}"
    cli_env = {"CHROMACTL_ROOT": str(root)}
    res = run_cli("--json", "smoke", "--env", "local", "--vectors", "100", env=cli_env)
    assert res.returncode == 0, res.stderr
    data = result_of(res.stdout)
    assert data["ok"] and data["target"]["url"] == st["endpoint"] and "no auth enforced" in data["steps"][1]["detail"]
    res = run_cli("--json", "latency", "--env", "local", "--queries", "50", "--seed-vectors", "200", "--dims", "8", env=cli_env)
    assert res.returncode == 0, res.stderr
    assert result_of(res.stdout)["slos"] == {"p95": 2000.0, "p99": 5000.0}  # the env's SLOs apply by default


def test_data_survives_restart_and_destroy_keeps_it(running) -> None:  # type: ignore[no-untyped-def]
    env, _, _ = running
    with ChromaClient(local_endpoint(env)) as c:
        col = c.create_collection("survivor")
        c.add(col["id"], ["a", "b"], [[1.0, 0.0], [0.0, 1.0]])
    gone = local_destroy(env)
    assert gone["was_running"] and not gone["data_deleted"]
    assert local_status(env)["running"] is False and data_dir(env).is_dir()
    again = local_up(env, Output(json=True))
    assert again["started"] is True
    with ChromaClient(local_endpoint(env)) as c:
        assert c.count(c.get_collection("survivor")["id"]) == 2
        c.delete_collection("survivor")


def test_port_taken_by_someone_else_is_a_clear_error(local_env, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    import socket

    from chromactl.errors import OperationFailed

    other = tmp_path_factory.mktemp("other")
    (other / "envs" / "local").mkdir(parents=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        (other / "envs" / "local" / "chromactl.toml").write_text(f'[env]\nkind = "local"\n[local]\nport = {port}\n')
        env = load_env("local", other)
        with pytest.raises(OperationFailed, match=f"Port {port} on 127.0.0.1 is already in use"):
            local_up(env, Output(json=True))
