"""token-rotation: rotate the API token while clients keep querying; count their errors.

A small benchmark collection is seeded, then `workers` clients query it at a
fixed rate for the whole rotation and a short tail after it. They behave like
a well-written client: they hold the token they read at start, and when a
request is refused (401) they read the current token from Secrets Manager once
and retry with it. A request counts as an error when it fails after that one
refresh (or fails for any other reason). The rotation keeps the old token
accepted until finishSecret, so the expected result is 0 errors; the report
also says how many requests needed the refresh and how many went out with
the new token. Afterwards: the old token must be refused, no token refused,
the new token accepted. The seeded collection is removed in a `finally`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chromactl.checks.client import ChromaClient, ChromaError, RawPoster
from chromactl.checks.latency import prepare_workload, remove_workload
from chromactl.drills.common import Cleanup, DrillResult, record_failure
from chromactl.drills.context import DrillContext
from chromactl.errors import OperationFailed
from chromactl.rotation.token import start_rotation_and_wait

ROTATION_TARGET_S = 300.0  # the rotation's own bound (chromactl token rotate's default timeout)


@dataclass
class LoadStats:
    sent: int = 0
    ok: int = 0
    errors: int = 0
    refreshed: int = 0
    with_new_token: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        lat = sorted(self.latencies_ms)

        def pct(q: float) -> float | None:
            return round(lat[min(len(lat) - 1, int(q / 100 * len(lat)))], 2) if lat else None

        return {"requests": self.sent, "ok": self.ok, "errors": self.errors, "refused_then_refreshed": self.refreshed,
                "with_new_token": self.with_new_token, "p50_ms": pct(50), "p99_ms": pct(99),
                "max_ms": round(lat[-1], 2) if lat else None, "error_samples": self.error_samples}


class RotatingLoad:
    """Clients that query at a fixed rate and refresh their token once on a 401."""

    def __init__(self, url: str, bodies: list[bytes], token_source: Callable[[], str | None], *, workers: int = 2,
                 rate_per_worker: float = 20.0, timeout_s: float = 10.0, verify_tls: bool = True):
        self.url, self.bodies, self.token_source = url, bodies, token_source
        self.workers, self.interval = workers, 1.0 / rate_per_worker
        self.timeout_s, self.verify_tls = timeout_s, verify_tls
        self.stats = LoadStats()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._token = token_source()
        self._first_token = self._token
        self._generation = 0

    def _poster(self, token: str | None) -> Any:
        return RawPoster(self.url, token, verify_tls=self.verify_tls, timeout_s=self.timeout_s)

    def _refresh(self, seen_generation: int) -> tuple[str | None, int]:
        with self._lock:
            if self._generation == seen_generation:  # nobody refreshed since this worker's token: read it
                fresh = self.token_source()
                if fresh != self._token:
                    self._token, self._generation = fresh, self._generation + 1
            return self._token, self._generation

    def _worker(self, slot: int) -> None:
        with self._lock:
            token, gen = self._token, self._generation
        poster = self._poster(token)
        i = slot
        next_at = time.monotonic()
        try:
            while not self._stop.is_set():
                body = self.bodies[i % len(self.bodies)]
                i += 1
                t0 = time.perf_counter()
                err: str | None = None
                refreshed = False
                try:
                    status = poster.post(body)
                    if status == 401:
                        new_token, new_gen = self._refresh(gen)
                        if new_gen != gen:
                            poster.close()
                            token, gen = new_token, new_gen
                            poster = self._poster(token)
                            refreshed = True
                            status = poster.post(body)
                    if status != 200:
                        err = f"HTTP {status}" + (" after refreshing the token" if refreshed else "")
                except ChromaError as exc:
                    err = exc.message
                elapsed = (time.perf_counter() - t0) * 1000.0
                with self._lock:
                    s = self.stats
                    s.sent += 1
                    s.refreshed += int(refreshed)
                    if err is None:
                        s.ok += 1
                        s.latencies_ms.append(elapsed)
                        if token != self._first_token:
                            s.with_new_token += 1
                    else:
                        s.errors += 1
                        if len(s.error_samples) < 5 and err not in s.error_samples:
                            s.error_samples.append(err)
                next_at += self.interval
                delay = next_at - time.monotonic()
                if delay > 0:
                    self._stop.wait(delay)
                else:
                    next_at = time.monotonic()
        finally:
            poster.close()

    def start(self) -> RotatingLoad:
        for slot in range(self.workers):
            t = threading.Thread(target=self._worker, args=(slot,), daemon=True, name=f"rotation-load-{slot}")
            t.start()
            self._threads.append(t)
        return self

    def stop(self) -> LoadStats:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=self.timeout_s * 2 + 5)
        return self.stats


def default_rotate(ctx: DrillContext) -> dict[str, Any]:
    res = start_rotation_and_wait(ctx.need("token_secret_arn"), ctx.region, ctx.profile, timeout=min(ctx.timeout_s, 3600),
                                  poll_interval=ctx.poll_s, factory=ctx.factory, on_progress=lambda m: ctx.output.info(f"  {m}"))
    return res.to_dict()


def probe(url: str, token: str | None, verify_tls: bool = True, timeout_s: float = 10.0) -> int:
    with ChromaClient(url, None, verify_tls=verify_tls, timeout_s=timeout_s) as c:
        return int(c.probe_auth(token))


def run(ctx: DrillContext, *, tail_s: float = 2.0, warm_s: float = 1.0, workers: int = 2, rate_per_worker: float = 20.0) -> DrillResult:
    result = DrillResult("token-rotation", ctx.env.name, ctx.region, measured_label="rotation")
    if ctx.target_override_s is not None:
        result.target_s, result.target_source = float(ctx.target_override_s), "--target-seconds"
    else:
        result.target_s, result.target_source = ROTATION_TARGET_S, "the rotation's own bound"
    cleanup = Cleanup()
    out = ctx.output
    rotate = ctx.rotate or default_rotate
    load: RotatingLoad | None = None
    try:
        ctx.need("token_secret_arn")
        target = ctx.target()
        if not target.has_token:
            raise OperationFailed("The env has no token to rotate.", "Apply the stack (it creates the token secret and its rotation).")
        old_token = target.token
        t = time.monotonic()
        wl = prepare_workload(target, seed_vectors=300, dims=32, n_results=5)
        cleanup.add(f"benchmark collection {wl.collection_name}", lambda: "removed" if remove_workload(ctx.target(), wl) else None,
                    verify=lambda: remove_workload(ctx.target(), wl))
        result.step("seed", time.monotonic() - t, collection=wl.collection_name)
        load = RotatingLoad(wl.url, wl.bodies, ctx.read_token, workers=workers, rate_per_worker=rate_per_worker,
                            verify_tls=ctx.verify_tls).start()
        cleanup.add("client load", lambda: f"stopped after {load.stop().sent} requests" if load else None)
        time.sleep(warm_s)
        out.info("Rotating the token while clients query ...")
        t0 = ctx.clock.monotonic()
        rot = rotate(ctx)
        result.measured_s = ctx.clock.monotonic() - t0
        result.details["rotation"] = rot
        result.step("rotate", result.measured_s)
        time.sleep(tail_s)
        stats = load.stop()
        result.details["load"] = stats.to_dict()
        result.checks["zero_errors"] = stats.errors == 0
        result.checks["requests_sent"] = stats.sent > 0
        result.checks["new_token_used"] = stats.with_new_token > 0
        new_token = ctx.read_token()
        status_old = probe(ctx.endpoint, old_token, ctx.verify_tls)
        status_none = probe(ctx.endpoint, None, ctx.verify_tls)
        status_new = probe(ctx.endpoint, new_token, ctx.verify_tls)
        result.details["after"] = {"old_token": status_old, "no_token": status_none, "new_token": status_new}
        result.checks["token_changed"] = bool(new_token) and new_token != old_token
        result.checks["old_token_refused"] = status_old == 401
        result.checks["no_token_refused"] = status_none == 401
        result.checks["new_token_accepted"] = status_new == 200
        out.info(f"  {stats.sent} requests during the rotation: {stats.errors} errors, {stats.refreshed} refreshed the token after a 401, "
                 f"{stats.with_new_token} with the new token")
        result.ok = True
    except BaseException as exc:
        record_failure(result, exc)
        if load is not None:
            result.details.setdefault("load", load.stop().to_dict())
        if not isinstance(exc, Exception):
            raise
    finally:
        result.cleanup = cleanup.run(out)
    return result
