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

The collection: seeded (`--seed-vectors K --dims D`: the env's long-lived
check collection `chromactl-check-latency-d<D>`, leased for the run and
refilled by upsert of the same ids, so runs do not grow the data directory:
chromactl.checks.checkcoll; the lease is released on error and Ctrl-C too, a
second Ctrl-C included) or an existing one (`--collection NAME`: only read;
query vectors are sampled from it).

Size: the report, its percentiles and SLO parsing, the workload (prepare, remove) and the open- and
closed-loop runners read as one measurement method; the mutation scope (tools/mutate/scope.py)
covers its report and percentiles, so it is not split while that is measured.
"""

from __future__ import annotations

import contextlib
import math
import secrets
import threading
import time
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from chromactl.checks import checkcoll
from chromactl.checks.client import ChromaError, ChromaNotFound, RawPoster
from chromactl.checks.target import Target
from chromactl.errors import OperationFailed, UsageError

BENCH_PREFIX = "chromactl-bench-"  # temporary collections (fallback when every check slot is busy)
CHECK_KIND = "latency"
DEFAULT_SEED_VECTORS = 5000
DEFAULT_DIMS = 128
DEFAULT_N_RESULTS = 10
DISTINCT_QUERIES = 64
PERCENTILES: tuple[tuple[str, float], ...] = (("p50", 50.0), ("p90", 90.0), ("p95", 95.0), ("p99", 99.0), ("p99.9", 99.9))
SLO_KEYS = ("p50", "p90", "p95", "p99", "p99.9", "max")
MAX_DURATION_S = 24 * 3600.0
MAX_RATE = 1e9  # requests/s: 1 ns apart, the resolution of time.perf_counter_ns(); above it no schedule exists

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
    lag_ms: float = 0.0  # open loop: how late a request left at worst (queueing, already inside the latencies)
    interrupted: bool = False  # Ctrl-C/SIGTERM: the figures are of the part that ran
    send_rate: float | None = None  # open loop: requests sent per second (the achieved send rate)

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
        return self.errors == 0 and self.count > 0 and self.aborted is None and not self.interrupted

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
            "interrupted": self.interrupted,
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
    lease: checkcoll.Lease | None = field(default=None, repr=False)

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
    on_progress: Callable[[int, int], None] | None = None,
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
        stale = checkcoll.remove_stale(client)
        if stale and on_info:
            on_info(f"removed {len(stale)} stale temporary check collection(s): {', '.join(stale[:5])}")
        workload: Workload | None = None
        with checkcoll.interrupt_once():  # a second Ctrl-C cannot cut the release short
            try:
                lease = checkcoll.acquire(client, CHECK_KIND, dims, temp_prefix=BENCH_PREFIX)
                workload = Workload(lease.collection_id, lease.name, True, dims, seed_vectors,
                                    client.query_url(lease.collection_id), lease=lease)
                size = min(client.max_batch_size(), 1000)
                if on_info:
                    on_info(f"seeding {lease.describe()}: {seed_vectors} vectors of {dims} dims")
                for lo in range(0, seed_vectors, size):
                    hi = min(seed_vectors, lo + size)
                    data = rng.standard_normal((hi - lo, dims)).astype("float32")
                    client.upsert(lease.collection_id, [_seed_id(i) for i in range(lo, hi)], data)
                    if on_progress:
                        on_progress(hi, seed_vectors)
                checkcoll.trim(client, lease, _seed_id, seed_vectors, client.max_batch_size())
                queries = rng.standard_normal((DISTINCT_QUERIES, dims)).astype("float32")
                workload.bodies = [client.query_body(queries[i : i + 1], n_results) for i in range(DISTINCT_QUERIES)]
            except BaseException:
                if workload is not None:
                    remove_workload(target, workload)
                raise
        return workload


def _seed_id(i: int) -> str:
    return f"b{i:08d}"


def remove_workload(target: Target, workload: Workload) -> bool:
    """Release a seeded check collection (a temporary one is deleted; never an existing one). True when done."""
    if not workload.seeded or workload.lease is None:
        return True
    with checkcoll.interrupt_once(), target.client() as client:
        return checkcoll.release(client, workload.lease)


@contextlib.contextmanager
def workload_for(target: Target, **kwargs: Any) -> Iterator[Workload]:
    """prepare_workload ... remove_workload, also on error and Ctrl-C/SIGTERM (once: a second signal
    while the collection is released is recorded, not raised)."""
    with checkcoll.interrupt_once():
        wl = prepare_workload(target, **kwargs)
        try:
            yield wl
        finally:
            if not remove_workload(target, wl):
                note = kwargs.get("on_info")
                if note:
                    note(f"warning: could not release the benchmark collection {wl.collection_name}; the next run recovers it after an hour")


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
    on_tick: Callable[[dict[str, Any]], None] | None = None,
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
        interrupted = False
        start = time.perf_counter()
        try:
            for t in threads:
                t.start()
            deadline_box[0] = start + barrier_timeout + limit_s  # replaced once warm-up is over
            try:
                ready.wait(timeout=barrier_timeout)
            except threading.BrokenBarrierError:
                pass
            start = time.perf_counter()
            deadline_box[0] = start + limit_s
            hard = start + limit_s + target.timeout_s + 5
            last_tick = start
            for t in threads:
                while t.is_alive() and time.perf_counter() < hard:  # joined in slices: Ctrl-C and ticks get through
                    t.join(timeout=min(0.2, max(0.0, hard - time.perf_counter())))
                    now = time.perf_counter()
                    if on_tick is not None and now - last_tick >= 1.0:
                        last_tick = now
                        on_tick({"elapsed_s": now - start, "queries": queries, "sent": taken[0], "errors": run.errors,
                                 "answered": sum(len(r) for r in results)})
        except KeyboardInterrupt:
            interrupted = True
        elapsed = time.perf_counter() - start
        run.stop.set()
        lat = [x for r in results for x in r]
        in_flight = max(0, taken[0] - len(lat) - run.errors)  # sent, no answer by the hard bound
        errors = run.errors + (0 if interrupted else in_flight)
        aborted = run.aborted
        if aborted is None and in_flight and not interrupted:
            aborted = f"{in_flight} requests had no answer by the run's bound"
        if duration_s is None and taken[0] < queries and not interrupted:
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
            interrupted=interrupted,
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
# How long the open loop watches before judging that the rate is out of reach, and how far
# behind its schedule it may fall (as a share of the requests due so far) before it stops.
REACH_GRACE_S = 0.5
REACH_BEHIND_SHARE = 0.5
# ... and for how long without a break: a sender pool starved for a second (a loaded host's CPU steal,
# a GC pause) catches up afterwards and must not end a run that the rate is within reach of (seen: a
# 100 req/s run stopped after 1.3 s on a host at load 18, 133 of 1,000 requests sent).
REACH_SUSTAIN_S = 1.5
MONITOR_S = 0.05


@dataclass
class ReachJudge:
    """Says when the open loop's senders are out of reach of the scheduled rate: behind by more than
    max(senders, REACH_BEHIND_SHARE of what is due) past REACH_GRACE_S, continuously for REACH_SUSTAIN_S."""

    senders: int
    total: int
    behind_since: float | None = None

    def out_of_reach(self, t_run: float, due: int, claimed: int) -> bool:
        behind = (t_run >= REACH_GRACE_S and claimed < self.total
                  and due - claimed > max(self.senders, REACH_BEHIND_SHARE * due))
        if not behind:
            self.behind_since = None
            return False
        if self.behind_since is None:
            self.behind_since = t_run
        return t_run - self.behind_since >= REACH_SUSTAIN_S


def check_rate_duration(rate: float, duration_s: float) -> int:
    """The number of requests `rate` x `duration_s` schedules; a UsageError for what cannot be run."""
    for flag, value in (("--rate", rate), ("--duration", duration_s)):
        if not math.isfinite(value) or value <= 0:
            raise UsageError(f"{flag} must be a positive, finite number (got {value!r}).", "e.g. --rate 100 --duration 30.")
    if rate > MAX_RATE:
        raise UsageError(f"--rate {rate:g} is above {MAX_RATE:g} req/s: requests cannot be scheduled less than a nanosecond apart.",
                         "e.g. --rate 1000; the run reports the rate it reached.")
    if duration_s > MAX_DURATION_S:
        raise UsageError(f"--duration {duration_s:g} is longer than the {MAX_DURATION_S / 3600:g} hours a latency run may last.",
                         "Run several shorter runs, e.g. --duration 600.")
    total = rate * duration_s
    if not math.isfinite(total) or total < 1:
        raise UsageError("--rate x --duration gives no request at all.", "Raise --rate or --duration.")
    return int(total)


def run_open(
    target: Target,
    rate: float,
    duration_s: float,
    *,
    workload: Workload | None = None,
    max_in_flight: int = 64,
    warmup: int = 3,
    abort_after_errors: int = 50,
    on_tick: Callable[[dict[str, Any]], None] | None = None,
    **workload_kwargs: Any,
) -> LatencyReport:
    """`rate` requests/s for `duration_s` s; latency from each request's scheduled send time.

    Nothing is scheduled ahead: request i is due at start + i/rate, and each of at most
    `max_in_flight` senders claims the next due request when it is free (waiting for its time
    when early). A request that waits for a free sender still counts from its scheduled time.
    Memory stays flat (a counter, not a queue of rate x duration entries). When the senders fall
    more than half of the due requests behind after REACH_GRACE_S, for REACH_SUSTAIN_S without a
    break (ReachJudge), the rate is out of reach
    (server, network or this client): the run stops and says the rate it reached. Ctrl-C/SIGTERM
    stop it at once with the partial figures (`interrupted`).
    """
    total = check_rate_duration(rate, duration_s)
    if max_in_flight < 1:
        raise UsageError("--max-in-flight must be at least 1.", "e.g. --max-in-flight 64.")
    wl, owned = _resolve_workload(target, workload, workload_kwargs)
    try:
        run = _Run(abort_after_errors)
        senders = min(max_in_flight, total)
        results: list[array[float]] = [array("d") for _ in range(senders)]
        lags = [0.0] * senders  # per sender: how late it sent at worst
        bodies = wl.bodies
        nb = len(bodies)
        interval = 1.0 / rate
        claim_lock = threading.Lock()
        box: dict[str, int] = {"next": 0, "late": 0, "in_flight": 0}
        start_box = [math.inf]
        end_box = [math.inf]

        def claim() -> tuple[int, float] | None:
            with claim_lock:
                i = box["next"]
                if i >= total or run.stop.is_set():
                    return None
                box["next"] = i + 1
                box["in_flight"] += 1
                return i, start_box[0] + i * interval

        def sender(slot: int) -> None:
            poster = _poster(target, wl)
            try:
                for i in range(warmup):  # not measured
                    if run.stop.is_set():
                        break
                    _send(poster, bodies[(slot + i) % nb])
            finally:
                try:
                    ready.wait(timeout=barrier_timeout)
                except threading.BrokenBarrierError:
                    pass
                go.wait(timeout=barrier_timeout)  # the start time is set
            out = results[slot]
            perf = time.perf_counter
            try:
                while True:
                    item = claim()
                    if item is None:
                        return
                    i, scheduled = item
                    try:
                        wait = scheduled - perf()
                        while wait > 0 and not run.stop.is_set():  # early: wait for its time (in slices, to see a stop)
                            time.sleep(min(wait, 0.1))
                            wait = scheduled - perf()
                        if run.stop.is_set():
                            return
                        now = perf()
                        if now > end_box[0]:
                            with run.lock:
                                box["late"] += 1
                            continue
                        lags[slot] = max(lags[slot], now - scheduled)
                        err = _send(poster, bodies[i % nb])
                        t1 = perf()
                        if err is None:
                            out.append((t1 - scheduled) * 1000.0)
                            run.ok()
                        else:
                            run.error(err)
                    finally:
                        with claim_lock:
                            box["in_flight"] -= 1
            finally:
                poster.close()

        barrier_timeout = max(30.0, target.timeout_s * (warmup + 1))
        ready = threading.Barrier(senders + 1)
        go = threading.Event()
        threads = [threading.Thread(target=sender, args=(s,), daemon=True, name=f"open-{s}") for s in range(senders)]
        interrupted = False
        unreached: str | None = None
        judge = ReachJudge(senders, total)
        perf = time.perf_counter
        start = perf()
        try:
            for t in threads:
                t.start()
            try:
                ready.wait(timeout=barrier_timeout)
            except threading.BrokenBarrierError:
                pass
            start = perf()
            with claim_lock:
                start_box[0] = start
            end_box[0] = start + duration_s + target.timeout_s
            go.set()
            last_tick = start
            while any(t.is_alive() for t in threads):
                now = perf()
                if now > end_box[0] + 1.0:
                    break  # senders stuck past the bound: what they hold counts as unanswered
                t_run = now - start
                due = min(total, int(t_run * rate) + 1)
                claimed = box["next"]
                if unreached is None and not run.stop.is_set() and judge.out_of_reach(t_run, due, claimed):
                    reached = claimed / t_run
                    unreached = (f"could not keep {rate:g} req/s: reached {reached:.1f} req/s in {t_run:.1f} s with at most "
                                 f"{senders} requests in flight (the server, the network or this client is the limit)")
                    run.stop.set()
                if on_tick is not None and now - last_tick >= 1.0:
                    last_tick = now
                    on_tick({"elapsed_s": t_run, "duration_s": duration_s, "sent": claimed, "errors": run.errors,
                             "answered": sum(len(r) for r in results)})
                time.sleep(MONITOR_S)
        except KeyboardInterrupt:
            interrupted = True
            run.stop.set()
        elapsed = max(perf() - start, 1e-9)
        run.stop.set()
        go.set()
        lat = [x for r in results for x in r]
        sent = box["next"] - box["late"]
        finished = len(lat) + run.errors
        unfinished = max(0, sent - finished)  # still on the wire at the bound (or at the interrupt)
        errors = run.errors + (0 if interrupted else unfinished) + box["late"]
        aborted = run.aborted
        if unreached is not None:
            aborted = unreached
        elif aborted is None and not interrupted and unfinished > 0:
            aborted = f"{unfinished} requests had no answer within duration + timeout ({duration_s + target.timeout_s:g} s)"
        if not interrupted and unfinished > 0 and len(run.samples) < 5:
            run.samples.append(f"no answer within the run's bound ({unfinished} requests)")
        lag_ms = max(lags) * 1000.0 if lags else 0.0
        return LatencyReport(
            mode="open",
            count=len(lat),
            errors=errors,
            duration_s=elapsed,
            latencies_ms=lat,
            note=OPEN_NOTE,
            params={"rate": rate, "duration_s": duration_s, "scheduled": total, "sent": sent, "max_in_flight": senders,
                    "n_results": _n_results(wl), "reached_rate": round(sent / elapsed, 2)},
            collection=wl.describe(),
            error_samples=run.samples,
            aborted=aborted,
            lag_ms=lag_ms,
            interrupted=interrupted,
            # over the sending window: the run's time, up to the duration (the tail only waits for answers)
            send_rate=sent / max(min(elapsed, duration_s), 1e-9) if sent else None,
        )
    finally:
        if owned:
            remove_workload(target, wl)
