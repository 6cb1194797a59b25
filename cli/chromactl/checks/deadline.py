"""A total deadline per request, not per socket read.

A socket timeout bounds one `recv`: a server that trickles one byte every 2 s never trips a 3 s
timeout and held `smoke --timeout 3` for 74 s. Here every request runs under `deadline(seconds)`
(thread-local, so the load's worker threads each have their own), and every connect, TLS
handshake, send and receive made under it gets only the time that is left; once none is left the
next operation fails as a timeout. Two transports use it:

- httpx (ChromaClient): the connection pool's network backend is wrapped (`install`). httpx
  0.28 builds `httpcore.ConnectionPool` in `HTTPTransport.__init__` (httpx/_transports/default.py)
  and the pool opens every connection through its `_network_backend`
  (httpcore/_sync/connection_pool.py); httpcore's SyncStream applies the timeout it is given to
  each recv/send (httpcore/_backends/sync.py). Pinned by requirements/*.lock; `install` refuses
  loudly if that shape changes, and tests/checks/test_faults.py pins the behaviour.
- http.client (RawPoster, the latency loop's sender): `DeadlineHTTPConnection` wraps the socket
  so each recv_into/sendall gets the time left.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

_state = threading.local()


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Everything sent and received inside must finish within `seconds` in total (nested: the sooner wins)."""
    outer = getattr(_state, "until", None)
    mine = time.monotonic() + seconds
    _state.until = mine if outer is None else min(outer, mine)
    try:
        yield
    finally:
        _state.until = outer


def remaining() -> float | None:
    """Seconds left under the current deadline (None: no deadline). Never negative."""
    until = getattr(_state, "until", None)
    return None if until is None else max(0.0, until - time.monotonic())


def clip(timeout: float | None) -> float | None:
    """`timeout` shortened to the time left; 0.0 when the deadline has passed."""
    left = remaining()
    if left is None:
        return timeout
    return left if timeout is None else min(timeout, left)


# --- httpx / httpcore ---------------------------------------------------------------------------
def _httpcore_stream_class() -> Any:
    import httpcore

    class DeadlineStream(httpcore.NetworkStream):  # type: ignore[misc]
        def __init__(self, inner: Any) -> None:
            self._inner = inner

        def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
            t = clip(timeout)
            if t is not None and t <= 0:
                raise httpcore.ReadTimeout("the request's total deadline passed")
            data: bytes = self._inner.read(max_bytes, t)
            return data

        def write(self, buffer: bytes, timeout: float | None = None) -> None:
            t = clip(timeout)
            if t is not None and t <= 0:
                raise httpcore.WriteTimeout("the request's total deadline passed")
            self._inner.write(buffer, t)

        def close(self) -> None:
            self._inner.close()

        def start_tls(self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None) -> Any:
            t = clip(timeout)
            if t is not None and t <= 0:
                raise httpcore.ConnectTimeout("the request's total deadline passed")
            return DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, t))

        def get_extra_info(self, info: str) -> Any:
            return self._inner.get_extra_info(info)

    class DeadlineBackend(httpcore.NetworkBackend):  # type: ignore[misc]
        def __init__(self, inner: Any) -> None:
            self._inner = inner

        def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                        socket_options: Any = None) -> Any:
            t = clip(timeout)
            if t is not None and t <= 0:
                raise httpcore.ConnectTimeout("the request's total deadline passed")
            return DeadlineStream(self._inner.connect_tcp(host, port, t, local_address, socket_options))

        def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options: Any = None) -> Any:
            return DeadlineStream(self._inner.connect_unix_socket(path, clip(timeout), socket_options))

        def sleep(self, seconds: float) -> None:
            self._inner.sleep(seconds)

    return DeadlineBackend


def install(client: Any) -> None:
    """Make every connection of an httpx.Client honour the thread's deadline."""
    pool = getattr(getattr(client, "_transport", None), "_pool", None)
    if pool is None or not hasattr(pool, "_network_backend"):
        raise RuntimeError("httpx/httpcore changed shape: cannot install the per-request deadline (see chromactl.checks.deadline)")
    backend_cls = _httpcore_stream_class()
    if not isinstance(pool._network_backend, backend_cls):
        pool._network_backend = backend_cls(pool._network_backend)


# --- http.client ---------------------------------------------------------------------------------
class _DeadlineRaw(io.RawIOBase):
    def __init__(self, sock: Any) -> None:
        self._sock = sock

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        t = clip(None)
        if t is not None:
            if t <= 0:
                raise TimeoutError("the request's total deadline passed")
            self._sock.settimeout(t)
        n: int = self._sock.recv_into(b)
        return n


class _DeadlineSocket:
    """The parts of a socket http.client uses, each bounded by the time left."""

    def __init__(self, sock: Any) -> None:
        self._sock = sock

    def sendall(self, data: bytes) -> None:
        t = clip(None)
        if t is not None:
            if t <= 0:
                raise TimeoutError("the request's total deadline passed")
            self._sock.settimeout(t)
        self._sock.sendall(data)

    def makefile(self, mode: str = "rb", *args: Any, **kwargs: Any) -> Any:
        return io.BufferedReader(_DeadlineRaw(self._sock))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


def _connect_within_deadline(conn: http.client.HTTPConnection, connect: Callable[[], None]) -> None:
    """Connect (TLS included) within what is left of the request's deadline, then wrap the socket."""
    t = clip(conn.timeout if isinstance(conn.timeout, (int, float)) else None)
    if t is not None:
        if t <= 0:
            raise TimeoutError("the request's total deadline passed")
        conn.timeout = t
    connect()
    conn.sock = _DeadlineSocket(conn.sock)  # type: ignore[assignment]


class DeadlineHTTPConnection(http.client.HTTPConnection):
    def connect(self) -> None:
        _connect_within_deadline(self, super().connect)


class DeadlineHTTPSConnection(http.client.HTTPSConnection):
    def connect(self) -> None:
        _connect_within_deadline(self, super().connect)
