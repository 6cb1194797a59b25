"""A small misbehaving HTTP server on 127.0.0.1: each connection gets the configured fault.

Modes:
  500        every request: HTTP 500 with a JSON error
  garbage    bytes that are not HTTP at all, then close
  silent     accept the connection, read the request, never answer (until stopped)
  trickle    a valid 200 answer, sent one byte every `trickle_s` seconds
  truncated  HTTP 200 whose JSON body stops half-way (Content-Length honest about the short body)
  redirect   HTTP 302 to another URL
Threads are daemons, every socket has a timeout, and `stop()` closes everything (bounded).
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field

MODES = ("500", "garbage", "silent", "trickle", "truncated", "redirect")
BODY = b'{"nanosecond heartbeat": 1234567890123, "padding": "' + b"x" * 200 + b'"}'


@dataclass
class FaultServer:
    mode: str
    trickle_s: float = 2.0
    port: int = 0
    _sock: socket.socket | None = field(default=None, repr=False)
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    _conns: list[socket.socket] = field(default_factory=list, repr=False)
    _threads: list[threading.Thread] = field(default_factory=list, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FaultServer:
        assert self.mode in MODES, self.mode
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", 0))
        s.listen(64)
        s.settimeout(0.2)
        self._sock, self.port = s, s.getsockname()[1]
        t = threading.Thread(target=self._accept, daemon=True, name=f"fault-{self.mode}")
        t.start()
        self._threads.append(t)
        return self

    def stop(self) -> None:
        self._stop.set()
        for c in list(self._conns):
            try:
                c.close()
            except OSError:
                pass
        if self._sock is not None:
            self._sock.close()
        for t in self._threads:
            t.join(timeout=5)

    def _accept(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            conn.settimeout(0.5)
            self._conns.append(conn)
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            t.start()
            self._threads.append(t)

    def _read_request(self, conn: socket.socket) -> bool:
        data = b""
        deadline = time.monotonic() + 10
        while b"\r\n\r\n" not in data and time.monotonic() < deadline and not self._stop.is_set():
            try:
                chunk = conn.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return False
            if not chunk:
                return False
            data += chunk
        return b"\r\n\r\n" in data

    def _serve(self, conn: socket.socket) -> None:
        try:
            while not self._stop.is_set() and self._read_request(conn):
                if self.mode == "500":
                    body = b'{"error": "InternalError", "message": "injected failure"}'
                    conn.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n"
                                 b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
                elif self.mode == "garbage":
                    conn.sendall(b"\x00\xffNOT HTTP AT ALL\r\n\x13\x37" * 20)
                    return
                elif self.mode == "silent":
                    while not self._stop.wait(0.2):
                        pass
                    return
                elif self.mode == "trickle":
                    answer = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(BODY), BODY)
                    for i in range(len(answer)):
                        conn.sendall(answer[i : i + 1])
                        if self._stop.wait(self.trickle_s):
                            return
                elif self.mode == "truncated":
                    half = BODY[: len(BODY) // 2]
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(half), half))
                elif self.mode == "redirect":
                    conn.sendall(b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:9/elsewhere\r\nContent-Length: 0\r\n\r\n")
        except OSError:
            return
        finally:
            try:
                conn.close()
            except OSError:
                pass
