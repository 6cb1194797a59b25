"""The verdicts the failover gate and the drills trust, pinned with fast tests (the ones `make mutate`
runs): latency's percentiles and SLO breaches, and smoke's pass/fail per step with its cleanup.

Smoke runs against an in-memory stand-in of the ChromaClient calls it makes (same method names and
return shapes as chromactl.checks.client.ChromaClient), with one fault injected per test; the
real-server tests are tests/checks/test_smoke.py and test_auth_nginx.py."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from chromactl.checks import smoke as S
from chromactl.checks.client import ChromaAuthError, ChromaError, ChromaNotFound
from chromactl.checks.latency import LatencyReport, parse_slos
from chromactl.errors import UsageError

# --- latency: percentiles and the SLO verdict -------------------------------------------------------------


def report(latencies: list[float], *, errors: int = 0, aborted: str | None = None, duration: float = 2.0) -> LatencyReport:
    return LatencyReport(mode="closed", count=len(latencies), errors=errors, duration_s=duration, latencies_ms=latencies,
                         aborted=aborted)


def test_percentiles_are_numpys_linear_ones() -> None:
    values = [float(v) for v in range(1, 101)]  # 1..100 ms
    r = report(values)
    for key, q in (("p50", 50), ("p90", 90), ("p95", 95), ("p99", 99), ("p99.9", 99.9)):
        assert r.pct(key) == pytest.approx(float(np.percentile(values, q)))
    assert r.p50_ms == pytest.approx(50.5) and r.p95_ms == pytest.approx(95.05) and r.p99_ms == pytest.approx(99.01)
    assert r.p90_ms == pytest.approx(90.1) and r.p999_ms == pytest.approx(99.901) and r.max_ms == 100.0
    assert r.throughput == 50.0
    d = r.to_dict()
    assert d["latency_ms"] == {"p50": 50.5, "p90": 90.1, "p95": 95.05, "p99": 99.01, "p99.9": 99.901, "max": 100.0}
    assert d["count"] == 100 and d["errors"] == 0 and d["throughput"] == 50.0 and d["max_queueing_delay_ms"] is None


def test_no_answers_have_no_percentiles_and_breach_every_slo() -> None:
    r = report([])
    assert r.pct("p95") is None and r.max_ms is None and r.ok is False
    assert r.breaches({"p95": 100.0, "max": 1.0}) == [{"metric": "p95", "limit_ms": 100.0, "actual_ms": None},
                                                      {"metric": "max", "limit_ms": 1.0, "actual_ms": None}]
    assert report([], duration=0.0).throughput == 0.0


def test_breach_is_strictly_over_the_limit() -> None:
    r = report([10.0] * 100)
    assert r.breaches({"p95": 10.0, "p99": 10.0, "max": 10.0}) == []  # at the limit: met
    assert r.breaches({"p95": 9.999}) == [{"metric": "p95", "limit_ms": 9.999, "actual_ms": 10.0}]
    tail = report([10.0] * 98 + [500.0, 900.0])
    assert [b["metric"] for b in tail.breaches({"p50": 20.0, "p99": 400.0, "max": 800.0})] == ["p99", "max"]
    assert tail.breaches({"max": 800.0})[0]["actual_ms"] == 900.0


def test_report_ok_needs_answers_no_errors_and_no_abort() -> None:
    assert report([1.0]).ok is True
    assert report([1.0], errors=1).ok is False
    assert report([1.0], aborted="5 consecutive errors").ok is False


def test_parse_slos() -> None:
    assert parse_slos(["p95=100", " P99 =250.5", "max=1e3", "p99.9=300"]) == {"p95": 100.0, "p99": 250.5, "max": 1000.0, "p99.9": 300.0}
    assert parse_slos(None) == {} and parse_slos([]) == {}
    for bad, fragment in (("p95", "KEY=MILLISECONDS"), ("p42=1", "KEY=MILLISECONDS"), ("p95=fast", "not a number"),
                          ("p95=1=2", "not a number"), ("p95=0", "positive"), ("p95=-5", "positive"), ("p95=inf", "positive"), ("p95=nan", "positive")):
        with pytest.raises(UsageError) as err:
            parse_slos([bad])
        assert fragment in err.value.message + (err.value.hint or ""), bad
    assert math.isclose(parse_slos(["p50=0.001"])["p50"], 0.001)


# --- smoke: the verdict, step by step, and the check collection's lease ------------------------------------


class FakeChroma:
    """The ChromaClient calls smoke (and chromactl.checks.checkcoll under it) makes, in memory, with the same
    method names, keyword arguments and return shapes as chromactl.checks.client.ChromaClient; `fault` breaks
    one behaviour. Collections are keyed by name; each holds its id, metadata and records."""

    def __init__(self, fault: str | None = None, token: str | None = "t0ken") -> None:
        self.fault, self.token = fault, token
        self.cols: dict[str, dict[str, Any]] = {}
        self.calls: list[str] = []
        self.deletes = 0
        self.modifies = 0
        self.queries = 0
        self.asked: list[tuple[int, int, tuple[str, ...], bool]] = []  # (vectors, n_results, include, filtered) per query
        self.probes: list[tuple[str | None, str]] = []  # (token, header) per auth probe
        self.closed = False

    # -- server and auth
    def close(self) -> None:
        self.closed = True

    def heartbeat(self) -> int:
        self.calls.append("heartbeat")
        if self.fault == "heartbeat_401":
            raise ChromaAuthError("HTTP 401", status=401)
        if self.fault == "heartbeat_down":
            raise ChromaError("heartbeat: cannot reach http://127.0.0.1:9 (ConnectError).", kind="unreachable")
        return 1733000000000

    def probe_auth(self, token: str | None, header: str = "authorization") -> int:
        self.probes.append((token, header))
        if token is None:
            return {"open": 200, "open_no_token": 200, "without_403": 403, "without_404": 404}.get(self.fault or "", 401)
        return 200 if (token == self.token or self.fault == "any_token") else (403 if self.fault == "wrong_403" else 401)

    def count_collections(self) -> int:
        if self.fault == "ours_refused":
            raise ChromaAuthError("count collections: HTTP 401, the token was not accepted", status=401)
        return len(self.cols)

    def max_batch_size(self) -> int:
        return 20 if self.fault == "small_batches" else 5461

    # -- collections
    def list_collections(self, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        names = sorted(self.cols)[offset : offset + limit]
        return [{"name": n, "id": self.cols[n]["id"]} for n in names]

    def create_collection(self, name: str, *, metadata: dict[str, Any] | None = None, space: str = "l2",
                          get_or_create: bool = False, hnsw: dict[str, Any] | None = None) -> dict[str, Any]:
        if self.fault == "create_fails":
            raise ChromaError(f"create collection {name}: HTTP 500", status=500)
        if name not in self.cols:
            self.cols[name] = {"id": f"id-{name}", "metadata": dict(metadata or {}), "recs": {}}
        return self._desc(name)

    def _desc(self, name: str) -> dict[str, Any]:
        c = self.cols[name]
        return {"name": name, "id": c["id"], "metadata": dict(c["metadata"])}

    def get_collection(self, name: str) -> dict[str, Any]:
        if name not in self.cols:
            raise ChromaNotFound(f"collection {name} not found", status=404)
        return self._desc(name)

    def delete_collection(self, name: str) -> None:
        self.deletes += 1
        if self.fault == "delete_noop":
            return
        if name not in self.cols:
            raise ChromaNotFound(f"collection {name} not found", status=404)
        del self.cols[name]

    def modify_collection(self, collection_id: str, metadata: dict[str, Any]) -> None:
        self.modifies += 1
        if self.fault == "release_fails" and metadata.get("lease_until") == 0:
            raise ChromaError("update collection metadata: HTTP 500", status=500)
        if self.fault == "release_once_fails" and metadata.get("lease_until") == 0 and self.modifies == 2:
            raise ChromaError("update collection metadata: HTTP 500", status=500)
        self._col(collection_id)["metadata"] = dict(metadata)

    def _col(self, cid: str) -> dict[str, Any]:
        return next(c for c in self.cols.values() if c["id"] == cid)

    # -- records
    def upsert(self, cid: str, ids: list[str], embeddings: Any, metadatas: list[dict[str, Any]] | None = None,
               documents: Any = None) -> None:
        self.calls.append(f"upsert {len(ids)}")
        recs = self._col(cid)["recs"]
        for i, v, m in zip(ids, embeddings, metadatas or [{} for _ in ids], strict=True):
            recs[i] = (np.asarray(v, dtype="float32"), dict(m))

    def count(self, cid: str) -> int:
        n = len(self._col(cid)["recs"])
        return n - 1 if self.fault == "count_short" else n

    def delete_records(self, cid: str, *, ids: list[str] | None = None, where: dict[str, Any] | None = None) -> None:
        recs = self._col(cid)["recs"]
        for i in ids or []:
            recs.pop(i, None)

    def get(self, cid: str, *, ids: Any = None, where: Any = None, limit: int | None = None, offset: int | None = None,
            include: Any = ("metadatas",)) -> dict[str, Any]:
        names = sorted(self._col(cid)["recs"])[(offset or 0) : (offset or 0) + (limit or 10**9)]
        return {"ids": names}

    def query(self, cid: str, embeddings: Any, n_results: int = 10, where: dict[str, Any] | None = None,
              include: tuple[str, ...] = ("distances",)) -> dict[str, Any]:
        self.queries += 1
        self.asked.append((len(embeddings), n_results, tuple(include), where is not None))
        if self.fault == "query_interrupted":
            raise KeyboardInterrupt
        recs = self._col(cid)["recs"]
        out: dict[str, list[Any]] = {"ids": [], "metadatas": [], "distances": []}
        for q in np.asarray(embeddings, dtype="float32"):
            rows = [i for i, (_, m) in recs.items() if self._match(m, where)]
            rows.sort(key=lambda i: float(np.sum((recs[i][0] - q) ** 2)))
            if where is None and (self.fault == "wrong_neighbour" or (self.fault == "first_query_misses" and self.queries == 1)):
                rows = rows[1:] + rows[:1]
            if where is None and self.fault == "first_misses_one" and self.queries == 1 and not out["ids"]:
                rows = rows[1:] + rows[:1]  # only the first probe's neighbour is late
            if where is None and self.fault == "empty_rows":
                rows = []
            if self.fault == "filter_leak" and where is not None:  # the filter ignored: the neighbour, then other groups
                nearest = sorted(recs, key=lambda i: float(np.sum((recs[i][0] - q) ** 2)))
                group = where["group"] if not isinstance(where["group"], dict) else where["group"]["$ne"]
                rows = nearest[:1] + [i for i in nearest if recs[i][1].get("group") != group]
            if self.fault == "filter_wrong_first" and where is not None and "$ne" not in str(where):
                rows = rows[1:] + rows[:1]
            if self.fault == "ne_empty" and "$ne" in str(where):
                rows = []
            if self.fault == "ne_leaks_its_group" and "$ne" in str(where):
                group = where["group"]["$ne"]  # type: ignore[index]
                rows = [i for i in recs if recs[i][1].get("group") == group and recs[i][1].get("planted") is False]
            rows = rows[:n_results]
            out["ids"].append(list(rows))
            out["metadatas"].append([recs[i][1] for i in rows])
            out["distances"].append([0.0 for _ in rows])
        if where is None and (self.fault == "short_answer" or (self.fault == "first_short" and self.queries == 1)):
            out["ids"] = out["ids"][:-1]
        if where is None and self.fault == "no_ids":
            del out["ids"]
            return out
        return {k: v for k, v in out.items() if k == "ids" or k in include}  # like Chroma: only what was asked for

    @staticmethod
    def _match(meta: dict[str, Any], where: dict[str, Any] | None) -> bool:
        if not where:
            return True
        (key, cond), = where.items()
        if isinstance(cond, dict):
            return bool(meta.get(key) != cond["$ne"])
        return bool(meta.get(key) == cond)


class FakeTarget:
    def __init__(self, client: FakeChroma, *, has_token: bool = True, token_header: str = "authorization") -> None:
        self._client, self.has_token, self.token_header = client, has_token, token_header
        self.timeouts: list[float | None] = []

    def describe(self) -> dict[str, Any]:
        return {"url": "http://127.0.0.1:9", "token": "set" if self.has_token else "none"}

    def client(self, *, timeout_s: float | None = None) -> FakeChroma:
        self.timeouts.append(timeout_s)
        return self._client


STEPS = ["heartbeat", "auth", "check collection", "upsert vectors", "query nearest neighbours", "metadata filter", "release collection"]
CHECK = "chromactl-check-smoke-d8"


def smoke(fault: str | None = None, *, has_token: bool = True, vectors: int = 60,
          client: FakeChroma | None = None) -> tuple[S.SmokeReport, FakeChroma]:
    client = client or FakeChroma(fault)
    rep = S.run_smoke(FakeTarget(client, has_token=has_token), vectors=vectors, dims=8, batch_size=25)  # type: ignore[arg-type]
    return rep, client


@pytest.fixture(autouse=True)
def _no_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    slept: list[float] = []
    monkeypatch.setattr(S.time, "sleep", slept.append)  # the query retry and the cleanup's pause
    return slept


def test_smoke_passes_every_step_and_releases_its_lease() -> None:
    seen: list[S.Step] = []
    client = FakeChroma()
    target = FakeTarget(client)
    rep = S.run_smoke(target, vectors=60, dims=8, batch_size=25, timeout_s=3.5, on_step=seen.append)  # type: ignore[arg-type]
    assert rep.ok is True and [s.name for s in rep.steps] == STEPS and seen == rep.steps
    assert all(s.ok and s.seconds >= 0 for s in rep.steps)
    assert target.timeouts == [3.5] and client.closed
    assert rep.cleaned_up and not rep.interrupted and rep.interrupted_in is None
    assert rep.collection == CHECK and rep.collection_kept is True
    assert list(client.cols) == [CHECK] and client.cols[CHECK]["metadata"]["lease_until"] == 0  # released, kept
    assert len(client.cols[CHECK]["recs"]) == 60
    assert client.calls == ["heartbeat", "upsert 25", "upsert 25", "upsert 10"]
    assert client.modifies == 2  # the lease, then its release (once: the cleanup has nothing left to do)
    details = {s.name: s.detail for s in rep.steps}
    assert details == {
        "heartbeat": "server answered (heartbeat 1733000000000)",
        "auth": "without token: HTTP 401; wrong token: HTTP 401; our token: accepted",
        "check collection": f"leased {CHECK} (kept between runs: the data directory does not grow)",
        "upsert vectors": "60 vectors of 8 dims in 3 batches of up to 25; count 60",
        "query nearest neighbours": "5 of 5 planted nearest neighbours came back first",
        "metadata filter": details["metadata filter"],
        "release collection": f"released {CHECK} for the next run",
    }
    group = details["metadata filter"].split("=")[1].split(":")[0]
    assert details["metadata filter"] == f"where group={group}: neighbour first, 5 of group {group}; $ne filter excludes it"
    assert 0 <= rep.seconds <= rep.elapsed_s < 60  # a generous hang guard, not a timing
    d = rep.to_dict()
    assert d["ok"] is True and d["collection"] == CHECK and d["collection_kept"] is True and d["cleaned_up"] is True
    assert d["interrupted"] is False and d["interrupted_in"] is None and d["target"] == target.describe()
    assert [x["name"] for x in d["steps"]] == STEPS and all(x["ok"] for x in d["steps"])


def test_a_second_run_reuses_the_collection_and_a_smaller_one_trims_it() -> None:
    client = FakeChroma()
    assert smoke(client=client, vectors=60)[0].ok
    rep, _ = smoke(client=client, vectors=30)
    assert rep.ok and list(client.cols) == [CHECK] and len(client.cols[CHECK]["recs"]) == 30
    assert rep.steps[3].detail == "30 vectors of 8 dims in 2 batches of up to 25; count 30"


def test_batches_follow_the_servers_max_batch_size() -> None:
    rep, client = smoke("small_batches")
    assert rep.ok and client.calls[1:] == ["upsert 20", "upsert 20", "upsert 20"]
    assert rep.steps[3].detail == "60 vectors of 8 dims in 3 batches of up to 20; count 60"


@pytest.mark.parametrize(
    ("fault", "failed_step", "detail"),
    [
        ("heartbeat_401", "heartbeat", "the endpoint answered HTTP 401: it requires a token (the token was sent and not accepted: wrong or rotated)"),
        ("heartbeat_down", "heartbeat", "heartbeat: cannot reach http://127.0.0.1:9 (ConnectError)."),
        ("open", "auth", "a request without the token got HTTP 200, expected 401: the endpoint does not enforce auth"),
        ("without_404", "auth", "a request without the token got HTTP 404, expected 401: the endpoint does not enforce auth"),
        ("any_token", "auth", "a request with a wrong token got HTTP 200, expected 401: the endpoint does not check the token"),
        ("ours_refused", "auth", "count collections: HTTP 401, the token was not accepted"),
        ("create_fails", "check collection", f"create collection {CHECK}: HTTP 500"),
        ("count_short", "upsert vectors", "upserted 60 vectors but the collection counts 59"),
        ("wrong_neighbour", "query nearest neighbours", "planted neighbours not first for 5 of 5 queries (after 3 attempts)"),
        ("short_answer", "query nearest neighbours", "planted neighbours not first for 5 of 5 queries (after 3 attempts)"),
        ("empty_rows", "query nearest neighbours", "planted neighbours not first for 5 of 5 queries (after 3 attempts)"),
        ("no_ids", "query nearest neighbours", "planted neighbours not first for 5 of 5 queries (after 3 attempts)"),
        ("filter_wrong_first", "metadata filter", "the planted neighbour did not come back first"),
        ("filter_leak", "metadata filter", "returned records of another group"),
        ("ne_empty", "metadata filter", "returned records it should have filtered out"),
        ("ne_leaks_its_group", "metadata filter", "returned records it should have filtered out"),
        ("release_fails", "release collection", f"could not release check collection {CHECK}"),
    ],
)
def test_smoke_fails_the_step_that_broke_names_it_and_stops(fault: str, failed_step: str, detail: str) -> None:
    rep, client = smoke(fault)
    assert rep.ok is False and rep.to_dict()["ok"] is False
    assert [s.name for s in rep.steps] == STEPS[: STEPS.index(failed_step) + 1]  # it stopped there
    last = rep.steps[-1]
    assert last.ok is False and last.name == failed_step and detail in last.detail
    assert all(s.ok for s in rep.steps[:-1])
    assert 0 <= last.seconds <= rep.elapsed_s < 60  # the failed step's own time (a hang guard, not a timing)
    if fault == "create_fails":
        assert rep.cleaned_up is False  # the lease may or may not have been taken: not claimed clean
    assert rep.to_dict()["steps"][-1] == {"name": failed_step, "ok": False, "seconds": round(last.seconds, 4), "detail": last.detail}
    assert client.closed
    if CHECK in client.cols and fault != "release_fails":
        assert client.cols[CHECK]["metadata"]["lease_until"] == 0 and rep.cleaned_up  # released in the finally
    if fault == "wrong_neighbour":
        assert client.queries == S.QUERY_ATTEMPTS


def test_a_failed_step_after_the_lease_still_releases_it() -> None:
    rep, client = smoke("wrong_neighbour")
    assert rep.ok is False and rep.cleaned_up is True and rep.collection == CHECK
    assert client.cols[CHECK]["metadata"]["lease_until"] == 0
    rep, client = smoke("heartbeat_down")
    assert rep.ok is False and rep.cleaned_up is True and rep.collection is None and client.cols == {}


def test_smoke_whose_release_fails_is_a_failure_and_retries_in_the_cleanup(_no_waits: list[float]) -> None:
    rep, client = smoke("release_fails")
    assert rep.ok is False and rep.cleaned_up is False and rep.to_dict()["cleaned_up"] is False
    assert rep.steps[-1].name == "release collection" and rep.steps[-1].ok is False
    assert client.modifies == 1 + 3  # the lease, the step's release, then the cleanup's two
    assert _no_waits.count(0.2) == 2
    assert client.cols[CHECK]["metadata"]["lease_until"] > 0  # still leased: said, not hidden


def test_the_cleanup_stops_at_the_first_release_that_takes(_no_waits: list[float]) -> None:
    client = FakeChroma("release_once_fails")
    lease = S.checkcoll.acquire(client, "smoke", 8, temp_prefix=S.SMOKE_PREFIX)
    assert client.modifies == 1
    rep = S.SmokeReport(target={})
    assert S._cleanup(client, lease, rep) is True and client.modifies == 3 and _no_waits == [0.2]
    assert client.cols[CHECK]["metadata"]["lease_until"] == 0
    assert S._cleanup(client, lease, rep) is True and client.modifies == 4 and _no_waits == [0.2]


def test_the_query_is_asked_again_while_the_index_catches_up(_no_waits: list[float]) -> None:
    rep, client = smoke("first_query_misses")
    assert rep.ok is True and client.queries == 2 + 2  # two plain queries, then the filtered pair
    assert rep.steps[4].detail == ("5 of 5 planted nearest neighbours came back first"
                                   " (attempt 2: the first missed 5, index still catching up)")
    assert _no_waits == [S.QUERY_RETRY_S]
    rep, client = smoke("wrong_neighbour")
    assert client.queries == S.QUERY_ATTEMPTS and _no_waits.count(S.QUERY_RETRY_S) == 1 + S.QUERY_ATTEMPTS - 1


def test_a_first_answer_short_of_rows_counts_every_query_as_missed(_no_waits: list[float]) -> None:
    rep, client = smoke("first_short")
    assert rep.ok is True and client.queries == 2 + 2
    assert rep.steps[4].detail.endswith("(attempt 2: the first missed 5, index still catching up)")


def test_a_batch_size_below_one_upserts_one_at_a_time() -> None:
    for batch in (1, 0):
        client = FakeChroma()
        rep = S.run_smoke(FakeTarget(client), vectors=10, dims=8, batch_size=batch)  # type: ignore[arg-type]
        assert rep.ok and client.calls[1:] == ["upsert 1"] * 10
        assert rep.steps[3].detail == "10 vectors of 8 dims in 10 batches of up to 1; count 10"


def test_every_slot_busy_falls_back_to_a_temporary_collection_that_is_deleted() -> None:
    client = FakeChroma()
    for slot in range(S.checkcoll.SLOTS):
        name = S.checkcoll.check_collection_name("smoke", 8, slot)
        client.cols[name] = {"id": f"id-{name}", "metadata": {"lease_run": "other", "lease_until": 2**40}, "recs": {}}
    rep, _ = smoke(client=client)
    assert rep.ok is True and rep.collection_kept is False
    assert rep.collection is not None and rep.collection.startswith(S.SMOKE_PREFIX) and rep.collection not in client.cols
    assert rep.steps[2].detail == f"every check collection is leased by another run: using the temporary collection {rep.collection}"
    assert rep.steps[-1].detail == "deleted the temporary collection"
    client.fault = "delete_noop"
    rep, _ = smoke(client=client)
    assert rep.ok is False and rep.steps[-1].name == "release collection"
    assert rep.steps[-1].detail == "the temporary collection still exists after delete"


def test_stale_temporary_collections_are_removed_and_counted() -> None:
    client = FakeChroma()
    stale = "chromactl-smoke-20200101000000-abcd1234"
    client.cols[stale] = {"id": "id-stale", "metadata": {}, "recs": {}}
    rep, _ = smoke(client=client)
    assert rep.ok and stale not in client.cols
    assert rep.steps[2].detail.endswith("; removed 1 stale temporary collection(s)")


def test_an_interrupt_names_the_step_releases_the_lease_and_fails() -> None:
    rep, client = smoke("query_interrupted")
    assert rep.ok is False and rep.interrupted is True and rep.interrupted_in == "query nearest neighbours"
    assert [s.name for s in rep.steps] == STEPS[:4] and all(s.ok for s in rep.steps)
    assert rep.cleaned_up is True and client.cols[CHECK]["metadata"]["lease_until"] == 0 and client.closed
    d = rep.to_dict()
    assert d["interrupted"] is True and d["interrupted_in"] == "query nearest neighbours" and d["ok"] is False
    assert rep.elapsed_s >= rep.seconds >= 0


def test_smoke_without_a_token_reports_whether_auth_is_enforced() -> None:
    rep, _ = smoke("open_no_token", has_token=False)
    assert rep.ok and rep.steps[1].detail == "no auth enforced: no token configured and the endpoint accepts requests without one"
    for fault, status in ((None, 401), ("without_403", 403)):
        rep, _ = smoke(fault, has_token=False)
        assert not rep.ok and [s.name for s in rep.steps] == ["heartbeat", "auth"]
        assert rep.steps[-1].detail == (f"the endpoint refuses requests without a token (HTTP {status}) and no token was given;"
                                        " pass --token-env VAR")
    rep, _ = smoke("heartbeat_401", has_token=False)
    assert rep.steps[0].detail == "the endpoint answered HTTP 401: it requires a token (pass --token-env VAR)"


def test_a_403_counts_as_refused_like_a_401() -> None:
    for fault in ("without_403", "wrong_403"):
        rep, _ = smoke(fault)
        assert rep.ok, fault
    assert smoke("wrong_403")[0].steps[1].detail == "without token: HTTP 401; wrong token: HTTP 403; our token: accepted"


def test_smoke_report_ok_needs_steps_cleanup_and_no_interrupt() -> None:
    good = [S.Step("heartbeat", True, 0.1)]
    assert S.SmokeReport(target={}, steps=good).ok is True
    assert S.SmokeReport(target={}).ok is False
    assert S.SmokeReport(target={}, steps=good, cleaned_up=False).ok is False
    assert S.SmokeReport(target={}, steps=good, interrupted=True).ok is False
    assert S.SmokeReport(target={}, steps=[*good, S.Step("auth", False, 0.1)]).ok is False
    assert S.SmokeReport(target={}, steps=[S.Step("a", True, 0.25), S.Step("b", True, 0.5)]).seconds == 0.75


def test_smoke_report_to_dict() -> None:
    rep = S.SmokeReport(target={"url": "u"}, steps=[S.Step("heartbeat", True, 0.123456, "beat")], collection="c",
                        collection_kept=True, interrupted_in="auth", elapsed_s=1.23456)
    assert rep.to_dict() == {"ok": True, "target": {"url": "u"}, "collection": "c", "cleaned_up": True, "collection_kept": True,
                             "interrupted": False, "interrupted_in": "auth", "seconds": 0.123, "elapsed_s": 1.235,
                             "steps": [{"name": "heartbeat", "ok": True, "seconds": 0.1235, "detail": "beat"}]}


def test_smoke_refuses_too_few_vectors_to_plant() -> None:
    with pytest.raises(ValueError, match="at least 10"):
        S.run_smoke(FakeTarget(FakeChroma()), vectors=9)  # type: ignore[arg-type]
    assert smoke(vectors=10)[0].ok


def test_the_failover_gates_smoke_port_hands_on_smokes_verdict_and_record() -> None:
    from chromactl.failover.ports import _smoke

    for fault, ok in ((None, True), ("wrong_neighbour", False)):
        client = FakeChroma(fault)
        passed, record = _smoke(FakeTarget(client), vectors=20, dims=8, batch_size=25)
        assert passed is ok and record["ok"] is ok and [s["name"] for s in record["steps"]][:4] == STEPS[:4]
        assert record["collection"] == CHECK and len(client.cols[CHECK]["recs"]) == 20  # the keywords reached run_smoke


def test_what_smoke_asks_the_server() -> None:
    """The queries (one vector per probe, 3 results; one vector, 5 results, metadatas and distances for
    the filtered pair) and the auth probes: no token, then a wrong token of a real token's shape (64 hex
    characters, so it reaches the token comparison rather than a malformed-token path) in the target's
    own header, then ours through the normal client."""
    client = FakeChroma()
    rep = S.run_smoke(FakeTarget(client, token_header="x-chroma-token"), vectors=60, dims=8)  # type: ignore[arg-type]
    assert rep.ok and rep.steps[3].detail == "60 vectors of 8 dims in 1 batches of up to 100; count 60"  # the default batch
    assert client.asked == [(S.PROBES, 3, ("distances",), False),
                            (1, 5, ("metadatas", "distances"), True), (1, 5, ("metadatas", "distances"), True)]
    (none, _), (wrong, wrong_header) = client.probes  # the header of a probe without a token sends nothing either way
    assert none is None
    assert wrong is not None and len(wrong) == 64 and int(wrong, 16) >= 0 and wrong_header == "x-chroma-token"


def test_the_first_answers_misses_are_counted_in_the_note(_no_waits: list[float]) -> None:
    rep, _ = smoke("first_misses_one")
    assert rep.ok and rep.steps[4].detail.endswith("(attempt 2: the first missed 1, index still catching up)")


def test_latency_report_to_dict_carries_everything_the_gate_records() -> None:
    r = LatencyReport(mode="open", count=5, errors=1, duration_s=2.9004, latencies_ms=[1.23456, 2.0, 3.0, 4.0], note="n",
                      params={"rate": 2.5}, collection={"name": "c"}, error_samples=["timeout"], aborted="stopped",
                      lag_ms=0.12345, send_rate=2.4567, interrupted=True)
    pcts = {k: round(v, 3) for k, v in r._pcts.items() if v is not None}
    assert r.to_dict() == {"mode": "open", "count": 5, "errors": 1, "duration_s": 2.9, "throughput": 1.72, "latency_ms": pcts,
                           "note": "n", "params": {"rate": 2.5}, "collection": {"name": "c"}, "error_samples": ["timeout"],
                           "aborted": "stopped", "scheduled_rate": 2.5, "achieved_send_rate": 2.46, "completion_rate": 1.72,
                           "max_queueing_delay_ms": 0.123, "interrupted": True}
    assert pcts["max"] == 4.0 and pcts["p50"] == 2.5 and pcts["p90"] == round(r._pcts["p90"] or 0, 3) == 3.7
    closed = LatencyReport(mode="closed", count=3, errors=0, duration_s=0.7, latencies_ms=[1.0, 2.0, 3.0], params={"rate": 9.0},
                           send_rate=5.0, lag_ms=7.0)
    d = closed.to_dict()
    assert d["scheduled_rate"] is None and d["achieved_send_rate"] is None and d["max_queueing_delay_ms"] is None
    assert d["throughput"] == d["completion_rate"] == 4.29 and d["duration_s"] == 0.7 and d["interrupted"] is False
    assert LatencyReport(mode="open", count=1, errors=0, duration_s=1.0, latencies_ms=[1.0]).to_dict()["achieved_send_rate"] is None
    assert report([]).to_dict()["latency_ms"] == {"p50": None, "p90": None, "p95": None, "p99": None, "p99.9": None, "max": None}


def test_breaches_round_the_actual_value_to_a_microsecond() -> None:
    assert report([10.12345] * 10).breaches({"p50": 1.0}) == [{"metric": "p50", "limit_ms": 1.0, "actual_ms": 10.123}]


def test_latency_report_rounds_its_percentiles_to_a_microsecond() -> None:
    assert report([1.23456]).to_dict()["latency_ms"] == {k: 1.235 for k in ("p50", "p90", "p95", "p99", "p99.9", "max")}
