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
    assert d["count"] == 100 and d["errors"] == 0 and d["throughput"] == 50.0 and d["scheduler_lag_ms"] is None


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
                          ("p95=0", "positive"), ("p95=-5", "positive"), ("p95=inf", "positive"), ("p95=nan", "positive")):
        with pytest.raises(UsageError) as err:
            parse_slos([bad])
        assert fragment in err.value.message + (err.value.hint or ""), bad
    assert math.isclose(parse_slos(["p50=0.001"])["p50"], 0.001)


# --- smoke: the verdict and the cleanup ----------------------------------------------------------------------


class FakeChroma:
    """The ChromaClient calls smoke makes, in memory; `fault` breaks one behaviour."""

    def __init__(self, fault: str | None = None, token: str | None = "t0ken") -> None:
        self.fault, self.token = fault, token
        self.cols: dict[str, dict[str, Any]] = {}
        self.deletes = 0
        self.closed = False

    def close(self) -> None:
        self.closed = True

    def heartbeat(self) -> int:
        if self.fault == "heartbeat_401":
            raise ChromaAuthError("HTTP 401", status=401)
        return 1733000000000

    def probe_auth(self, token: str | None, header: str = "authorization") -> int:
        if token is None:
            return 200 if self.fault in ("open", "open_no_token") else 401
        return 200 if (token == self.token or self.fault == "any_token") else 401

    def count_collections(self) -> int:
        return len(self.cols)

    def max_batch_size(self) -> int:
        return 5461

    def create_collection(self, name: str, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
        self.cols[name] = {"id": f"id-{name}", "ids": [], "vecs": [], "metas": []}
        return {"id": f"id-{name}", "name": name}

    def _col(self, cid: str) -> dict[str, Any]:
        return next(c for c in self.cols.values() if c["id"] == cid)

    def add(self, cid: str, ids: list[str], vectors: Any, metadatas: list[dict[str, Any]] | None = None) -> None:
        c = self._col(cid)
        c["ids"] += list(ids)
        c["vecs"] += [np.asarray(v, dtype="float32") for v in vectors]
        c["metas"] += list(metadatas or [{} for _ in ids])

    def count(self, cid: str) -> int:
        n = len(self._col(cid)["ids"])
        return n - 1 if self.fault == "count_short" else n

    def query(self, cid: str, queries: Any, n_results: int = 10, where: dict[str, Any] | None = None,
              include: tuple[str, ...] = ("distances",)) -> dict[str, Any]:
        c = self._col(cid)
        out: dict[str, list[Any]] = {"ids": [], "metadatas": [], "distances": []}
        for q in np.asarray(queries, dtype="float32"):
            rows = [i for i, m in enumerate(c["metas"]) if self._match(m, where)]
            rows.sort(key=lambda i: float(np.sum((c["vecs"][i] - q) ** 2)))
            if self.fault == "wrong_neighbour" and where is None:
                rows = rows[1:] + rows[:1]
            if self.fault == "filter_leak" and where is not None:
                rows = sorted(range(len(c["ids"])), key=lambda i: float(np.sum((c["vecs"][i] - q) ** 2)))
            rows = rows[:n_results]
            out["ids"].append([c["ids"][i] for i in rows])
            out["metadatas"].append([c["metas"][i] for i in rows])
            out["distances"].append([0.0 for _ in rows])
        return out

    @staticmethod
    def _match(meta: dict[str, Any], where: dict[str, Any] | None) -> bool:
        if not where:
            return True
        (key, cond), = where.items()
        if isinstance(cond, dict):
            return bool(meta.get(key) != cond["$ne"])
        return bool(meta.get(key) == cond)

    def delete_collection(self, name: str) -> None:
        self.deletes += 1
        if self.fault == "delete_fails":
            raise ChromaError("HTTP 500 deleting the collection", status=500)
        if self.fault == "delete_noop":
            return
        if name not in self.cols:
            raise ChromaNotFound(f"collection {name} not found", status=404)
        del self.cols[name]

    def get_collection(self, name: str) -> dict[str, Any]:
        if name not in self.cols:
            raise ChromaNotFound(f"collection {name} not found", status=404)
        return {"name": name, "id": self.cols[name]["id"]}


class FakeTarget:
    token_header = "authorization"

    def __init__(self, client: FakeChroma, *, has_token: bool = True) -> None:
        self._client, self.has_token = client, has_token

    def describe(self) -> dict[str, Any]:
        return {"url": "http://127.0.0.1:9", "token": "set" if self.has_token else "none"}

    def client(self, *, timeout_s: float | None = None) -> FakeChroma:
        return self._client


STEPS = ["heartbeat", "auth", "create collection", "add vectors", "query nearest neighbours", "metadata filter", "delete collection"]


def smoke(fault: str | None = None, *, has_token: bool = True, vectors: int = 60) -> tuple[S.SmokeReport, FakeChroma]:
    client = FakeChroma(fault)
    rep = S.run_smoke(FakeTarget(client, has_token=has_token), vectors=vectors, dims=8, batch_size=25)  # type: ignore[arg-type]
    return rep, client


def test_smoke_passes_every_step_and_leaves_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    client = FakeChroma()
    rep = S.run_smoke(FakeTarget(client), vectors=60, dims=8, batch_size=25, on_step=lambda st: seen.append(st.name))  # type: ignore[arg-type]
    assert rep.ok and [s.name for s in rep.steps] == STEPS == seen
    assert rep.cleaned_up and not rep.interrupted and client.cols == {} and client.closed
    assert rep.collection is not None and rep.collection.startswith(S.SMOKE_PREFIX)
    details = {s.name: s.detail for s in rep.steps}
    assert details["add vectors"] == "60 vectors of 8 dims in 3 batches of up to 25; count 60"
    assert details["query nearest neighbours"] == "5 of 5 planted nearest neighbours came back first"
    assert details["auth"] == "without token: HTTP 401; wrong token: HTTP 401; our token: accepted"
    d = rep.to_dict()
    assert d["ok"] is True and len(d["steps"]) == 7 and d["cleaned_up"] is True


@pytest.mark.parametrize(
    ("fault", "failed_step", "fragment"),
    [
        ("heartbeat_401", "heartbeat", "requires a token (the token was not accepted)"),
        ("open", "auth", "a request without the token got HTTP 200, expected 401"),
        ("any_token", "auth", "a request with a wrong token got HTTP 200"),
        ("count_short", "add vectors", "added 60 vectors but the collection counts 59"),
        ("wrong_neighbour", "query nearest neighbours", "planted neighbours not first for 5 of 5 queries (after 3 attempts)"),
        ("filter_leak", "metadata filter", "group"),
        ("delete_noop", "delete collection", "the collection still exists after delete"),
    ],
)
def test_smoke_fails_the_step_that_broke_and_stops(fault: str, failed_step: str, fragment: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(S, "QUERY_RETRY_S", 0.0)
    rep, client = smoke(fault)
    assert rep.ok is False and rep.to_dict()["ok"] is False
    assert [s.name for s in rep.steps] == STEPS[: STEPS.index(failed_step) + 1]  # it stopped there
    last = rep.steps[-1]
    assert last.ok is False and fragment in last.detail
    assert all(s.ok for s in rep.steps[:-1])
    if STEPS.index(failed_step) >= STEPS.index("create collection") and fault != "delete_noop":
        assert client.cols == {} and rep.cleaned_up  # removed in the finally
    assert client.closed


def test_smoke_without_a_token_reports_whether_auth_is_enforced() -> None:
    rep, _ = smoke("open_no_token", has_token=False)
    assert rep.ok and rep.steps[1].detail.startswith("no auth enforced")
    rep, _ = smoke(None, has_token=False)
    assert not rep.ok and "refuses requests without a token (HTTP 401)" in rep.steps[-1].detail
    assert [s.name for s in rep.steps] == ["heartbeat", "auth"]
    rep, _ = smoke("heartbeat_401", has_token=False)
    assert "pass --token-env VAR" in rep.steps[0].detail


def test_smoke_whose_cleanup_fails_is_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(S.time, "sleep", lambda s: None)
    rep, client = smoke("delete_fails")
    assert rep.ok is False and rep.cleaned_up is False and rep.to_dict()["cleaned_up"] is False
    assert rep.steps[-1].name == "delete collection" and rep.steps[-1].ok is False
    assert client.deletes == 3  # the step's try, then the cleanup's two


def test_smoke_cleanup_treats_not_found_as_gone() -> None:
    client = FakeChroma()
    assert S._cleanup(client, "never-created") is True and client.deletes == 1


def test_smoke_report_ok_needs_steps_cleanup_and_no_interrupt() -> None:
    good = [S.Step("heartbeat", True, 0.1)]
    assert S.SmokeReport(target={}, steps=good).ok is True
    assert S.SmokeReport(target={}).ok is False
    assert S.SmokeReport(target={}, steps=good, cleaned_up=False).ok is False
    assert S.SmokeReport(target={}, steps=good, interrupted=True).ok is False
    assert S.SmokeReport(target={}, steps=[*good, S.Step("auth", False, 0.1)]).ok is False
    assert S.SmokeReport(target={}, steps=[S.Step("a", True, 0.25), S.Step("b", True, 0.5)]).seconds == 0.75


def test_smoke_refuses_too_few_vectors_to_plant() -> None:
    with pytest.raises(ValueError, match="at least 10"):
        S.run_smoke(FakeTarget(FakeChroma()), vectors=9)  # type: ignore[arg-type]


def test_latency_report_to_dict_carries_everything_the_gate_records() -> None:
    r = LatencyReport(mode="open", count=4, errors=1, duration_s=2.0004, latencies_ms=[1.23456, 2.0, 3.0, 4.0], note="n",
                      params={"rate": 2.0}, collection={"name": "c"}, error_samples=["timeout"], aborted="stopped", lag_ms=0.12345)
    d = r.to_dict()
    assert d == {"mode": "open", "count": 4, "errors": 1, "duration_s": 2.0, "throughput": 2.0,
                 "latency_ms": {k: round(v, 3) for k, v in r._pcts.items() if v is not None},
                 "note": "n", "params": {"rate": 2.0}, "collection": {"name": "c"}, "error_samples": ["timeout"],
                 "aborted": "stopped", "scheduler_lag_ms": 0.123}
    assert d["latency_ms"]["max"] == 4.0 and d["latency_ms"]["p50"] == 2.5
    assert report([]).to_dict()["latency_ms"] == {"p50": None, "p90": None, "p95": None, "p99": None, "p99.9": None, "max": None}


def test_smoke_report_to_dict() -> None:
    rep = S.SmokeReport(target={"url": "u"}, steps=[S.Step("heartbeat", True, 0.123456, "beat")], collection="c", cleaned_up=True)
    assert rep.to_dict() == {"ok": True, "target": {"url": "u"}, "collection": "c", "cleaned_up": True, "interrupted": False,
                             "seconds": 0.123, "steps": [{"name": "heartbeat", "ok": True, "seconds": 0.1235, "detail": "beat"}]}
