"""smoke against a real Chroma: passes, reports each step, always cleans up."""

from __future__ import annotations

import signal
import subprocess
import time

import pytest
from chromactl.checks import smoke as smoke_mod
from chromactl.checks.client import ChromaClient, ChromaError
from chromactl.checks.target import Target

from tests.checks.helpers import CHROMACTL, leftover, run_cli
from tests.fixtures.envelope import result_of
from tests.fixtures.servers import hang_guard, wait_until

STEPS = ["heartbeat", "auth", "check collection", "upsert vectors", "query nearest neighbours", "metadata filter", "release collection"]


def lease_released(server, name: str) -> bool:  # type: ignore[no-untyped-def]
    with ChromaClient(server.url) as c:
        return c.get_collection(name)["metadata"].get("lease_until") == 0


def test_smoke_passes_and_leaves_nothing(chroma_server) -> None:
    seen = []
    report = smoke_mod.run_smoke(Target(chroma_server.url, None), vectors=300, dims=16, on_step=seen.append)
    assert report.ok, report.to_dict()
    assert [s.name for s in report.steps] == STEPS == [s.name for s in seen]
    assert "no auth enforced" in report.steps[1].detail
    assert "5 of 5 planted" in report.steps[4].detail
    assert "3 batches" in report.steps[3].detail
    assert report.cleaned_up and not leftover(chroma_server, smoke_mod.SMOKE_PREFIX)
    assert report.collection == "chromactl-check-smoke-d16" and report.collection_kept
    assert lease_released(chroma_server, report.collection)


def test_cli_json_and_text(chroma_server) -> None:
    res = run_cli("smoke", "--endpoint", chroma_server.url, "--vectors", "200", "--json")
    assert res.returncode == 0, res.stderr
    data = result_of(res.stdout)
    assert data["ok"] is True and [s["name"] for s in data["steps"]] == STEPS
    assert all(s["ok"] and s["seconds"] >= 0 for s in data["steps"])
    res = run_cli("smoke", "--endpoint", chroma_server.url, "--vectors", "200")
    assert res.returncode == 0
    lines = [line for line in res.stdout.splitlines() if line.startswith(("ok", "failed"))]
    assert len(lines) == len(STEPS) and all(" ms " in line for line in lines)
    assert "smoke check passed" in res.stdout


def test_failed_step_still_removes_the_collection(chroma_server, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_query(self, *a, **k):  # the server answers, but wrongly
        raise ChromaError("query: HTTP 500: injected failure.")

    monkeypatch.setattr(ChromaClient, "query", broken_query)
    report = smoke_mod.run_smoke(Target(chroma_server.url, None), vectors=50, dims=8)
    assert not report.ok
    assert report.steps[-1].name == "query nearest neighbours" and not report.steps[-1].ok
    assert "injected failure" in report.steps[-1].detail
    assert report.cleaned_up is True
    assert not leftover(chroma_server, smoke_mod.SMOKE_PREFIX)


def test_wrong_planted_neighbour_fails_the_check(chroma_server, monkeypatch: pytest.MonkeyPatch) -> None:
    real = smoke_mod._dataset

    def shuffled(vectors, dims):  # type: ignore[no-untyped-def]
        data, queries, ids, metas, planted = real(vectors, dims)
        return data, queries, ids, metas, [(p + 1) % vectors for p in planted]  # claim the wrong rows

    monkeypatch.setattr(smoke_mod, "_dataset", shuffled)
    report = smoke_mod.run_smoke(Target(chroma_server.url, None), vectors=50, dims=8)
    assert not report.ok and report.steps[-1].name == "query nearest neighbours"
    assert f"after {smoke_mod.QUERY_ATTEMPTS} attempts" in report.steps[-1].detail  # a miss that stays fails
    assert not leftover(chroma_server, smoke_mod.SMOKE_PREFIX)


def test_a_miss_that_clears_is_reported_not_hidden(chroma_server, monkeypatch: pytest.MonkeyPatch) -> None:
    """The index catches up in the background: a first answer missing one planted neighbour,
    then the right one, passes with the miss named in the step's detail."""
    real_query = ChromaClient.query
    calls = {"n": 0}

    def first_answer_misses_one(self, collection_id, queries, n_results=10, **kw):  # type: ignore[no-untyped-def]
        res = real_query(self, collection_id, queries, n_results=n_results, **kw)
        calls["n"] += 1
        if calls["n"] == 1:
            res["ids"][0] = list(reversed(res["ids"][0]))  # planted neighbour no longer first
        return res

    monkeypatch.setattr(ChromaClient, "query", first_answer_misses_one)
    monkeypatch.setattr(smoke_mod, "QUERY_RETRY_S", 0.05)
    report = smoke_mod.run_smoke(Target(chroma_server.url, None), vectors=100, dims=8)
    assert report.ok, report.to_dict()
    step = next(s for s in report.steps if s.name == "query nearest neighbours")
    assert "attempt 2: the first missed 1" in step.detail
    assert not leftover(chroma_server, smoke_mod.SMOKE_PREFIX)


def test_unreachable_endpoint_fails_fast_with_exit_1() -> None:
    from tests.fixtures.servers import free_port

    start = time.monotonic()
    res = run_cli("smoke", "--endpoint", f"http://127.0.0.1:{free_port()}", "--timeout", "2")
    assert res.returncode == 1
    assert "failed" in res.stdout and "heartbeat" in res.stdout and "Traceback" not in res.stderr
    assert time.monotonic() - start < hang_guard(2)


@pytest.mark.parametrize(("sig", "twice"), [(signal.SIGINT, False), (signal.SIGTERM, False), (signal.SIGINT, True)])
def test_interrupt_mid_run_releases_the_collection(chroma_server, sig: signal.Signals, twice: bool) -> None:
    """Ctrl-C, SIGTERM, and a second Ctrl-C during the cleanup: the lease is released, nothing is left (issue 20.6)."""
    name = "chromactl-check-smoke-d32"

    def leased() -> bool:
        try:
            with ChromaClient(chroma_server.url) as c:
                col = c.get_collection(name)
                return bool(col["metadata"].get("lease_until")) and c.count(col["id"]) > 0
        except ChromaError:
            return False

    proc = subprocess.Popen(
        [CHROMACTL, "smoke", "--endpoint", chroma_server.url, "--vectors", "200000", "--dims", "32"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        wait_until(leased, timeout=60, what="smoke collection leased and filling")
        proc.send_signal(sig)
        if twice:
            proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    # 130; with a second Ctrl-C that lands after the cleanup, on the way out, the process may end by
    # SIGINT itself (-2), which a shell reports as 130 too
    assert proc.returncode == 130 or (twice and proc.returncode == -signal.SIGINT), out + err
    assert "interrupted" in out or twice
    assert not leftover(chroma_server, smoke_mod.SMOKE_PREFIX) and lease_released(chroma_server, name)
    report = smoke_mod.run_smoke(Target(chroma_server.url, None), vectors=40, dims=32)  # the next run trims the rest
    assert report.ok and report.collection == name, report.to_dict()
    with ChromaClient(chroma_server.url) as c:
        assert c.count(c.get_collection(name)["id"]) == 40
