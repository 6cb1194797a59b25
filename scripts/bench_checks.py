#!/usr/bin/env python3
"""Benchmarks behind the checks' claims; prints each ratio measured in this run.

Starts its own Chroma server (`chroma run`, 127.0.0.1, a temp dir) unless
--endpoint is given, and a freeze proxy in front of it for the tail test.
Prints ratios, never a single absolute time as a claim (the raw figures are
shown for context). Bounds from issue 5:
  1. chromactl latency p50 <= 1.15x a bare HTTP loop, same requests, same server
  2. behind a proxy that freezes 1 s every 10 s: open loop at 100 req/s p99 >= 500 ms,
     closed loop at concurrency 1 hides most of it
  3. chromactl load >= 15x one vector per request, >= 0.9x the best plain batch loop

Exit status 1 when a bound is missed. Usage: .venv/bin/python scripts/bench_checks.py [--quick] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.fixtures (server and proxy helpers)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--endpoint", help="use this Chroma server instead of starting one")
    ap.add_argument("--quick", action="store_true", help="smaller sizes (about a minute)")
    ap.add_argument("--json", action="store_true", help="print the full results as JSON")
    args = ap.parse_args()

    from chromactl.checks import bench
    from chromactl.checks.latency import Workload, workload_for
    from chromactl.checks.target import Target

    from tests.fixtures.chroma_server import start_chroma
    from tests.fixtures.freeze_proxy import start_freeze_proxy

    tmp = Path(tempfile.mkdtemp(prefix="bench-checks-"))
    server = None
    if args.endpoint:
        url = args.endpoint.rstrip("/")
    else:
        server = start_chroma(tmp / "chroma")
        url = server.url
    target = Target(url, None)
    seed = (2000, 64) if args.quick else (10000, 128)
    results: dict[str, dict] = {}
    ok = True
    try:
        with workload_for(target, seed_vectors=seed[0], dims=seed[1], seed=11) as wl:
            r = bench.measure_overhead(target, wl, rounds=5 if args.quick else 9, queries=300 if args.quick else 500)
            results["overhead"] = r
            good = r["ratio"] <= 1.15
            ok &= good
            print(f"1. measurement overhead: chromactl latency p50 / bare HTTP loop p50 = {r['ratio']:.3f}  (bound <= 1.15) "
                  f"{'PASS' if good else 'FAIL'}")
            print(f"   medians over {r['rounds']} interleaved rounds of {r['queries']} queries: "
                  f"chromactl {statistics.median(r['chromactl_p50_ms']):.2f} ms, bare {statistics.median(r['bare_p50_ms']):.2f} ms")

            proxy = start_freeze_proxy(url, period_s=10.0, freeze_s=1.0, first_freeze_in=4.0)
            try:
                ptarget = Target(proxy.url, None)
                pwl = Workload(wl.collection_id, wl.collection_name, False, wl.dims, wl.vectors, wl.url.replace(url, proxy.url), wl.bodies)
                t = bench.measure_tail(ptarget, pwl, rate=100.0, duration_s=10.0)
            finally:
                proxy.stop()
            results["tail"] = t
            good = t["open_p99_ms"] >= 500.0 and t["closed_p99_ms"] <= 0.2 * t["open_p99_ms"]
            ok &= good
            print(f"2. tail truth (1 s freeze every 10 s): open-loop p99 / 500 ms = {t['open_p99_ms'] / 500.0:.2f} (bound >= 1); "
                  f"closed-loop p99 / open-loop p99 = {t['hidden_ratio']:.3f} (closed loop hides {100 * (1 - t['hidden_ratio']):.0f}% of it) "
                  f"{'PASS' if good else 'FAIL'}")
            print(f"   open loop: {t['open_count']} requests, p99 {t['open_p99_ms']:.0f} ms; closed loop: {t['closed_count']} requests, "
                  f"p99 {t['closed_p99_ms']:.1f} ms, max {t['closed_max_ms']:.0f} ms (the stall it met, counted once)")

        import os

        pids = [os.getpid()] + ([server.proc.pid] if server else [])
        with bench.priority_boost(pids) as boosted:
            i = bench.measure_ingest(target, tmp, rows=4000 if args.quick else 6000, dims=32 if args.quick else 128,
                                     rounds=7 if args.quick else 9,
                                     batch_sizes=(1000, 5000) if args.quick else (500, 1000, 2000, 5000),
                                     singles=30 if args.quick else 100, pilot_passes=1 if args.quick else 2)
        results["ingest"] = i
        good = i["vs_one_per_request"] >= 15 and i["vs_best_plain"] >= 0.9
        ok &= good
        print(f"3. ingestion: chromactl load / one vector per request = {i['vs_one_per_request']:.1f}x (bound >= 15); "
              f"chromactl load / best plain batch loop (batch {i['best_plain_batch']}) = {i['vs_best_plain']:.2f}x (bound >= 0.9) "
              f"{'PASS' if good else 'FAIL'}")
        print(f"   median of {i['rounds']} interleaved pairs{' at raised CPU priority (both sides)' if boosted else ''}; load: batch {i['load_batch_size']}, {i['load_workers']} workers; "
              "pair ratios " + ", ".join(f"{x:.2f}" for x in i["pair_ratios"]) + f" (median {i['pair_median_ratio']:.2f})")
    finally:
        if server:
            server.stop()
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        print(json.dumps(results, indent=2, default=str))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
