"""The local env: one Chroma server on 127.0.0.1 with a persistent data directory.

`chroma run` from the project's own `chromadb` package (the version every env
runs) is started detached, its log in a file, its pid and port recorded in a
state file next to the data directory. A lock file makes `local_up` safe to run
twice (even at once): the second call finds the first server and leaves it be.
The data directory is mode 0700 and survives `local_destroy` unless asked.

Layout under the project root (default `local.data_dir = .chromactl/local`):
  .chromactl/local/              Chroma's data (0700, marked as chromactl's: see chromactl.local.datadir)
  .chromactl/<env>-server.json   state: pid, port, data_dir, log, started_at
  .chromactl/<env>-server.log    the server's output
  .chromactl/<env>-server.lock   serialises up/destroy
The state files stay in the project's own .chromactl/ wherever data_dir points, so nothing is
written, chmod-ed or deleted beside or above a user-chosen data directory.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from chromactl import CHROMA_VERSION
from chromactl.config import EnvConfig, LocalConfig
from chromactl.errors import ConfigError, OperationFailed
from chromactl.local import datadir
from chromactl.output import Output
from chromactl.poll import Clock, TimedOut, poll_until

START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0
HTTP_TIMEOUT_S = 2.0


def _local(env: EnvConfig) -> LocalConfig:
    if env.local is None:
        raise ConfigError(f"Env {env.name!r} is not a local env.", "Use --env local (envs/local/chromactl.toml has [env] kind = \"local\").")
    return env.local


def _root(env: EnvConfig) -> Path:
    return env.dir.parent.parent  # envs/<name>/ -> project root


def data_dir(env: EnvConfig) -> Path:
    """The configured data directory, absolute and symlink-free; refused when it is /, home, the checkout or above."""
    path = datadir.resolve(_local(env).data_dir, _root(env))
    datadir.check_path(path, _root(env), env.config_path)
    return path


def _own_dir(env: EnvConfig) -> Path:
    return _root(env) / ".chromactl"


def _state_path(env: EnvConfig) -> Path:
    return _own_dir(env) / f"{env.name}-server.json"


def _log_path(env: EnvConfig) -> Path:
    return _own_dir(env) / f"{env.name}-server.log"


def _read_state(env: EnvConfig) -> dict[str, Any] | None:
    try:
        data = json.loads(_state_path(env).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("pid"), int) else None


def _write_state(env: EnvConfig, state: dict[str, Any]) -> None:
    path = _state_path(env)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
    os.chmod(tmp, 0o600)
    tmp.replace(path)


@contextlib.contextmanager
def _locked(env: EnvConfig) -> Iterator[None]:
    import fcntl

    own = _own_dir(env)
    own.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(own / f"{env.name}-server.lock", "a+") as fh:

        def locked() -> tuple[bool, None]:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False, None
            return True, None

        poll_until(locked, timeout_s=START_TIMEOUT_S + STOP_TIMEOUT_S, interval_s=0.1, clock=Clock(), on_timeout=lambda _: OperationFailed(
            "Another chromactl is starting or stopping the local server.", "Wait for it, then retry."))
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _pid_is_our_server(pid: int, ddir: Path) -> bool:
    """True when `pid` is alive and is a `chroma run` on this data directory (not a recycled pid)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True  # no /proc (macOS): trust the pid
    args = [a.decode(errors="replace") for a in raw.split(b"\0") if a]
    return any("chroma" in a for a in args) and str(ddir) in args


def _heartbeat(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=HTTP_TIMEOUT_S) as resp:
            return resp.status == 200
    except (OSError, ValueError):
        return False


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _chroma_argv() -> list[str]:
    exe = Path(sys.executable).parent / "chroma"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("chroma")
    if found:
        return [found]
    return [sys.executable, "-c", "from chromadb.cli.cli import app; app()"]


def _chroma_version() -> str:
    try:
        from importlib.metadata import version

        return version("chromadb")
    except Exception:  # noqa: BLE001
        return CHROMA_VERSION


def _tail(path: Path, lines: int = 8) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    import re

    clean = [re.sub(r"\x1b\[[0-9;]*m", "", t).strip() for t in text[-lines:]]
    return " | ".join(c for c in clean if c)


def local_endpoint(env: EnvConfig) -> str:
    """The URL of the local server (the recorded port when it runs, else the configured one)."""
    state = _read_state(env)
    port = state.get("port") if state and isinstance(state.get("port"), int) else _local(env).port
    return f"http://127.0.0.1:{port}"


def _running_state(env: EnvConfig) -> dict[str, Any] | None:
    state = _read_state(env)
    if state and _pid_is_our_server(state["pid"], data_dir(env)):
        return state
    return None


def local_up(env: EnvConfig, output: Output) -> dict[str, Any]:
    """Start the local server (or find it running); waits, bounded, for its heartbeat."""
    cfg = _local(env)
    ddir = data_dir(env)
    with _locked(env):
        state = _running_state(env)
        if state:
            url = f"http://127.0.0.1:{state['port']}"
            pid = state["pid"]
            poll_until(lambda: (_heartbeat(url), None), timeout_s=START_TIMEOUT_S, interval_s=0.2, clock=Clock(),
                       on_timeout=lambda _: OperationFailed(
                           f"The local server (pid {pid}) runs but does not answer at {url}.",
                           f"Run chromactl destroy --env {env.name}, then up again; its log is {_log_path(env)}."))
            output.info(f"local Chroma already running (pid {state['pid']}) at {url}")
            return {"started": False, "already_running": True, "pid": state["pid"], "endpoint": url, "data_dir": str(ddir), "log": str(_log_path(env))}

        if _port_in_use(cfg.port):
            raise OperationFailed(
                f"Port {cfg.port} on 127.0.0.1 is already in use by another process.",
                f"Stop that process or set a free port under [local] in {env.config_path}.",
            )
        datadir.prepare(ddir, _root(env), env.config_path, env.name)  # refuses a directory that is not chromactl's
        log = _log_path(env)
        argv = [*_chroma_argv(), "run", "--host", "127.0.0.1", "--port", str(cfg.port), "--path", str(ddir)]
        child_env = dict(os.environ)
        child_env.setdefault("ANONYMIZED_TELEMETRY", "False")
        # Chroma logs every request at INFO (about 3 KB each): the log would grow without bound.
        child_env.setdefault("RUST_LOG", "warn")
        child_env["NO_COLOR"] = "1"
        with open(log, "ab") as fh:
            os.chmod(log, 0o600)
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=fh,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # detached: survives this command and its Ctrl-C
                env=child_env,
                close_fds=True,
            )
        url = f"http://127.0.0.1:{cfg.port}"
        state = {
            "pid": proc.pid,
            "port": cfg.port,
            "host": "127.0.0.1",
            "data_dir": str(ddir),
            "log": str(log),
            "chroma_version": _chroma_version(),
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        _write_state(env, state)
        output.info(f"starting local Chroma {state['chroma_version']} on {url} (data in {ddir})")

        def answers() -> tuple[bool, None]:
            if _heartbeat(url):
                return True, None
            if proc.poll() is not None:
                _state_path(env).unlink(missing_ok=True)
                raise OperationFailed(
                    f"The local Chroma server exited with code {proc.returncode} while starting.",
                    f"See its log {log}: {_tail(log)}",
                )
            return False, None

        def silent(_: None) -> OperationFailed:
            _stop_pid(proc.pid)
            _state_path(env).unlink(missing_ok=True)
            return OperationFailed(f"The local Chroma server did not answer within {START_TIMEOUT_S:.0f} s.", f"See its log {log}.")

        poll_until(answers, timeout_s=START_TIMEOUT_S, interval_s=0.2, clock=Clock(), on_timeout=silent)
        return {"started": True, "already_running": False, "pid": proc.pid, "endpoint": url, "data_dir": str(ddir), "log": str(log)}


def local_status(env: EnvConfig) -> dict[str, Any]:
    """Whether the local server runs, where, which Chroma, how many collections."""
    ddir = data_dir(env)
    state = _running_state(env)
    result: dict[str, Any] = {
        "env": env.name,
        "running": False,
        "pid": None,
        "endpoint": local_endpoint(env),
        "version": _chroma_version(),
        "collections": None,
        "data_dir": str(ddir),
        "data_exists": ddir.is_dir(),
        "log": str(_log_path(env)),
    }
    if not state:
        return result
    url = f"http://127.0.0.1:{state['port']}"
    result.update(pid=state["pid"], endpoint=url, version=state.get("chroma_version") or result["version"])
    result["running"] = _heartbeat(url)
    result["healthy"] = result["running"]
    if result["running"]:
        try:
            db = f"{url}/api/v2/tenants/default_tenant/databases/default_database/collections_count"
            with urllib.request.urlopen(db, timeout=HTTP_TIMEOUT_S) as resp:
                result["collections"] = int(json.loads(resp.read()))
        except (OSError, ValueError):
            result["collections"] = None
    else:
        result["running"] = True  # the process lives but does not answer: report it as such
        result["healthy"] = False
    return result


def _stop_pid(pid: int) -> bool:
    """SIGTERM, wait (bounded), then SIGKILL. True when it is gone."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return True

    def gone() -> tuple[bool, None]:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reap if it is our child (tests start it in-process)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True, None
        if not Path(f"/proc/{pid}").exists():
            return True, None
        try:
            return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z", None  # a zombie is gone
        except OSError:
            return True, None

    try:
        poll_until(gone, timeout_s=STOP_TIMEOUT_S, interval_s=0.1, clock=Clock())
        return True
    except TimedOut:
        pass  # still there after the bound: kill it
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    time.sleep(0.2)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    return True


def data_to_delete(env: EnvConfig) -> dict[str, Any]:
    """What `destroy --delete-data` would delete: the data directory (size, files) and, when the
    server answers, the collections in it. Raises when chromactl would refuse to delete it."""
    ddir = data_dir(env)
    info = datadir.inspect(ddir)
    result: dict[str, Any] = {**info.to_dict(), "description": info.describe(), "collections": None}
    if info.exists and not info.marked:
        datadir.delete(ddir, _root(env), env.config_path)  # raises: not chromactl's directory
    state = _running_state(env)
    if info.exists and state:
        try:
            url = f"http://127.0.0.1:{state['port']}/api/v2/tenants/default_tenant/databases/default_database/collections?limit=1000"
            with urllib.request.urlopen(url, timeout=HTTP_TIMEOUT_S) as resp:
                result["collections"] = sorted(str(c.get("name")) for c in json.loads(resp.read()))
        except (OSError, ValueError, AttributeError):
            result["collections"] = None
    return result


def local_destroy(env: EnvConfig, *, delete_data: bool = False) -> dict[str, Any]:
    """Stop the local server if it runs; delete its data directory only when asked (and only chromactl's own)."""
    ddir = data_dir(env)
    with _locked(env):
        state = _running_state(env)
        was_running = state is not None
        if state:
            _stop_pid(state["pid"])
        stale_state = state is None and _state_path(env).exists()
        _state_path(env).unlink(missing_ok=True)
        deleted = datadir.delete(ddir, _root(env), env.config_path) if delete_data else False
    return {"env": env.name, "was_running": was_running, "stopped": was_running, "pid": state["pid"] if state else None,
            "stale_state_removed": stale_state, "data_dir": str(ddir), "data_deleted": deleted,
            "data_kept": ddir.exists()}
