"""The --json contract of smoke, latency and load (tests/unit/test_json_contract.py has the why), against a real Chroma."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.checks.helpers import run_cli
from tests.fixtures.json_contract import check_case

CASES = {"smoke": "smoke", "latency": "latency", "latency (open loop)": "latency", "load": "load"}


def test_smoke_latency_load(chroma_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    res = run_cli("--json", "smoke", "--endpoint", chroma_server.url, "--vectors", "50", "--dims", "8")
    assert res.returncode == 0, res.stderr
    check_case("smoke", "smoke", res.stdout)
    res = run_cli("--json", "latency", "--endpoint", chroma_server.url, "--queries", "40", "--seed-vectors", "100", "--dims", "8",
                  "--slo", "p99=60000")
    assert res.returncode == 0, res.stderr
    check_case("latency", "latency", res.stdout)
    res = run_cli("--json", "latency", "--endpoint", chroma_server.url, "--rate", "20", "--duration", "1", "--seed-vectors", "100",
                  "--dims", "8")
    assert res.returncode == 0, res.stderr
    check_case("latency (open loop)", "latency", res.stdout)
    npy = tmp_path / "contract.npy"
    np.save(npy, np.arange(40, dtype="float32").reshape(10, 4))
    res = run_cli("--json", "load", "--endpoint", chroma_server.url, "--collection", "json-contract", "--file", str(npy))
    assert res.returncode == 0, res.stderr
    check_case("load", "load", res.stdout)
    assert "\x1b[" not in res.stdout and "loading contract.npy" not in res.stdout  # progress stays off stdout
