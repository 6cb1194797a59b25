"""The auth path through a real nginx that does what the stack's ALB does (token rules, the open
GET heartbeat, the ALB's 401), both ways."""

from __future__ import annotations

import json
import secrets
import string

import pytest
from chromactl.checks.smoke import run_smoke
from chromactl.checks.target import Target

from tests.checks.helpers import run_cli
from tests.fixtures.envelope import result_of
from tests.fixtures.nginx_proxy import UNAUTHORIZED_BODY, UNAUTHORIZED_CONTENT_TYPE


def new_token() -> str:
    alphabet = string.ascii_lowercase + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(64))


@pytest.fixture
def token() -> str:
    return new_token()


@pytest.fixture
def proxy(chroma_server, make_nginx_proxy, token):  # type: ignore[no-untyped-def]
    return make_nginx_proxy(chroma_server.url, [token])


def test_proxy_rule_matches_the_alb(proxy, token) -> None:  # type: ignore[no-untyped-def]
    assert proxy.status_for(None) == 401
    assert proxy.status_for(token) == 200
    assert proxy.status_for(token, header="x-chroma-token") == 200
    assert proxy.status_for(token.upper()) == 200  # the ALB compares case-insensitively
    assert proxy.status_for(token + "0") == 401  # whole value, not a prefix
    assert proxy.status_for(token[:-1]) == 401
    assert proxy.status_for(new_token()) == 401


def _request(proxy, method: str, path: str, headers: list[tuple[str, str]]) -> tuple[int, str | None, bytes]:  # type: ignore[no-untyped-def]
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=10)
    try:
        conn.putrequest(method, path)
        for name, value in headers:
            conn.putheader(name, value)
        conn.endheaders()
        resp = conn.getresponse()
        return resp.status, resp.getheader("Content-Type"), resp.read()
    finally:
        conn.close()


def test_heartbeat_is_open_for_get_only(proxy, token) -> None:  # type: ignore[no-untyped-def]
    """The ALB's heartbeat rule matches path and method exactly: GET passes without a token,
    HEAD (and POST) get the listener's 401 unless they carry the token."""
    assert _request(proxy, "GET", "/api/v2/heartbeat", [])[0] == 200
    assert _request(proxy, "GET", "/api/v2/heartbeat?probe=1", [])[0] == 200  # the path condition ignores the query
    assert _request(proxy, "HEAD", "/api/v2/heartbeat", [])[0] == 401
    assert _request(proxy, "POST", "/api/v2/heartbeat", [])[0] == 401
    assert _request(proxy, "HEAD", "/api/v2/heartbeat", [("Authorization", f"Bearer {token}")])[0] == 200
    assert _request(proxy, "GET", "/api/v2/heartbeat/", [])[0] == 401  # another path
    assert _request(proxy, "GET", "/api/v2/version", [])[0] == 401


def test_401_is_the_albs(proxy) -> None:  # type: ignore[no-untyped-def]
    """Same content type and bytes as the listener's fixed response (asserted against the plan in
    tests/stack): a body the Python client turns into its AuthorizationError."""
    status, ctype, body = _request(proxy, "GET", "/api/v2/collections", [])
    assert (status, ctype, body.decode()) == (401, UNAUTHORIZED_CONTENT_TYPE, UNAUTHORIZED_BODY)
    assert json.loads(body)["error"] == "AuthorizationError"


def test_repeated_header_is_searched_in_order(proxy, token) -> None:  # type: ignore[no-untyped-def]
    """The ALB searches a header sent more than once in order until one matches."""
    assert _request(proxy, "GET", "/api/v2/version", [("X-Chroma-Token", "nope"), ("X-Chroma-Token", token)])[0] == 200
    assert _request(proxy, "GET", "/api/v2/version", [("X-Chroma-Token", token), ("X-Chroma-Token", "nope")])[0] == 200
    assert _request(proxy, "GET", "/api/v2/version", [("X-Chroma-Token", "nope"), ("X-Chroma-Token", "no")])[0] == 401
    assert _request(proxy, "GET", "/api/v2/version", [("X-Not-X-Chroma-Token", token)])[0] == 401
    # Known difference: nginx 1.22 refuses a repeated Authorization header itself (400) before any
    # rule runs, where the ALB would search it. Pinned here so that a change shows.
    assert _request(proxy, "GET", "/api/v2/version", [("Authorization", "Bearer x"), ("Authorization", f"Bearer {token}")])[0] == 400


def test_smoke_through_proxy_with_token(proxy, token) -> None:  # type: ignore[no-untyped-def]
    report = run_smoke(Target(proxy.url, token), vectors=100, dims=8)
    assert report.ok, report.to_dict()
    auth = report.steps[1]
    assert auth.name == "auth" and "without token: HTTP 401" in auth.detail and "wrong token: HTTP 401" in auth.detail


def test_smoke_with_x_chroma_token_header(proxy, token) -> None:  # type: ignore[no-untyped-def]
    report = run_smoke(Target(proxy.url, token, token_header="x-chroma-token"), vectors=100, dims=8)
    assert report.ok, report.to_dict()


def test_smoke_without_token_is_refused(proxy) -> None:  # type: ignore[no-untyped-def]
    """The ALB forwards GET /api/v2/heartbeat without a token, so the heartbeat step passes; the
    auth step is where a missing token shows."""
    report = run_smoke(Target(proxy.url, None), vectors=100, dims=8)
    assert not report.ok
    assert report.steps[0].name == "heartbeat" and report.steps[0].ok
    assert report.steps[1].name == "auth" and "refuses requests without a token (HTTP 401)" in report.steps[1].detail
    assert report.collection is None  # nothing was created


def test_token_given_but_endpoint_open_fails_honestly(chroma_server, token) -> None:  # type: ignore[no-untyped-def]
    report = run_smoke(Target(chroma_server.url, token), vectors=100, dims=8)
    assert not report.ok and "does not enforce auth" in report.steps[1].detail


def test_set_tokens_swaps_accepted_values(proxy, token) -> None:  # type: ignore[no-untyped-def]
    second = new_token()
    proxy.set_tokens([token, second])
    assert proxy.status_for(token) == 200 and proxy.status_for(second) == 200
    proxy.set_tokens([second])
    assert proxy.status_for(token) == 401 and proxy.status_for(second) == 200
    assert run_smoke(Target(proxy.url, second), vectors=50, dims=8).ok


def test_token_never_in_any_output(proxy, token, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Run every check verb through the proxy (ok and failing) and search all output for the token."""
    import numpy as np

    env = {"CHROMA_TEST_TOKEN": token, "WRONG_TOKEN": new_token()}
    npy = tmp_path / "v.npy"
    np.save(npy, np.random.default_rng(1).standard_normal((300, 8)).astype("float32"))
    runs = [
        ("smoke", "--endpoint", proxy.url, "--token-env", "CHROMA_TEST_TOKEN", "--vectors", "50", "--dims", "8"),
        ("--verbose", "smoke", "--endpoint", proxy.url, "--token-env", "CHROMA_TEST_TOKEN", "--vectors", "50", "--json"),
        ("latency", "--endpoint", proxy.url, "--token-env", "CHROMA_TEST_TOKEN", "--queries", "50", "--seed-vectors", "100", "--dims", "8"),
        ("--json", "latency", "--endpoint", proxy.url, "--token-env", "CHROMA_TEST_TOKEN", "--rate", "50", "--duration", "1",
         "--seed-vectors", "100", "--dims", "8"),
        ("load", "--endpoint", proxy.url, "--token-env", "CHROMA_TEST_TOKEN", "--collection", "tok-load", "--file", str(npy),
         "--checkpoint", str(tmp_path / "ck.json")),
        ("--verbose", "smoke", "--endpoint", proxy.url, "--token-env", "WRONG_TOKEN", "--vectors", "50"),
        ("--verbose", "latency", "--endpoint", proxy.url, "--token-env", "WRONG_TOKEN", "--queries", "10"),
        ("smoke", "--endpoint", proxy.url, "--token-env", "CHROMA_TEST_TOKEN", "--token-header", "x-chroma-token", "--vectors", "50"),
    ]
    codes = []
    for args in runs:
        res = run_cli(*args, env=env)
        codes.append(res.returncode)
        for secret in (token, env["WRONG_TOKEN"], token.upper()):
            assert secret not in res.stdout and secret not in res.stderr, args
    assert codes == [0, 0, 0, 0, 0, 1, 1, 0], codes
    # and in what was written to disk: the checkpoint, nginx's logs
    for path in [tmp_path / "ck.json", proxy.dir / "access.log", proxy.dir / "error.log"]:
        if path.exists():
            assert token not in path.read_text(errors="replace")
    data = result_of(run_cli("--json", "smoke", "--endpoint", proxy.url, "--token-env", "CHROMA_TEST_TOKEN", "--vectors", "50", env=env).stdout)
    assert data["target"]["auth"] == "token"


def test_token_env_takes_a_name_not_a_token(proxy, token) -> None:  # type: ignore[no-untyped-def]
    res = run_cli("smoke", "--endpoint", proxy.url, "--token-env", token + "-x")
    assert res.returncode == 2 and "NAME of an environment variable" in res.stderr
    assert token not in res.stderr and token not in res.stdout
