"""Query latency, measured so that the tail tells the truth.

Two ways to drive load:

closed loop (`run_closed`): C workers, each sends its next query when the last
  answer came back. Simple, but when the server stalls the workers stop
  sending, so the stall is counted once per worker instead of once per request
  a real user would have sent: the tail understates (coordinated omission).
  The report says so.
open loop (`run_open`): requests are scheduled at a fixed rate (request i at
  start + i/rate) and handed to a bounded pool of senders; latency is counted
  from each request's *scheduled* time, so time spent waiting behind a stall
  (in the queue or on the wire) is in the number. Bounded: at most
  `max_in_flight` requests on the wire, and the run ends at
  duration + timeout; anything unfinished then counts as an error.

Both stop early after `abort_after_errors` consecutive errors (a dead server
is reported in seconds, not after the whole run). Queries are prebuilt bodies
sent over a bare keep-alive connection (client.RawPoster), so measurement
overhead stays small next to the query itself.

The collection: seeded (`--seed-vectors K --dims D`, created with a unique
name and removed afterwards, on error and Ctrl-C too) or an existing one
(`--collection NAME`: only read; query vectors are sampled from it).
"""

from __future__ import annotations

import contextlib
import math
import queue
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from chromactl.checks.client import ChromaError, ChromaNotFound, RawPoster
from chromactl.checks.target import Target
from chromactl.errors import OperationFailed, UsageError

BENCH_PREFIX = "chromactl-bench-"
DEFAULT_SEED_VECTORS = 5000
DEFAULT_DIMS = 128
DEFAULT_N_RESULTS = 10
DISTINCT_QUERIES = 64
PERCENTILES: tuple[tuple[str, float], ...] = (("p50", 50.0), ("p90", 90.0), ("p95", 95.0), ("p99", 99.0), ("p99.9", 99.9))
SLO_KEYS = ("p50", "p90", "p95", "p99", "p99.9", "max")

CLOSED_NOTE = (
    "closed loop: each worker waits for its previous answer before sending again, so a stalled server "
    "delays the next request instead of showing in the tail; p99 and max can understate what users see "
    "(coordinated omission). Use --rate/--duration for an open loop."
)
OPEN_NOTE = (
    "open loop: requests leave at their scheduled times and latency counts from the scheduled time, "
    "so stalls show in the tail (no coordinated omission)."
)


# ---------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------
@dataclass
class LatencyReport:
    mode: str
    count: int
    errors: int
    duration_s: float
    latencies_ms: list[float] = field(default_factory=list, repr=False)
    note: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    collection: dict[str, Any] = field(default_factory=dict)
    error_samples: list[str] = field(default_factory=list)
    aborted: str | None = None
    lag_ms: float = 0.0  # open loop: how late a request was handed to the senders at worst (queueing, inside the latencies)
    send_rate: float | None = None  # open loop: requests handed to the senders per second (the achieved send rate)

    def __post_init__(self) -> None:
        self._pcts = _percentiles(self.latencies_ms)

    @property
    def throughput(self) -> float:
        return self.count / self.duration_s if self.duration_s > 0 else 0.0

    def pct(self, key: str) -> float | None:
        return self._pcts.get(key)

    p50_ms = property(lambda self: self._pcts.get("p50"))
    p90_ms = property(lambda self: self._pcts.get("p90"))
    p95_ms = property(lambda self: self._pcts.get("p95"))
    p99_ms = property(lambda self: self._pcts.get("p99"))
    p999_ms = property(lambda self: self._pcts.get("p99.9"))
    max_ms = property(lambda self: self._pcts.get("max"))

    @property
    def ok(self) -> bool:
        return self.errors == 0 and self.count > 0 and self.aborted is None

    def breaches(self, slos: dict[str, float]) -> list[dict[str, Any]]:
        """Each SLO (e.g. {"p95": 100}) the measured value exceeds; no data counts as a breach."""
        out = []
        for key, limit in slos.items():
            actual = self._pcts.get(key)
            if actual is None or actual > limit:
                out.append({"metric": key, "limit_ms": limit, "actual_ms": None if actual is None else round(actual, 3)})
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "count": self.count,
            "errors": self.errors,
            "duration_s": round(self.duration_s, 3),
            "throughput": round(self.throughput, 2),
            "latency_ms": {k: (round(v, 3) if v is not None else None) for k, v in self._pcts.items()},
            "note": self.note,
            "params": self.params,
            "collection": self.collection,
            "error_samples": self.error_samples,
            "aborted": self.aborted,
            # open loop (issue 21): the rate asked for, the rate requests left at, the rate answers came back at
            "scheduled_rate": self.params.get("rate") if self.mode == "open" else None,
            "achieved_send_rate": round(self.send_rate, 2) if self.mode == "open" and self.send_rate is not None else None,
            "completion_rate": round(self.throughput, 2),
            "max_queueing_delay_ms": round(self.lag_ms, 3) if self.mode == "open" else None,
        }


def _percentiles(values_ms: list[float]) -> dict[str, float | None]:
    keys = [k for k, _ in PERCENTILES] + ["max"]
    if not values_ms:
        return {k: None for k in keys}
    import numpy as np

    arr = np.asarray(values_ms, dtype="float64")
    out: dict[str, float | None] = {k: float(np.percentile(arr, q)) for k, q in PERCENTILES}
    out["max"] = float(arr.max())
    return out


def parse_slos(items: list[str] | None) -> dict[str, float]:
    """`["p95=100", "p99=250"]` -> {"p95": 100.0, "p99": 250.0}; bad input is a UsageError."""
    slos: dict[str, float] = {}
    for item in items or []:
        key, sep, raw = item.partition("=")
        key = key.strip().lower()
        if not sep or key not in SLO_KEYS:
            raise UsageError(f"Bad --slo {item!r}.", f"Write it as KEY=MILLISECONDS with KEY one of {', '.join(SLO_KEYS)}, e.g. --slo p95=100.")
        try:
            value = float(raw)
        except ValueError:
            raise UsageError(f"Bad --slo {item!r}: {raw!r} is not a number of milliseconds.", "e.g. --slo p99=250.") from None
        if not math.isfinite(value) or value <= 0:
            raise UsageError(f"Bad --slo {item!r}: the limit must be a positive number of milliseconds.", "e.g. --slo p99=250.")
        slos[key] = value
    return slos


# ---------------------------------------------------------------------------
# The workload: which collection, which query bodies
# ---------------------------------------------------------------------------
@dataclass
class Workload:
    collection_id: str
    collection_name: str
    seeded: bool
    dims: int
    vectors: int
    url: str
    bodies: list[bytes] = field(repr=False, default_factory=list)

    def describe(self) -> dict[str, Any]:
        return {"name": self.collection_name, "seeded": self.seeded, "dims": self.dims, "vectors": self.vectors}


def bench_collection_name() -> str:
    return f"{BENCH_PREFIX}{time.strftime('%Y%m%d%H%M%S', time.gmtime())}-{secrets.token_hex(4)}"


def prepare_workload(
    target: Target,
    *,
    collection: str | None = None,
    seed_vectors: int = DEFAULT_SEED_VECTORS,
    dims: int = DEFAULT_DIMS,
    n_results: int = DEFAULT_N_RESULTS,
    on_info: Callable[[str], None] | None = None,
    seed: int | None = None,
) -> Workload:
    """Seed a benchmark collection, or look up an existing one (read-only); build the query bodies."""
    import numpy as np

    if n_results < 1:
        raise UsageError("--n-results must be at least 1.", "e.g. --n-results 10.")
    rng = np.random.default_rng(seed)
    with target.client() as client:
        if collection:
            try:
                col = client.get_collection(collection)
            except ChromaNotFound:
                raise OperationFailed(f"Collection {collection!r} does not exist on {target.url}.", "Check the name, or seed one with --seed-vectors.") from None
            count = client.count(col["id"])
            if count == 0:
                raise OperationFailed(f"Collection {collection!r} is empty; nothing to query.", "Load data first (chromactl load) or use --seed-vectors.")
            sample = client.get(col["id"], limit=DISTINCT_QUERIES, include=("embeddings",))
            vecs = np.asarray([e for e in (sample.get("embeddings") or []) if e is not None], dtype="float32")
            if vecs.ndim != 2 or len(vecs) == 0:
                raise OperationFailed(f"Collection {collection!r} returned no embeddings to query with.", None)
            d = int(vecs.shape[1])
            bodies = [client.query_body(vecs[i : i + 1], n_results) for i in range(len(vecs))]
            return Workload(col["id"], collection, False, d, count, client.query_url(col["id"]), bodies)

        if seed_vectors < 1 or dims < 1:
            raise UsageError("--seed-vectors and --dims must be positive.", "e.g. --seed-vectors 5000 --dims 128.")
        name = bench_collection_name()
        col = client.create_collection(name, metadata={"chromactl": "latency", "temporary": True})
        workload = Workload(col["id"], name, True, dims, seed_vectors, client.query_url(col["id"]))
        try:
            size = min(client.max_batch_size(), 1000)
            if on_info:
                on_info(f"seeding {name}: {seed_vectors} vectors of {dims} dims")
            for lo in range(0, seed_vectors, size):
                hi = min(seed_vectors, lo + size)
                data = rng.standard_normal((hi - lo, dims)).astype("float32")
                client.add(col["id"], [f"b{i:08d}" for i in range(lo, hi)], data)
            queries = rng.standard_normal((DISTINCT_QUERIES, dims)).astype("float32")
            workload.bodies = [client.query_body(queries[i : i + 1], n_results) for i in range(DISTINCT_QUERIES)]
        except BaseException:
            remove_workload(target, workload)
            raise
        return workload


def remove_workload(target: Target, workload: Workload) -> bool:
    """Delete a seeded collection (never an existing one). True when gone."""
    if not workload.seeded:
        return True
    try:
        with target.client() as client:
            client.delete_collection(workload.collection_name)
        return True
    except ChromaNotFound:
        return True
    except ChromaError:
        return False


@contextlib.contextmanager
def workload_for(target: Target, **kwargs: Any) -> Iterator[Workload]:
    """prepare_workload ... remove_workload, also on error and Ctrl-C/SIGTERM."""
    import signal

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, handler)
    try:
        wl = prepare_workload(target, **kwargs)
        try:
            yield wl
        finally:
            if not remove_workload(target, wl):
                note = kwargs.get("on_info")
                if note:
                    note(f"warning: could not remove the benchmark collection {wl.collection_name}; delete it by hand")
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


# ---------------------------------------------------------------------------
# Shared run state
# ---------------------------------------------------------------------------
class _Run:
    def __init__(self, abort_after_errors: int) -> None:
        self.lock = threading.Lock()
        self.errors = 0
        self.consecutive = 0
        self.samples: list[str] = []
        self.abort_after = abort_after_errors
        self.stop = threading.Event()
        self.aborted: str | None = None

    def ok(self) -> None:
        self.consecutive = 0

    def error(self, message: str) -> None:
        with self.lock:
            self.errors += 1
            self.consecutive += 1
            if len(self.samples) < 5 and message not in self.samples:
                self.samples.append(message)
            if self.abort_after and self.consecutive >= self.abort_after and not self.stop.is_set():
                self.aborted = f"stopped after {self.consecutive} consecutive errors (last: {message})"
                self.stop.set()


def _poster(target: Target, wl: Workload) -> RawPoster:
    return RawPoster(wl.url, target.token, token_header=target.token_header, verify_tls=target.verify_tls, timeout_s=target.timeout_s)


def _send(poster: RawPoster, body: bytes) -> str | None:
    """Send one query; None when it succeeded, else a short error message."""
    try:
        status = poster.post(body)
    except ChromaError as exc:
        return exc.message
    if status != 200:
        return f"query: HTTP {status}"
    return None


def _resolve_workload(target: Target, workload: Workload | None, kwargs: dict[str, Any]) -> tuple[Workload, bool]:
    if workload is not None:
        return workload, False
    return prepare_workload(target, **kwargs), True


# ---------------------------------------------------------------------------
# Closed loop
# ---------------------------------------------------------------------------
def run_closed(
    target: Target,
    queries: int = 1000,
    concurrency: int = 1,
    *,
    workload: Workload | None = None,
    warmup: int = 5,
    duration_s: float | None = None,
    max_seconds: float = 600.0,
    abort_after_errors: int = 20,
    **workload_kwargs: Any,
) -> LatencyReport:
    """`queries` queries from `concurrency` workers, each waiting for its answer before the next.

    With `duration_s`, the run stops after that long (queries is then an upper bound).
    Without it, a run that passes `max_seconds` stops and counts what it did not send as errors.
    """
    if queries < 1 or concurrency < 1:
        raise UsageError("--queries and --concurrency must be at least 1.", "e.g. --queries 1000 --concurrency 4.")
    concurrency = min(concurrency, queries)
    limit_s = duration_s if duration_s is not None else max_seconds
    wl, owned = _resolve_workload(target, workload, workload_kwargs)
    try:
        run = _Run(abort_after_errors)
        taken = [0]
        counter_lock = threading.Lock()
        results: list[list[float]] = [[] for _ in range(concurrency)]
        bodies = wl.bodies
        nb = len(bodies)
        barrier_timeout = max(30.0, target.timeout_s * (warmup + 1))
        ready = threading.Barrier(concurrency + 1)
        deadline_box: list[float] = [math.inf]

        def worker(slot: int) -> None:
            poster = _poster(target, wl)
            out = results[slot]
            try:
                for i in range(warmup):  # not measured: connection set-up, server caches
                    _send(poster, bodies[(slot + i) % nb])
            finally:
                try:
                    ready.wait(timeout=barrier_timeout)
                except threading.BrokenBarrierError:
                    pass
            perf = time.perf_counter
            try:
                while not run.stop.is_set() and perf() < deadline_box[0]:
                    with counter_lock:
                        i = taken[0]
                        if i >= queries:
                            break
                        taken[0] = i + 1
                    body = bodies[i % nb]
                    t0 = perf()
                    err = _send(poster, body)
                    t1 = perf()
                    if err is None:
                        out.append((t1 - t0) * 1000.0)
                        run.ok()
                    else:
                        run.error(err)
            finally:
                poster.close()

        threads = [threading.Thread(target=worker, args=(s,), daemon=True, name=f"latency-{s}") for s in range(concurrency)]
        for t in threads:
            t.start()
        start = time.perf_counter()
        deadline_box[0] = start + barrier_timeout + limit_s  # replaced once warm-up is over
        try:
            ready.wait(timeout=barrier_timeout)
        except threading.BrokenBarrierError:
            pass
        start = time.perf_counter()
        deadline_box[0] = start + limit_s
        hard = start + limit_s + target.timeout_s + 5
        for t in threads:
            t.join(timeout=max(0.0, hard - time.perf_counter()))
        elapsed = time.perf_counter() - start
        run.stop.set()
        lat = [x for r in results for x in r]
        in_flight = max(0, taken[0] - len(lat) - run.errors)  # sent, no answer by the hard bound
        errors = run.errors + in_flight
        aborted = run.aborted
        if aborted is None and in_flight:
            aborted = f"{in_flight} requests had no answer by the run's bound"
        if duration_s is None and taken[0] < queries:
            errors += queries - taken[0]
            if aborted is None:
                aborted = f"stopped at the {max_seconds:g} s bound with {queries - taken[0]} queries not sent"
        return LatencyReport(
            mode="closed",
            count=len(lat),
            errors=errors,
            duration_s=elapsed,
            latencies_ms=lat,
            note=CLOSED_NOTE,
            params={"queries": queries if duration_s is None else taken[0], "concurrency": concurrency,
                    "warmup_per_worker": warmup, "n_results": _n_results(wl), "duration_s": duration_s},
            collection=wl.describe(),
            error_samples=run.samples,
            aborted=aborted,
        )
    finally:
        if owned:
            remove_workload(target, wl)


def _n_results(wl: Workload) -> int | None:
    try:
        import json

        return int(json.loads(wl.bodies[0])["n_results"])
    except (ValueError, KeyError, IndexError, TypeError):
        return None


# ---------------------------------------------------------------------------
# Open loop
# ---------------------------------------------------------------------------
def run_open(
    target: Target,
    rate: float,
    duration_s: float,
    *,
    workload: Workload | None = None,
    max_in_flight: int = 64,
    warmup: int = 3,
    abort_after_errors: int = 50,
    **workload_kwargs: Any,
) -> LatencyReport:
    """`rate` requests/s for `duration_s` s; latency from each request's scheduled send time."""
    if rate <= 0 or duration_s <= 0:
        raise UsageError("--rate and --duration must be positive.", "e.g. --rate 100 --duration 30.")
    total = round(rate * duration_s)
    if total < 1:
        raise UsageError("--rate x --duration gives no request at all.", "Raise --rate or --duration.")
    if max_in_flight < 1:
        raise UsageError("--max-in-flight must be at least 1.", "e.g. --max-in-flight 64.")
    wl, owned = _resolve_workload(target, workload, workload_kwargs)
    try:
        run = _Run(abort_after_errors)
        senders = min(max_in_flight, total)
        work: queue.SimpleQueue[tuple[int, float] | None] = queue.SimpleQueue()
        results: list[list[float]] = [[] for _ in range(senders)]
        bodies = wl.bodies
        nb = len(bodies)
        done_box = {"late": 0}
        end_box = [math.inf]

        def sender(slot: int) -> None:
            poster = _poster(target, wl)
            try:
                for i in range(warmup):  # not measured
                    _send(poster, bodies[(slot + i) % nb])
            finally:
                try:
                    ready.wait(timeout=barrier_timeout)
                except threading.BrokenBarrierError:
                    pass
            out = results[slot]
            perf = time.perf_counter
            try:
                while True:
                    item = work.get()
                    if item is None:
                        return
                    i, scheduled = item
                    if perf() > end_box[0]:
                        with run.lock:
                            done_box["late"] += 1
                        continue
                    err = _send(poster, bodies[i % nb])
                    t1 = perf()
                    if err is None:
                        out.append((t1 - scheduled) * 1000.0)
                        run.ok()
                    else:
                        run.error(err)
            finally:
                poster.close()

        barrier_timeout = max(30.0, target.timeout_s * (warmup + 1))
        ready = threading.Barrier(senders + 1)
        threads = [threading.Thread(target=sender, args=(s,), daemon=True, name=f"open-{s}") for s in range(senders)]
        for t in threads:
            t.start()
        try:
            ready.wait(timeout=barrier_timeout)
        except threading.BrokenBarrierError:
            pass
        start = time.perf_counter()
        end_box[0] = start + duration_s + target.timeout_s
        interval = 1.0 / rate
        sent = 0
        lag = 0.0
        perf = time.perf_counter
        for i in range(total):
            if run.stop.is_set():
                break
            scheduled = start + i * interval
            now = perf()
            if scheduled > now:
                time.sleep(scheduled - now)
            else:
                lag = max(lag, now - scheduled)
            work.put((i, scheduled))
            sent += 1
        send_s = perf() - start
        for _ in threads:
            work.put(None)
        for t in threads:
            t.join(timeout=max(0.0, end_box[0] + 1.0 - perf()))
        elapsed = perf() - start
        lat = [x for r in results for x in r]
        finished = len(lat) + run.errors
        unfinished = sent - finished  # still on the wire or dropped at the bound
        errors = run.errors + max(0, unfinished)
        aborted = run.aborted
        if aborted is None and unfinished > 0:
            aborted = f"{unfinished} requests had no answer within duration + timeout ({duration_s + target.timeout_s:g} s)"
        if unfinished > 0 and len(run.samples) < 5:
            run.samples.append(f"no answer within the run's bound ({unfinished} requests)")
        return LatencyReport(
            mode="open",
            count=len(lat),
            errors=errors,
            duration_s=elapsed,
            latencies_ms=lat,
            note=OPEN_NOTE,
            params={"rate": rate, "duration_s": duration_s, "scheduled": total, "sent": sent, "max_in_flight": senders,
                    "n_results": _n_results(wl)},
            collection=wl.describe(),
            error_samples=run.samples,
            aborted=aborted,
            lag_ms=lag * 1000.0,
            send_rate=(sent - 1) / send_s if sent > 1 and send_s > 0 else None,
        )
    finally:
        if owned:
            remove_workload(target, wl)
