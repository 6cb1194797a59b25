"""Measurements behind the checks' claims (used by scripts/bench_checks.py and the tests).

Each function returns ratios measured in one run against the same server,
interleaving the things compared (this machine is small and shared: rounds
alternate and medians are taken), never a single absolute time as a claim.

1. overhead: p50 that `run_closed` reports vs a bare http.client loop sending
   the identical query bodies to the same URL.
2. tail truth: open loop vs closed loop through a proxy that stalls all traffic.
3. ingestion: `run_load` vs one vector per request and vs the best rate a plain
   chromadb-client batch loop reaches.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from chromactl.checks.latency import Workload, run_closed, run_open
from chromactl.checks.target import Target


@contextlib.contextmanager
def priority_boost(pids: list[int], nice: int = -10) -> Iterator[bool]:
    """Raise the CPU priority of every thread of `pids` while a benchmark runs; restored afterwards.

    Benchmark hygiene on a shared machine: both sides of a comparison (the server and this
    process) get the boost, so it is fair, and other work on the machine stops dominating the
    variance. Needs root (or CAP_SYS_NICE); yields False, changing nothing, without it.
    """
    saved: list[tuple[int, int]] = []
    ok = True
    for pid in pids:
        try:
            tids = [int(t) for t in os.listdir(f"/proc/{pid}/task")]
        except OSError:
            tids = [pid]
        for tid in tids:
            try:
                before = os.getpriority(os.PRIO_PROCESS, tid)
                os.setpriority(os.PRIO_PROCESS, tid, nice)
                saved.append((tid, before))
            except OSError:
                ok = False
    try:
        yield ok and bool(saved)
    finally:
        for tid, before in saved:
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, tid, before)


def bare_query_loop(url: str, bodies: list[bytes], n: int, headers: dict[str, str] | None = None, warmup: int = 5) -> list[float]:
    """Latencies (ms) of `n` POSTs of `bodies` over one keep-alive http.client connection: the floor."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=10)
    hdrs = {"Content-Type": "application/json", **(headers or {})}
    path = parts.path
    out: list[float] = []
    nb = len(bodies)
    perf = time.perf_counter
    try:
        for i in range(warmup + n):
            body = bodies[i % nb]
            t0 = perf()
            conn.request("POST", path, body=body, headers=hdrs)
            resp = conn.getresponse()
            resp.read()
            t1 = perf()
            if resp.status != 200:
                raise RuntimeError(f"bare loop: HTTP {resp.status}")
            if i >= warmup:
                out.append((t1 - t0) * 1000.0)
    finally:
        conn.close()
    return out


def measure_overhead(target: Target, workload: Workload, *, rounds: int = 5, queries: int = 300) -> dict[str, Any]:
    """Interleaved rounds of chromactl's closed loop (concurrency 1) and the bare loop; ratio of median p50s."""
    ours: list[float] = []
    bare: list[float] = []
    for r in range(rounds):
        order = (0, 1) if r % 2 == 0 else (1, 0)
        for which in order:
            if which == 0:
                rep = run_closed(target, queries, 1, workload=workload)
                if rep.errors or rep.p50_ms is None:
                    raise RuntimeError(f"closed loop had {rep.errors} errors")
                ours.append(rep.p50_ms)
            else:
                bare.append(statistics.median(bare_query_loop(workload.url, workload.bodies, queries)))
    ours_m, bare_m = statistics.median(ours), statistics.median(bare)
    return {"chromactl_p50_ms": ours, "bare_p50_ms": bare, "ratio": ours_m / bare_m, "rounds": rounds, "queries": queries}


def measure_tail(target: Target, workload: Workload, *, rate: float = 100.0, duration_s: float = 10.0,
                 closed_queries: int | None = None) -> dict[str, Any]:
    """Open loop at `rate` and closed loop at concurrency 1, both through the stalling proxy in `target`."""
    open_rep = run_open(target, rate, duration_s, workload=workload)
    closed_rep = run_closed(target, closed_queries or 10**9, 1, workload=workload, duration_s=duration_s, abort_after_errors=0)
    return {
        "open_p99_ms": open_rep.p99_ms, "open_p50_ms": open_rep.p50_ms, "open_count": open_rep.count, "open_errors": open_rep.errors,
        "closed_p99_ms": closed_rep.p99_ms, "closed_p50_ms": closed_rep.p50_ms, "closed_count": closed_rep.count,
        "closed_max_ms": closed_rep.max_ms, "closed_note": closed_rep.note,
        "hidden_ratio": (closed_rep.p99_ms or 0.0) / (open_rep.p99_ms or 1.0),
    }


def _plain_batch_rate(url: str, data: Any, batch: int, name: str) -> float:
    from urllib.parse import urlsplit

    import chromadb

    parts = urlsplit(url)
    client = chromadb.HttpClient(host=parts.hostname or "127.0.0.1", port=parts.port or 80)
    col = client.create_collection(name)
    ids = [f"p{i}" for i in range(len(data))]
    t0 = time.perf_counter()
    for lo in range(0, len(data), batch):
        col.add(ids=ids[lo : lo + batch], embeddings=data[lo : lo + batch])
    rate = len(data) / (time.perf_counter() - t0)
    client.delete_collection(name)
    return rate


def _one_per_request_rate(target: Target, data: Any, name: str, n: int) -> float:
    with target.client() as c:
        col = c.create_collection(name)
        t0 = time.perf_counter()
        for i in range(n):
            c.add(col["id"], [f"o{i}"], data[i : i + 1])
        rate = n / (time.perf_counter() - t0)
        c.delete_collection(name)
    return rate


def measure_ingest(target: Target, workdir: Path, *, rows: int = 6000, dims: int = 64, rounds: int = 4,
                   batch_sizes: tuple[int, ...] = (500, 1000, 2000, 5000), singles: int = 100,
                   pilot_passes: int = 2) -> dict[str, Any]:
    """chromactl load (its defaults) vs one vector per request vs the best plain-client batch loop.

    The plain loop's best batch size is found first (each size `pilot_passes` times, interleaved);
    then chromactl load and the plain loop at that size run in interleaved pairs. The bound's
    ratio (`vs_best_plain`) is chromactl's best rate over the best rate the plain loop reached at
    its best size (its pilot runs included): the issue's "best batch rate a plain client loop
    reaches". On a shared machine noise only ever takes throughput away, so best-of-N is the
    steady figure: the median of per-pair ratios of 4,000-row loads swung 0.73-1.25 between runs
    of the same code; best-of over 12,000-row loads stayed within 0.96-1.05. The median of the
    per-pair ratios is returned for context.
    """
    import secrets

    import numpy as np

    from chromactl.checks.load import run_load

    data = np.random.default_rng(7).standard_normal((rows, dims)).astype("float32")
    tag = secrets.token_hex(3)
    npy = Path(workdir) / f"ingest-{tag}.npy"
    np.save(npy, data)
    pilot: dict[int, list[float]] = {b: [] for b in batch_sizes}
    for r in range(pilot_passes):
        for b in (batch_sizes if r % 2 == 0 else tuple(reversed(batch_sizes))):
            pilot[b].append(_plain_batch_rate(target.url, data, b, f"bench-pilot-{tag}-{r}-{b}"))
    best_b = max(pilot, key=lambda b: max(pilot[b]))

    def load_once(r: int) -> tuple[float, Any]:
        name = f"bench-load-{tag}-{r}"
        rep = run_load(target, name, npy, checkpoint=Path(workdir) / f"{name}.ckpt.json")
        with target.client() as c:
            c.delete_collection(name)
        return rep.vectors_per_s, rep

    load_rates: list[float] = []
    plain_rates: list[float] = []
    ratios: list[float] = []
    rep = None
    for r in range(rounds):
        if r % 2 == 0:
            lr, rep = load_once(r)
            pr = _plain_batch_rate(target.url, data, best_b, f"bench-plain-{tag}-{r}")
        else:
            pr = _plain_batch_rate(target.url, data, best_b, f"bench-plain-{tag}-{r}")
            lr, rep = load_once(r)
        load_rates.append(lr)
        plain_rates.append(pr)
        ratios.append(lr / pr)
    singles_rates = [_one_per_request_rate(target, data, f"bench-one-{tag}-{r}", singles) for r in range(2)]
    npy.unlink(missing_ok=True)
    return {
        "load_vectors_per_s": load_rates, "plain_vectors_per_s": plain_rates, "pilot_plain_vectors_per_s": pilot,
        "one_per_request_vectors_per_s": singles_rates, "best_plain_batch": best_b,
        "load_batch_size": rep.batch_size if rep else None, "load_workers": rep.workers if rep else None,
        "vs_one_per_request": statistics.median(load_rates) / statistics.median(singles_rates),
        "vs_best_plain": max(load_rates) / max([*plain_rates, *pilot[best_b]]),
        "pair_ratios": ratios, "pair_median_ratio": statistics.median(ratios),
        "rows": rows, "dims": dims, "rounds": rounds,
    }
