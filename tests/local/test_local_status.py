"""Issue 16 item 15 and issue 20 item 9: `status --env local` reads like the AWS status, says where the log is,
exits 1 for a hung server (alive, not answering) and names a stale pid; `doctor --env local` checks the
server and its port, not Terraform. A real `chroma run`, frozen with SIGSTOP to play a hung server."""

from __future__ import annotations

import os
import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from chromactl.config import EnvConfig, load_env
from chromactl.local.server import local_destroy, local_up
from chromactl.output import Output

from tests.checks.helpers import run_cli
from tests.fixtures.envelope import result_of
from tests.fixtures.servers import free_port, wait_until


@pytest.fixture()
def local_project(tmp_path: Path) -> Iterator[tuple[EnvConfig, Path]]:
    root = tmp_path / "project"
    (root / "terraform").mkdir(parents=True)
    env_dir = root / "envs" / "local"
    env_dir.mkdir(parents=True)
    (env_dir / "chromactl.toml").write_text(
        f'[env]\nkind = "local"\nprotected = false\n\n[local]\nhost = "127.0.0.1"\nport = {free_port()}\ndata_dir = ".chromactl/local"\n'
    )
    env = load_env("local", root)
    try:
        yield env, root
    finally:
        local_destroy(env, delete_data=True)


def _cli(root: Path, *args: str):  # type: ignore[no-untyped-def]
    return run_cli(*args, env={"CHROMACTL_ROOT": str(root), "PATH": os.environ.get("PATH", "")}, timeout=90)


def test_status_running_hung_and_stale(local_project) -> None:  # type: ignore[no-untyped-def]
    env, root = local_project
    started = local_up(env, Output(json=True))
    pid = started["pid"]

    res = _cli(root, "status", "--env", "local")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0].startswith("local/local  endpoint: http://127.0.0.1:"), res.stdout  # like "<env>/<region>  endpoint: ..."
    assert f"server: running (pid {pid}, Chroma 1.5.9)" in res.stdout
    assert f"log: {started['log']}" in res.stdout
    assert "{" not in res.stdout and "running: True" not in res.stdout  # not a dict dump

    os.kill(pid, signal.SIGSTOP)  # alive, port open, no answer: hung
    try:
        hung = _cli(root, "status", "--env", "local")
        hung_json = _cli(root, "status", "--env", "local", "--json")
    finally:
        os.kill(pid, signal.SIGCONT)
    assert hung.returncode == 1, hung.stdout + hung.stderr
    assert f"server: hung (pid {pid}" in hung.stdout and "did not answer its heartbeat" in hung.stdout
    data = result_of(hung_json.stdout)
    assert hung_json.returncode == 1 and data["state"] == "hung" and data["healthy"] is False

    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split(")")[-1][:3],
               timeout=30, what="the killed server to go")
    stale = _cli(root, "status", "--env", "local")
    assert stale.returncode == 1
    assert f"the recorded pid {pid} is not a Chroma server" in stale.stdout, stale.stdout
    assert "server: stale" in stale.stdout


def test_doctor_local_checks_the_server_and_port_not_terraform(local_project) -> None:  # type: ignore[no-untyped-def]
    env, root = local_project
    assert env.local is not None
    stopped = _cli(root, "--json", "doctor", "--env", "local")
    checks = {c["name"]: c for c in result_of(stopped.stdout)["checks"]}
    assert "terraform" not in " ".join(checks).lower(), checks
    assert checks["server"]["status"] == "warn" and checks["port"]["status"] == "ok"
    assert stopped.returncode == 0

    with socket.socket() as squatter:  # someone else holds the port: up cannot start
        squatter.bind(("127.0.0.1", env.local.port))
        squatter.listen(1)
        taken = _cli(root, "doctor", "--env", "local")
    assert taken.returncode == 1
    assert f"127.0.0.1:{env.local.port} is taken by another process" in taken.stdout

    local_up(env, Output(json=True))
    up = _cli(root, "--json", "doctor", "--env", "local")
    assert up.returncode == 0, up.stdout
    assert {c["name"]: c["status"] for c in result_of(up.stdout)["checks"]}["server"] == "ok"
