"""Issue 14, real clients: the clients applications use, through the ALB-faithful nginx proxy
(token rules, open GET heartbeat, the ALB's 401 body) in front of a real Chroma.

Python (chromadb, the version the project pins): `HttpClient(headers=...)` with either header,
and the documented `Settings` token provider (chromadb.auth.token_authn.TokenAuthClientProvider)
for both transports. JavaScript: the official npm package `chromadb` (tests/js/package.json and
its lockfile, installed with `npm ci` into a cache directory). Each: the right token works
(create, add, query, get, delete); no token and a wrong token are refused with the error that
client really raises (Python: chromadb.errors.AuthorizationError, thanks to the 401 body's
`"error": "AuthorizationError"`; JavaScript: ChromaUnauthorizedError). A heartbeat succeeds
without a token: it is no auth check.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import string
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.nginx_proxy import NginxProxy

ROOT = Path(__file__).resolve().parents[2]
JS_DIR = ROOT / "tests" / "js"


def _token() -> str:
    return "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(64))


@pytest.fixture(scope="module")
def token() -> str:
    return _token()


@pytest.fixture(scope="module")
def proxy(chroma_server: Any, tmp_path_factory: pytest.TempPathFactory, token: str) -> Iterator[NginxProxy]:
    from tests.fixtures.nginx_proxy import start_nginx

    p = start_nginx(tmp_path_factory.mktemp("clients-nginx"), chroma_server.url, [token])
    try:
        yield p
    finally:
        p.stop()


# ---------------------------------------------------------------- Python


def _settings(**kw: Any) -> Any:
    from chromadb.config import Settings

    return Settings(anonymized_telemetry=False, **kw)


def _python_client(proxy: NginxProxy, how: str, token: str | None) -> Any:
    import chromadb
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()  # a fresh client per case: no cached system or identity
    if how == "headers-bearer":
        return chromadb.HttpClient(host="127.0.0.1", port=proxy.port, headers={"Authorization": f"Bearer {token}"} if token else {},
                                   settings=_settings())
    if how == "headers-x-chroma-token":
        return chromadb.HttpClient(host="127.0.0.1", port=proxy.port, headers={"X-Chroma-Token": token} if token else {},
                                   settings=_settings())
    header = {"settings-authorization": "Authorization", "settings-x-chroma-token": "X-Chroma-Token"}[how]
    settings = _settings(
        chroma_client_auth_provider="chromadb.auth.token_authn.TokenAuthClientProvider",
        chroma_client_auth_credentials=token or "",
        chroma_auth_token_transport_header=header,
    )
    return chromadb.HttpClient(host="127.0.0.1", port=proxy.port, settings=settings)


PY_WAYS = ["headers-bearer", "headers-x-chroma-token", "settings-authorization", "settings-x-chroma-token"]


@pytest.mark.parametrize("how", PY_WAYS)
def test_python_client_with_the_token_does_everything(proxy: NginxProxy, token: str, how: str) -> None:
    client = _python_client(proxy, how, token)
    name = f"py-{how}-{secrets.token_hex(4)}"
    col = client.create_collection(name)
    col.add(ids=["a", "b", "c"], embeddings=[[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0]], metadatas=[{"k": 1}, {"k": 2}, {"k": 3}])
    assert col.query(query_embeddings=[[0, 0.9, 0.1]], n_results=1)["ids"] == [["b"]]
    assert col.get(ids=["c"])["ids"] == ["c"]
    assert col.count() == 3
    client.delete_collection(name)
    assert name not in [c.name for c in client.list_collections()]


@pytest.mark.parametrize("how", PY_WAYS)
@pytest.mark.parametrize("which", ["none", "wrong"])
def test_python_client_without_the_right_token_raises_authorization_error(proxy: NginxProxy, how: str, which: str) -> None:
    """The client calls /api/v2/auth/identity on construction: the 401 surfaces there, as the
    client's own AuthorizationError (the 401 body names it), not a bare Exception."""
    from chromadb.errors import AuthorizationError

    given = None if which == "none" else _token()
    if how.startswith("settings") and given is None:
        how = "headers-bearer"  # no token: an application configures no provider at all
    with pytest.raises(AuthorizationError):
        _python_client(proxy, how, given)


def test_python_heartbeat_needs_no_token(proxy: NginxProxy) -> None:
    """The ALB forwards GET /api/v2/heartbeat without a token: a heartbeat proves connectivity,
    not that the token is right."""
    import httpx

    assert httpx.get(f"{proxy.url}/api/v2/heartbeat", timeout=10).status_code == 200
    assert httpx.head(f"{proxy.url}/api/v2/heartbeat", timeout=10).status_code == 401


# ---------------------------------------------------------------- JavaScript


def _js_cache() -> Path:
    lock = (JS_DIR / "package-lock.json").read_bytes() + (JS_DIR / "package.json").read_bytes()
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "chromactl" / "js"
    return base / hashlib.sha256(lock).hexdigest()[:16]


@pytest.fixture(scope="module")
def js_client() -> Callable[..., dict[str, Any]]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.skip("node/npm not installed: the JavaScript client cannot run here")
    dest = _js_cache()
    if not (dest / "node_modules" / "chromadb" / "package.json").is_file():
        dest.mkdir(parents=True, exist_ok=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copy2(JS_DIR / name, dest / name)
        # the lockfile pins the exact version; optional native bindings serve only the local `chroma` CLI
        proc = subprocess.run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--omit=optional"],
                              cwd=dest, capture_output=True, text=True, timeout=300, check=False)
        assert proc.returncode == 0, f"npm ci failed (is the npm registry reachable?): {proc.stderr[-2000:]}"
    shutil.copy2(JS_DIR / "drive.mjs", dest / "drive.mjs")

    def run(proxy: NginxProxy, mode: str, token: str | None) -> dict[str, Any]:
        env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"), "MODE": mode,
               "CHROMA_HOST": "127.0.0.1", "CHROMA_PORT": str(proxy.port), "CHROMA_TOKEN": token or ""}
        proc = subprocess.run([node, "drive.mjs"], cwd=dest, env=env, capture_output=True, text=True, timeout=90, check=False)
        assert proc.returncode == 0, proc.stderr[-2000:]
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
        assert lines, (proc.stdout[-2000:], proc.stderr[-2000:])
        if token:
            assert token not in proc.stdout and token not in proc.stderr
        return dict(json.loads(lines[-1]))

    return run


@pytest.mark.parametrize("mode", ["bearer", "x-chroma-token"])
def test_js_client_with_the_token_does_everything(proxy: NginxProxy, token: str, js_client: Callable[..., dict[str, Any]], mode: str) -> None:
    result = js_client(proxy, mode, token)
    assert result == {"ok": True, "nearest": "b", "got": ["c"], "count": 3}, result


@pytest.mark.parametrize("mode", ["bearer", "x-chroma-token", "none"])
def test_js_client_without_the_right_token_raises_unauthorized(proxy: NginxProxy, js_client: Callable[..., dict[str, Any]], mode: str) -> None:
    result = js_client(proxy, mode, None if mode == "none" else _token())
    assert result["ok"] is False and result["error"] == "ChromaUnauthorizedError", result
