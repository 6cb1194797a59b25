"""Issue 16 item 16: a wrong token gets a hint about a wrong token (not "pass --token-env"); a missing
one gets the --token-env hint. A real HTTP server that refuses everything with 401, as the ALB's default action does."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from chromactl.checks.client import ChromaAuthError, ChromaClient

from tests.checks.helpers import run_cli


class _Refuse(BaseHTTPRequestHandler):
    def _any(self) -> None:
        body = b'{"error":"AuthorizationError","message":"Unauthorized"}'
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_DELETE = _any

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture()
def refusing() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Refuse)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        t.join(10)


def test_wrong_token_hint_is_about_the_token_not_the_flag(refusing: str) -> None:
    with ChromaClient(refusing, "not-the-token", timeout_s=5) as c, pytest.raises(ChromaAuthError) as err:
        c.count_collections()
    assert "token was sent and not accepted" in err.value.message
    assert err.value.hint and "wrong or was rotated" in err.value.hint and "--token-env VAR (the variable" not in err.value.hint
    with ChromaClient(refusing, None, timeout_s=5) as c, pytest.raises(ChromaAuthError) as err:
        c.count_collections()
    assert "none was sent" in err.value.message and err.value.hint and "--token-env VAR" in err.value.hint


def test_wrong_token_through_the_cli(refusing: str) -> None:
    res = run_cli("latency", "--endpoint", refusing, "--token-env", "MY_TOKEN", "--queries", "5", "--seed-vectors", "10",
                  env={"MY_TOKEN": "wrong-token"}, timeout=60)
    assert res.returncode == 1, res.stderr
    assert "not accepted" in res.stderr and "wrong or was rotated" in res.stderr, res.stderr
    assert "wrong-token" not in res.stdout + res.stderr  # the token itself is never printed
