"""Credentials in an endpoint URL are never shown or stored; checkpoints are 0600 (issue 20.7)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import numpy as np
from chromactl.checks.client import ChromaClient, ChromaError
from chromactl.checks.target import Target, redact_url

from tests.checks.helpers import run_cli
from tests.fixtures.servers import free_port

PASSWORD = "pw-Zq83xK"  # a test value, not a secret


def _with_creds(url: str) -> str:
    return url.replace("http://", f"http://admin:{PASSWORD}@")


def test_redact_url_and_target_keep_credentials_out_of_the_url() -> None:
    assert redact_url(f"https://admin:{PASSWORD}@chroma.example.com:8443/x?y=1") == "https://chroma.example.com:8443/x?y=1"
    t = Target(f"http://admin:{PASSWORD}@127.0.0.1:8000")
    assert t.url == "http://127.0.0.1:8000" and t.basic_auth == ("admin", PASSWORD)
    assert PASSWORD not in repr(t) and PASSWORD not in json.dumps(t.describe())
    c = ChromaClient(f"http://admin:{PASSWORD}@127.0.0.1:{free_port()}", timeout_s=1)
    try:
        c.heartbeat()
    except ChromaError as exc:
        assert PASSWORD not in exc.message and "127.0.0.1" in exc.message
    finally:
        c.close()


def test_smoke_text_json_and_errors_never_show_the_password(chroma_server) -> None:
    url = _with_creds(chroma_server.url)
    for args in (("smoke", "--endpoint", url, "--vectors", "50"), ("--json", "smoke", "--endpoint", url, "--vectors", "50")):
        res = run_cli(*args)
        assert res.returncode == 0, res.stderr
        assert PASSWORD not in res.stdout + res.stderr and "admin" not in res.stdout + res.stderr
    res = run_cli("smoke", "--endpoint", _with_creds(f"http://127.0.0.1:{free_port()}"), "--timeout", "2")
    assert res.returncode == 1 and PASSWORD not in res.stdout + res.stderr


def test_load_checkpoint_has_no_password_and_is_0600(chroma_server, tmp_path: Path) -> None:
    npy = tmp_path / "v.npy"
    np.save(npy, np.ones((30, 4), dtype="float32") * np.arange(30, dtype="float32")[:, None])
    ck = tmp_path / "ck.json"
    res = run_cli("--json", "load", "--endpoint", _with_creds(chroma_server.url), "--collection", "redact-load",
                  "--file", str(npy), "--checkpoint", str(ck))
    assert res.returncode == 0, res.stderr
    text = ck.read_text()
    assert PASSWORD not in text and "admin" not in text and json.loads(text)["endpoint"] == chroma_server.url
    assert stat.S_IMODE(ck.stat().st_mode) == 0o600
    assert PASSWORD not in res.stdout + res.stderr
    with ChromaClient(chroma_server.url) as c:
        c.delete_collection("redact-load")
