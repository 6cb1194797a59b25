"""ChromaClient(server_name=...): dial one host, verify another name's certificate (SNI) and send it as Host.

The failover gate reaches the rebuilt region's ALB by its own DNS name while the domain still points
at the old region; a real TLS server on 127.0.0.1 with a certificate for chroma.test stands in.
"""

from __future__ import annotations

import http.server
import json
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chromactl.checks.client import ChromaError
from chromactl.checks.target import Target

from tests.fixtures.tls import self_signed_cert

NAME = "chroma.test"


@pytest.fixture
def tls_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    cert, key = self_signed_cert(tmp_path, NAME)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # httpx (trust_env) then trusts only this CA
    seen: dict[str, Any] = {"sni": [], "host": []}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen["host"].append(self.headers.get("Host"))
            body = json.dumps({"nanosecond heartbeat": 1}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.sni_callback = lambda sock, name, c: seen["sni"].append(name)  # type: ignore[assignment,misc]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield {"url": f"https://127.0.0.1:{server.server_address[1]}", "seen": seen}
    finally:
        server.shutdown()
        server.server_close()


def test_server_name_is_presented_verified_and_sent_as_host(tls_server: dict[str, Any]) -> None:
    with Target(tls_server["url"], "t" * 64, timeout_s=3, server_name=NAME).client() as c:
        c.request("GET", f"{c.api}/heartbeat")
    assert tls_server["seen"]["sni"] == [NAME] and tls_server["seen"]["host"] == [NAME]


def test_without_it_the_address_is_not_on_the_certificate(tls_server: dict[str, Any]) -> None:
    with Target(tls_server["url"], None, timeout_s=3).client() as c, pytest.raises(ChromaError, match="cannot reach"):
        c.request("GET", f"{c.api}/heartbeat")
    with Target(tls_server["url"], None, timeout_s=3, server_name="other.test").client() as c, pytest.raises(ChromaError):
        c.request("GET", f"{c.api}/heartbeat")
    assert tls_server["seen"]["host"] == []
