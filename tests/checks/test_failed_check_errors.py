"""A failed check under --json carries an error, not only `ok: false` (review finding 9).

Before: smoke against a dead endpoint, latency over its SLO and status of a stopped local server exited 1
with `"error": null` and nothing on stderr, so a script (and a person reading a CI log) had no sentence
saying why. Now each is one envelope with `ok` false, its result, and an error whose sentence is the one
stderr shows, plain mode and --json alike. Real Chroma server, real local env, a closed port."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from tests.checks.helpers import run_cli
from tests.fixtures.envelope import envelope_of
from tests.fixtures.servers import free_port


def _figures_out(text: str) -> str:
    return re.sub(r"\d+(\.\d+)?", "#", text)


def _failed_with_reason(argv: tuple[str, ...], env: dict[str, str] | None = None) -> tuple[dict[str, Any], str]:
    """Run argv with and without --json: both exit 1 with the same `error: ...` sentence on stderr; returns the envelope."""
    js = run_cli("--json", *argv, env=env)
    plain = run_cli(*argv, env=env)
    doc = envelope_of(js.stdout)
    assert js.returncode == 1 and plain.returncode == 1, (js.stderr, plain.stderr)
    assert doc["ok"] is False and doc["result"] is not None
    error = doc["error"]
    assert error is not None and error["exit_code"] == 1 and error["message"] and error["hint"], doc
    assert f"error: {error['message']}" in js.stderr and f"hint: {error['hint']}" in js.stderr, js.stderr
    # plain mode: the same sentence (its measured figures are its own run's)
    assert _figures_out(f"error: {error['message']}") in _figures_out(plain.stderr), plain.stderr
    assert f"hint: {error['hint']}" in plain.stderr, plain.stderr
    return doc, error["message"]


def test_smoke_against_a_closed_port_says_where_it_failed() -> None:
    doc, message = _failed_with_reason(("smoke", "--endpoint", f"http://127.0.0.1:{free_port()}", "--timeout", "5"))
    failed = [s["name"] for s in doc["result"]["steps"] if not s["ok"]]
    assert message.startswith(f"smoke check failed at: {failed[0]}"), message


def test_latency_over_its_slo_names_the_breach(chroma_server: Any) -> None:
    doc, message = _failed_with_reason(("latency", "--endpoint", chroma_server.url, "--seed-vectors", "200", "--dims", "8",
                                        "-n", "20", "--slo", "p95=0.001"))
    breach = doc["result"]["breaches"][0]
    assert breach["metric"] == "p95"
    assert f"p95 {breach['actual_ms']} ms is over the SLO of 0.001 ms" in message, message


def test_status_of_a_stopped_local_server_lists_the_problem_and_hints_up(tmp_path: Path) -> None:
    root = tmp_path / "project"
    (root / "terraform").mkdir(parents=True)
    (root / "envs" / "local").mkdir(parents=True)
    (root / "envs" / "local" / "chromactl.toml").write_text(f'[env]\nkind = "local"\n[local]\nport = {free_port()}\n')
    env = {"CHROMACTL_ROOT": str(root), "PATH": os.environ.get("PATH", "")}
    doc, message = _failed_with_reason(("status", "--env", "local"), env=env)
    assert doc["result"]["state"] == "stopped"
    assert doc["result"]["problems"] and "chromactl up --env local" in doc["result"]["problems"][0]
    assert "not running" in message and "chromactl up --env local" in doc["error"]["hint"]
