"""Fault injection: smoke, latency and load against a misbehaving server each end within their deadline,
with one sentence and a non-zero exit (issue 20, "Done means"; the total deadline is issue 20.5).

Bounds are hang guards, not speed checks: `--timeout 3` against a server trickling one byte every 2 s
took 74 s before the deadline was per request; each run here must end within HANG_GUARD_S, and the
trickle runs must end well before the trickle could have delivered its answer.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from chromactl.checks.client import ChromaClient, ChromaUnavailable, RawPoster

from tests.checks.faults import BODY, MODES, FaultServer
from tests.checks.helpers import run_cli

TIMEOUT_S = 3
HANG_GUARD_S = 45.0  # CLI start-up on a busy machine plus a few 3 s deadlines; the trickle needs > 500 s


@pytest.fixture
def faulty(request: pytest.FixtureRequest) -> Iterator[FaultServer]:
    server = FaultServer(request.param).start()
    try:
        yield server
    finally:
        server.stop()


def _one_sentence(stderr: str) -> None:
    assert "Traceback" not in stderr and "unexpected" not in stderr, stderr


@pytest.mark.parametrize("faulty", MODES, indirect=True)
def test_smoke_latency_and_load_end_with_one_sentence(faulty: FaultServer, tmp_path: Path) -> None:
    npy = tmp_path / "v.npy"
    np.save(npy, np.ones((10, 4), dtype="float32"))
    runs = {
        "smoke": ("smoke", "--endpoint", faulty.url, "--timeout", str(TIMEOUT_S), "--vectors", "20"),
        "latency": ("latency", "--endpoint", faulty.url, "--timeout", str(TIMEOUT_S), "--queries", "5", "--seed-vectors", "10", "--dims", "4"),
        "load": ("load", "--endpoint", faulty.url, "--timeout", str(TIMEOUT_S), "--collection", "faulty", "--file", str(npy)),
    }
    for verb, args in runs.items():
        t0 = time.monotonic()
        res = run_cli(*args, timeout=HANG_GUARD_S + 30)
        took = time.monotonic() - t0
        assert res.returncode not in (0, 2), (verb, faulty.mode, res.returncode, res.stdout, res.stderr)
        assert took < HANG_GUARD_S, f"{verb} against {faulty.mode} took {took:.1f} s"
        _one_sentence(res.stderr)
        if verb == "smoke":
            assert "smoke check failed" in res.stdout and "heartbeat" in res.stdout, res.stdout
        else:
            errors = [line for line in res.stderr.splitlines() if line.startswith("error: ")]
            assert len(errors) == 1, (verb, faulty.mode, res.stderr)


@pytest.mark.parametrize("faulty", ["trickle"], indirect=True)
def test_total_deadline_per_request_not_per_read(faulty: FaultServer) -> None:
    """Both transports: a 200 answer trickled one byte per 0.5 s must give up after the 1.5 s deadline,
    where a per-read timeout would wait for every byte (more than 100 s)."""
    faulty.trickle_s = 0.5
    with ChromaClient(faulty.url, timeout_s=1.5) as c:
        t0 = time.monotonic()
        with pytest.raises(ChromaUnavailable, match="no answer within 1.5 s"):
            c.heartbeat()
        httpx_s = time.monotonic() - t0
    poster = RawPoster(f"{faulty.url}/api/v2/heartbeat", timeout_s=1.5)
    t0 = time.monotonic()
    with pytest.raises(ChromaUnavailable, match="no answer within 1.5 s"):
        poster.post(b"{}")
    raw_s = time.monotonic() - t0
    poster.close()
    full_answer_s = len(BODY) * faulty.trickle_s
    assert httpx_s < full_answer_s / 10 and raw_s < full_answer_s / 10, (httpx_s, raw_s, full_answer_s)
