"""A warm parent for the offline provider: forks a ready provider instead of starting Python.

Terraform starts the provider process several times per command (the schema, then
once per provider configuration for validate, again for plan). A fresh Python
spends ~0.2 s CPU importing grpc and protobuf each time, the largest cost of an
offline `terraform validate`. The test suite runs hundreds of commands, so its
pytest session starts one zygote: a process that has imported everything and
listens on a private unix socket. When TFOFFLINE_ZYGOTE names that socket, the
launcher (`bin/terraform-provider-aws`) runs this file as a client (`python -I -S`,
stdlib only, ~15 ms) which hands the zygote its stdin/stdout/stderr, working
directory, environment and arguments; the zygote forks, the child becomes the
provider on those descriptors (the handshake line goes to Terraform's pipe) and
serves exactly as a fresh process would, and the client exits with the child's
status. The child stops when Terraform shuts it down or the client is gone (Terraform
killed it). Without a reachable zygote the client execs the provider the normal way.

    python zygote.py serve SOCKET      # the zygote (the pytest fixture starts and stops it)
    python -I -S zygote.py connect SOCKET [provider args...]   # what the launcher runs
"""

from __future__ import annotations

import json
import os
import socket
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
_MAX_MSG = 4 * 1024 * 1024


# --------------------------------------------------------------------------- client (stdlib only)


def connect(sock_path: str, args: list[str]) -> int:
    """Have the zygote fork a provider on our stdio; wait for it and return its exit status."""
    import select

    terraform = os.getppid()
    request = json.dumps({"cwd": os.getcwd(), "env": dict(os.environ), "args": args}).encode()
    message = len(request).to_bytes(4, "big") + request
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(sock_path)
        sent = socket.send_fds(s, [message], [0, 1, 2])
        if sent < len(message):
            s.sendall(message[sent:])
    except OSError:
        s.close()
        return _exec_provider(args)  # no zygote: start the provider the normal way
    # The zygote answers "+" once it has forked, then the child's exit status and a newline. EOF
    # before "+" means it refused or died before forking: start the provider the normal way.
    # While waiting, watch Terraform: if it is gone (killed), leave, so the child sees our end of
    # the connection close and stops serving too.
    reply = b""
    while not reply.endswith(b"\n"):
        try:
            ready, _, _ = select.select([s], [], [], 0.5)
            chunk = s.recv(64) if ready else None
        except OSError:
            chunk = b""
        if chunk is None:
            if os.getppid() != terraform:
                s.close()
                return 1
            continue
        if not chunk:
            break
        reply += chunk
    if not reply.startswith(b"+"):
        s.close()
        return _exec_provider(args)
    try:
        return int(reply[1:].decode() or "1")
    except ValueError:
        return 1


def _exec_provider(args: list[str]) -> int:
    py = os.environ.get("TFOFFLINE_PYTHON") or sys.executable
    os.execv(py, [py, os.path.join(_HERE, "provider.py"), *args])
    return 1  # not reached


# --------------------------------------------------------------------------- zygote


def serve(sock_path: str) -> int:
    import select
    import signal

    sys.path.insert(0, _HERE)
    import provider  # the point: grpc, protobuf and the provider imported once, here

    provider.warm()
    clients: dict[
        int, socket.socket
    ] = {}  # child pid -> the connection of the client waiting for it
    stop = False

    def on_term(signum: int, frame: object) -> None:
        nonlocal stop
        stop = True

    # a child's exit wakes the loop at once (Terraform waits for the plugin process to end). The
    # handlers go in before the socket exists: its appearing is what tells the starter we are
    # ready, and a stop() right after must end the loop, not kill us mid-setup.
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(sock_path)
    listener.listen(64)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    parent = os.getppid()
    while not stop:
        if os.getppid() != parent:  # whoever started us (the test session) is gone: so are we
            break
        watched: list[socket.socket | int] = [listener, wake_r]
        ready, _, _ = select.select(watched, [], [], 1.0)
        if wake_r in ready:
            try:
                while os.read(wake_r, 512):
                    pass
            except BlockingIOError:
                pass
        if listener in ready:
            try:
                conn, _ = listener.accept()
                pid = _fork_provider(conn, [listener, *clients.values()], (wake_r, wake_w))
            except OSError:
                pid = 0
                conn = None  # type: ignore[assignment]
            if pid > 0 and conn is not None:
                clients[pid] = conn
                try:
                    conn.sendall(b"+")  # forked: the client must not start a provider itself now
                except OSError:
                    pass
        _reap(clients)
    listener.close()
    os.unlink(sock_path)
    for conn in clients.values():  # children left serve on their own once their clients go
        conn.close()
    return 0


def _reap(clients: dict[int, socket.socket]) -> None:
    while clients:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        conn = clients.pop(pid, None)
        if conn is not None:
            try:
                code = os.waitstatus_to_exitcode(status)
                conn.sendall(
                    f"{code if code >= 0 else 128 - code}\n".encode()
                )  # killed by N: 128+N
            except OSError:
                pass
            conn.close()


def _recv_request(conn: socket.socket) -> tuple[dict, list[int]]:
    """The client's request and its three descriptors; on any error the descriptors are closed
    (holding them would keep Terraform's pipes open) and OSError, ValueError or TypeError raised."""
    conn.settimeout(10)
    msg, fds, _, _ = socket.recv_fds(conn, _MAX_MSG, 3)
    try:
        if len(fds) != 3 or len(msg) < 4:
            raise ValueError("expected three descriptors and a request")
        size = int.from_bytes(msg[:4], "big")
        body = msg[4:]
        while len(body) < size:
            more = conn.recv(size - len(body))
            if not more:
                raise OSError("client went away mid-request")
            body += more
        request = json.loads(body)
        if not (
            isinstance(request, dict)
            and isinstance(request.get("cwd"), str)
            and isinstance(request.get("env"), dict)
            and isinstance(request.get("args"), list)
        ):
            raise TypeError("malformed request")
    except BaseException:
        for fd in fds:
            os.close(fd)
        raise
    conn.settimeout(None)
    return request, fds


def _fork_provider(conn: socket.socket, others: list[socket.socket], wake: tuple[int, int]) -> int:
    """Fork a provider for the client on `conn`; returns the child's pid (0 if the request was bad).
    The child closes `others` (the listener, other clients' connections): a client must see EOF
    from its own child only."""
    try:
        request, fds = _recv_request(conn)
    except (OSError, ValueError, TypeError):
        conn.close()
        return 0
    pid = os.fork()
    if pid:
        for fd in fds:
            os.close(fd)
        sys.stdout.write(f"forked {pid} in {request['cwd']}\n")  # the log says who used it
        sys.stdout.flush()
        return pid
    # the child: become the provider process Terraform thinks it started
    code = 1
    try:
        import signal

        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, signal.SIG_DFL)
        for other in others:
            other.close()
        for fd in wake:
            os.close(fd)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        sys.stdin = open(0, closefd=False)  # noqa: SIM115 - the process's own descriptors
        sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        import tempfile

        tempfile.tempdir = (
            None  # the zygote's answer was cached; follow TMPDIR from Terraform's env
        )
        import provider

        code = provider.main(request["args"], alive=lambda: _client_alive(conn))
    except BaseException as exc:  # noqa: BLE001 - report, never return into the zygote's loop
        try:
            os.write(2, f"offline provider (zygote child): {type(exc).__name__}: {exc}\n".encode())
        except OSError:
            pass
    os._exit(code)


def _client_alive(conn: socket.socket) -> bool:
    """False once the client is gone (Terraform killed it): the connection reads EOF."""
    import select

    try:
        readable, _, _ = select.select([conn], [], [], 0)
        if not readable:
            return True
        return conn.recv(1, socket.MSG_PEEK) != b""
    except OSError:
        return False


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "connect":
        return connect(argv[1], argv[2:])
    if len(argv) == 2 and argv[0] == "serve":
        return serve(argv[1])
    print("usage: zygote.py serve SOCKET | zygote.py connect SOCKET [ARGS...]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
