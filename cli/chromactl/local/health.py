"""What `status --env local` and `doctor --env local` say about the local server.

Built on chromactl.local.server (which starts and stops it); this module only
looks: the recorded state, whether that pid is still our `chroma run`, whether
the port answers a heartbeat within its timeout, and where the log is. A
server whose process lives but does not answer is `hung` (status exits 1), a
recorded pid that is gone or now belongs to another program is `stale`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chromactl.config import EnvConfig
from chromactl.local import server


def local_report(env: EnvConfig) -> dict[str, Any]:
    """local_status plus: state (running / hung / stopped / stale), the stale pid, a problem line."""
    data = server.local_status(env)
    recorded = server._read_state(env)
    ddir = server.data_dir(env)
    stale_pid = None
    if recorded and not server._pid_is_our_server(recorded["pid"], ddir):
        stale_pid = recorded["pid"]
    if data.get("running") and data.get("healthy"):
        state = "running"
    elif data.get("running"):
        state = "hung"
    elif stale_pid is not None:
        state = "stale"
    else:
        state = "stopped"
    problems: list[str] = []
    if state == "hung":
        problems.append(f"pid {data['pid']} is alive but {data['endpoint']} did not answer its heartbeat within "
                        f"{server.HTTP_TIMEOUT_S:g} s; see the log, or run `chromactl destroy --env {env.name}` and `up` again")
    if state == "stale":
        problems.append(f"the recorded pid {stale_pid} is not a Chroma server on this data directory any more "
                        f"(it exited or was killed); `chromactl up --env {env.name}` starts a new one")
    data.update(state=state, stale_pid=stale_pid, healthy=state == "running", problems=problems)
    return data  # `chromactl status` adds the version record's line (workflows/status.local_status)


def render_local_status(console: Any, data: dict[str, Any]) -> None:
    """The same shape as the AWS status: a heading line, then one line per aspect, then problems."""
    state = data["state"]
    colour = {"running": "green", "hung": "red", "stale": "yellow", "stopped": "yellow"}[state]
    console.print(f"[bold]{data['env']}/local[/]  endpoint: {data['endpoint']}")
    pid = f"pid {data['pid']}" if data.get("pid") else "no process"
    console.print(f"server: [{colour}]{state}[/] ({pid}, Chroma {data['version']}); "
                  f"highest version that opened the data: {data.get('highest_opened_data') or 'none recorded'}")
    if data.get("collections") is not None:
        console.print(f"collections: {data['collections']}")
    exists = "" if data.get("data_exists") else " (not created yet)"
    console.print(f"data: {data['data_dir']}{exists}")
    console.print(f"log: {data['log']}")
    for p in data["problems"]:
        console.print(f"[red]problem:[/] {p}")


@dataclass
class LocalCheck:
    name: str
    status: str  # ok | warn | fail
    detail: str
    fix: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "detail": self.detail, "fix": self.fix}


def local_doctor(env: EnvConfig) -> list[LocalCheck]:
    """The local env needs no Terraform and no AWS: check the chroma command, the server and its port."""
    checks: list[LocalCheck] = []
    argv = server._chroma_argv()
    checks.append(LocalCheck("chroma", "ok", f"{' '.join(argv[:1])} (chromadb {server._chroma_version()})"))
    report = local_report(env)
    port = env.local.port if env.local else None
    if report["state"] == "running":
        checks.append(LocalCheck("server", "ok", f"answers at {report['endpoint']} (pid {report['pid']})"))
    elif report["state"] == "hung":
        checks.append(LocalCheck("server", "fail", report["problems"][0], f"chromactl destroy --env {env.name} && chromactl up --env {env.name}"))
    else:
        detail = "not running" + (f" (stale pid {report['stale_pid']} recorded)" if report["stale_pid"] else "")
        checks.append(LocalCheck("server", "warn", detail, f"chromactl up --env {env.name}"))
        if port is not None and server._port_in_use(port):
            checks.append(LocalCheck("port", "fail", f"127.0.0.1:{port} is taken by another process, so `up` cannot start the server",
                                     f"stop that process or set another port under [local] in {env.config_path}"))
        elif port is not None:
            checks.append(LocalCheck("port", "ok", f"127.0.0.1:{port} is free"))
    checks.append(LocalCheck("data", "ok", report["data_dir"] + ("" if report["data_exists"] else " (created by `up`)")))
    return checks
