"""testSecret reaches this stack's ALB by its own DNS name while verifying the domain's certificate.

At the first apply (and in a failover rebuild) the env's domain does not point at the new ALB yet,
so the probe connects to the ALB's name and presents the domain as the TLS server name and Host.
A real TLS server on 127.0.0.1 with a certificate for chroma.test stands in for the ALB.
"""

from __future__ import annotations

import http.server
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.tls import self_signed_cert
from tests.rotation.harness import load_handler

h = load_handler()

LISTENER = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/chromactl-dev/50dc6c495c0c9188/f2f7dc8efc522ab2"
TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/chromactl-dev/73e2d6bc24d8a067"
NAME = "chroma.test"


@pytest.fixture
def tls_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    cert, key = self_signed_cert(tmp_path, NAME)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the probe's default context trusts only this CA
    seen: dict[str, Any] = {"sni": [], "host": []}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen["host"].append(self.headers.get("Host"))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: Any) -> None:
            pass

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.sni_callback = lambda sock, name, c: seen["sni"].append(name)  # type: ignore[assignment,misc]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield {"url": f"https://127.0.0.1:{server.server_address[1]}", "seen": seen}
    finally:
        server.shutdown()
        server.server_close()


def _settings(url: str, **over: str) -> Any:
    env = {"LISTENER_ARN": LISTENER, "TARGET_GROUP_ARN": TG, "ENDPOINT_URL": url, "VERIFY_TLS": "true",
           "HTTP_TIMEOUT_SECONDS": "3", **over}
    return h.Settings.from_env(env)


def test_probe_verifies_the_domains_certificate_at_the_albs_address(tls_server: dict[str, Any]) -> None:
    probe = h.Probe(_settings(tls_server["url"], TLS_SERVER_NAME=NAME + "."))
    assert probe.status({"X-Chroma-Token": "a" * 64}) == 200
    assert tls_server["seen"]["sni"] == [NAME] and tls_server["seen"]["host"] == [NAME]


def test_without_the_server_name_the_certificate_does_not_match(tls_server: dict[str, Any]) -> None:
    assert h.Probe(_settings(tls_server["url"])).status({}) is None  # 127.0.0.1 is not on the certificate
    assert h.Probe(_settings(tls_server["url"], TLS_SERVER_NAME="other.test")).status({}) is None
    assert tls_server["seen"]["host"] == []


@pytest.mark.parametrize("bad", ["not a name", "-x.test", "a..b"])
def test_bad_server_names_are_refused(bad: str) -> None:
    with pytest.raises(h.RotationError, match="TLS_SERVER_NAME"):
        _settings("https://alb.example.com", TLS_SERVER_NAME=bad)
    with pytest.raises(h.RotationError, match="TLS_SERVER_NAME"):
        _settings("http://127.0.0.1:8080", TLS_SERVER_NAME="chroma.test")
