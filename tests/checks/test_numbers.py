"""The issue's numbers, asserted with moderate sizes (scripts/bench_checks.py prints the full run).

The machine is small and shared, so each comparison interleaves the things
compared and takes medians; bounds are the issue's, not loosened.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from chromactl.checks import bench
from chromactl.checks.latency import CLOSED_NOTE, Workload, workload_for
from chromactl.checks.target import Target

pytestmark = [pytest.mark.slow, pytest.mark.bench]


@pytest.fixture(scope="module")
def bench_workload(chroma_server):  # type: ignore[no-untyped-def]
    target = Target(chroma_server.url, None)
    with workload_for(target, seed_vectors=2000, dims=64, seed=11) as wl:
        yield target, wl


def test_measurement_overhead_p50_within_15_percent_of_a_bare_loop(bench_workload) -> None:  # type: ignore[no-untyped-def]
    target, wl = bench_workload
    result = bench.measure_overhead(target, wl, rounds=5, queries=300)
    assert result["ratio"] <= 1.15, result


def test_open_loop_shows_the_stall_closed_loop_hides_it(chroma_server, make_freeze_proxy, bench_workload) -> None:  # type: ignore[no-untyped-def]
    """Freeze all traffic 1 s every 10 s; 10 s of open loop at 100 req/s, then 10 s of closed loop at concurrency 1."""
    _, wl = bench_workload
    proxy = make_freeze_proxy(chroma_server.url, period_s=10.0, freeze_s=1.0, first_freeze_in=4.0)
    target = Target(proxy.url, None)
    via_proxy = Workload(wl.collection_id, wl.collection_name, False, wl.dims, wl.vectors,
                         wl.url.replace(chroma_server.url, proxy.url), wl.bodies)
    result = bench.measure_tail(target, via_proxy, rate=100.0, duration_s=10.0)
    assert proxy.freezes >= 2  # each loop ran through one freeze
    assert result["open_errors"] == 0 and result["open_count"] == 1000
    assert result["open_p99_ms"] >= 500.0, result
    assert result["closed_max_ms"] >= 900.0, result  # the stall happened to the closed loop too...
    assert result["closed_p99_ms"] <= 0.2 * result["open_p99_ms"], result  # ...but its p99 hides it
    assert result["closed_note"] == CLOSED_NOTE and "understate" in CLOSED_NOTE


def test_load_beats_one_per_request_and_matches_the_best_plain_batch_loop(chroma_server, tmp_path: Path) -> None:
    target = Target(chroma_server.url, None)
    # The server is the bottleneck here (chromactl's client CPU per batch is a quarter of the plain
    # client's); chromactl's edge is its leaner client. The machine's noise is large: seven
    # interleaved pairs, median of the pair ratios, the plain loop at its best batch size.
    # Both sides (server and this process) run at raised CPU priority, so other work on a shared
    # machine does not dominate the variance (a no-op without root).
    import os

    with bench.priority_boost([chroma_server.proc.pid, os.getpid()]):
        result = bench.measure_ingest(target, tmp_path, rows=4000, dims=32, rounds=7, batch_sizes=(1000, 5000), singles=30,
                                      pilot_passes=1)
    assert result["vs_one_per_request"] >= 15.0, result
    assert result["vs_best_plain"] >= 0.9, result
