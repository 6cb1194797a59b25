"""The failover gate refuses, through `run_failover` itself (a resumed run whose steps up to `wait`
are done): a failed data check, a failed smoke check and a latency SLO breach each stop the
failover before the DNS step, leave the gate failed in the journal and record no manifest.

Fast on purpose (no AWS, no Chroma, no Terraform): these are the tests `make mutate` runs for the
gate. The data check itself is the real `manifest.compare`; the observed counts and the stored
manifest are swapped in where they would be read from the endpoint and the state bucket. The
end-to-end tests in test_failover.py run the same gate against a real Chroma."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from chromactl.errors import OperationFailed
from chromactl.failover import manifest as M
from chromactl.failover.core import FailoverPlan, FailoverResult, Settings, run_failover
from chromactl.failover.journal import Journal
from chromactl.failover.model import STEPS
from chromactl.failover.ports import Ports
from chromactl.output import Output

from tests.failover.conftest import PRIMARY, REPLICA_FS, TARGET, write_env

AS_OF = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # the promoted copy's time (LastReplicatedTimestamp)
ENDPOINT = "http://127.0.0.1:9"  # never dialled: every port that would talk to it is replaced
SMOKE_OK = {"ok": True, "steps": [{"name": "heartbeat", "ok": True}]}
LAT_OK: dict[str, Any] = {"report": {"latency_ms": {"p95": 5.0}}, "breaches": []}


class NoAws:
    """A client factory with no AWS behind it: the journal's best-effort copy to the bucket fails
    (and is only warned about); nothing else in the gate and dns steps may need AWS here."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []

    def client(self, service: str, region: str, **_: Any) -> Any:
        self.asked.append((service, region))
        raise RuntimeError(f"no AWS in this test ({service} {region})")


def manifest(counts: dict[str, int], *, hours_before: float = 1.0) -> dict[str, Any]:
    at = (AS_OF - timedelta(hours=hours_before)).isoformat(timespec="seconds")
    return {"version": 1, "env": "prod", "entries": [{"recorded_at": at, "region": PRIMARY, "collections": counts,
                                                      "total_records": sum(counts.values())}]}


class Gate:
    """A failover of env prod to TARGET stopped just before its gate, and the recorded calls."""

    def __init__(self, root: Path, journal_dir: Path, monkeypatch: pytest.MonkeyPatch, *, stored: dict[str, Any] | None,
                 observed: dict[str, int]) -> None:
        self.root, self.journal_dir = root, journal_dir
        self.recorded: list[str] = []
        self.smoke_calls = 0
        self.latency_calls = 0
        monkeypatch.setattr(M, "snapshot", lambda target: dict(observed))
        monkeypatch.setattr(M, "read_manifest", lambda env, factory: stored)

        def record(env: Any, region: str, target: Any, factory: Any) -> dict[str, Any]:
            self.recorded.append(region)
            return {"recorded_at": "2026-11-30T12:30:00+00:00"}

        monkeypatch.setattr(M, "record_manifest", record)
        journal = Journal(path=self.path, env="prod", target_region=TARGET, primary_region=PRIMARY, source="replica",
                          inputs={"recovery_point": None, "restore_dir": None, "accept_data_diff": False})
        outputs = {
            "preflight": {"source": "replica", "primary": {}, "root_directory": "/chroma"},
            "fence": {"outcome": "unreachable"},
            "promote": {"file_system_id": REPLICA_FS, "root_directory": "/chroma", "data_as_of": AS_OF.isoformat()},
            "apply": {"extra_vars": {}, "outputs": {"endpoint_url": ENDPOINT}},
            "wait": {"stable": True},
        }
        for step in STEPS[: STEPS.index("gate")]:
            journal.begin(step)
            journal.finish(step, outputs[step], 0.1)
        journal.status = "failed"
        journal.save()

    @property
    def path(self) -> Path:
        return self.journal_dir / f"prod-{TARGET}.json"

    def ports(self, smoke: tuple[bool, dict[str, Any]], latency: tuple[bool, dict[str, Any]]) -> Ports:
        def smoke_port(target: Any, **kw: Any) -> tuple[bool, dict[str, Any]]:
            self.smoke_calls += 1
            return smoke

        def latency_port(*a: Any, **kw: Any) -> tuple[bool, dict[str, Any]]:
            self.latency_calls += 1
            return latency

        def no_apply(*a: Any, **kw: Any) -> dict[str, Any]:
            raise AssertionError("the apply step was done earlier and must not run again")

        return Ports(apply_region=no_apply, wait_stable=no_apply, read_token=lambda *a: "f0" * 32, smoke=smoke_port,
                     latency=latency_port)

    def run(self, *, smoke: tuple[bool, dict[str, Any]] = (True, SMOKE_OK), latency: tuple[bool, dict[str, Any]] = (True, LAT_OK),
            accept_data_diff: bool = False) -> FailoverResult | FailoverPlan:
        return run_failover("prod", TARGET, output=Output(json=True), root=self.root, journal_dir=self.journal_dir, factory=NoAws(),
                            ports=self.ports(smoke, latency), settings=Settings(endpoint_override=ENDPOINT), resume=True,
                            yes=True, confirm_env="prod", accept_data_diff=accept_data_diff)

    def journal(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.path.read_text())
        return data

    def assert_stopped_at_gate(self) -> None:
        j = self.journal()
        assert j["status"] == "failed"
        assert j["steps"]["gate"]["status"] == "failed"
        assert j["steps"]["dns"]["status"] == "pending"  # the endpoint was not moved
        assert self.recorded == []  # a failed gate records no manifest


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    write_env(root, "prod", protected=False)  # no [dns]: the dns step only prints what to change
    monkeypatch.setenv("CHROMACTL_ROOT", str(root))
    monkeypatch.delenv("CHROMACTL_FAILOVER_ENDPOINT", raising=False)
    return root


def gate(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, stored: dict[str, Any] | None,
         observed: dict[str, int]) -> Gate:
    return Gate(project, tmp_path / "journals", monkeypatch, stored=stored, observed=observed)


def test_gate_passes_only_when_data_smoke_and_latency_pass(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    g = gate(project, tmp_path, monkeypatch, stored=manifest({"docs": 100, "faq": 30}), observed={"docs": 120, "faq": 30, "new": 1})
    res = g.run()
    assert res.status == "completed" and res.dns["managed"] is False
    gate_out = g.journal()["steps"]["gate"]["outputs"]
    assert gate_out["data"]["ok"] is True and gate_out["data"]["new_collections"] == ["new"]
    assert gate_out["smoke_ok"] is True and gate_out["latency_ok"] is True
    assert g.recorded == [TARGET] and g.smoke_calls == 1 and g.latency_calls == 1


@pytest.mark.parametrize(
    ("stored", "observed", "fragment"),
    [
        ({"docs": 100, "faq": 30}, {"docs": 100}, "missing collections: faq"),
        ({"docs": 100, "faq": 30}, {"docs": 99, "faq": 30}, "fewer records than the manifest: docs 99/100"),
    ],
    ids=["collection-missing", "records-missing"],
)
def test_gate_refuses_a_failed_data_check(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          stored: dict[str, int], observed: dict[str, int], fragment: str) -> None:
    """The copy lacks data the manifest recorded before the copy's time: no cut-over, even though
    smoke and latency pass (a server that answers is not a server that has the data)."""
    g = gate(project, tmp_path, monkeypatch, stored=manifest(stored), observed=observed)
    with pytest.raises(OperationFailed) as err:
        g.run()
    assert "The gate failed in us-west-2: data check" in err.value.message and fragment in err.value.message
    assert "--accept-data-diff" in (err.value.hint or "")
    g.assert_stopped_at_gate()
    assert g.journal()["steps"]["gate"]["last_report"]["data"]["ok"] is False


def test_gate_data_check_is_skipped_only_with_accept_data_diff(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    g = gate(project, tmp_path, monkeypatch, stored=manifest({"docs": 100}), observed={"docs": 90})
    res = g.run(accept_data_diff=True)
    assert res.status == "completed" and g.recorded == [TARGET]
    assert g.journal()["steps"]["gate"]["outputs"]["data"]["ok"] is False  # accepted, still reported
    assert g.journal()["inputs"]["accept_data_diff"] is True


def test_gate_refuses_a_failed_smoke_check(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    g = gate(project, tmp_path, monkeypatch, stored=manifest({"docs": 100}), observed={"docs": 100})
    smoke = {"ok": False, "steps": [{"name": "heartbeat", "ok": True}, {"name": "auth", "ok": False}]}
    with pytest.raises(OperationFailed) as err:
        g.run(smoke=(False, smoke), accept_data_diff=True)  # accepting data differences never waives smoke
    assert "The gate failed in us-west-2: smoke (auth)" in err.value.message
    assert "data check" not in err.value.message and "--resume" in (err.value.hint or "")
    g.assert_stopped_at_gate()
    assert g.journal()["steps"]["gate"]["last_report"]["smoke_ok"] is False


def test_gate_refuses_a_latency_slo_breach(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    g = gate(project, tmp_path, monkeypatch, stored=manifest({"docs": 100}), observed={"docs": 100})
    breach = {"report": {"latency_ms": {"p95": 2500.0}}, "breaches": ["p95 2500.0 ms > 2000 ms"]}
    with pytest.raises(OperationFailed) as err:
        g.run(latency=(False, breach))
    assert "The gate failed in us-west-2: latency (p95 2500.0 ms > 2000 ms)" in err.value.message
    g.assert_stopped_at_gate()
    assert g.journal()["steps"]["gate"]["last_report"]["latency_ok"] is False


def test_gate_reports_every_failed_check_and_a_resume_runs_it_again(project: Path, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    g = gate(project, tmp_path, monkeypatch, stored=manifest({"docs": 100}), observed={})
    with pytest.raises(OperationFailed) as err:
        g.run(smoke=(False, {"ok": False, "steps": []}), latency=(False, {"breaches": []}))
    msg = err.value.message
    assert "data check (missing collections: docs)" in msg and "smoke (failed)" in msg and "latency (failed)" in msg
    g.assert_stopped_at_gate()
    # Fixed: the gate runs again on --resume; the earlier steps are not redone (their ports would raise).
    monkeypatch.setattr(M, "snapshot", lambda target: {"docs": 100})
    res = g.run()
    assert res.status == "completed" and g.journal()["steps"]["gate"]["attempts"] == 2
    assert g.recorded == [TARGET]


def test_gate_without_a_baseline_does_not_fail_on_data(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every entry is newer than the copy: nothing the copy must hold; differences are within the RPO window."""
    g = gate(project, tmp_path, monkeypatch, stored=manifest({"docs": 100}, hours_before=-1), observed={"docs": 50})
    res = g.run()
    assert res.status == "completed"
    data = g.journal()["steps"]["gate"]["outputs"]["data"]
    assert data["ok"] is True and data["baseline_recorded_at"] is None
    assert data["within_rpo_window"]["collections"] == {"docs": {"newest_manifest": 100, "found": 50}}


# --- the gate's latency verdict (ports._latency over the real LatencyReport) -------------------------------


def _latency_port(monkeypatch: pytest.MonkeyPatch, latencies_ms: list[float], *, errors: int = 0,
                  p95: float | None = 2000, p99: float | None = 5000) -> tuple[bool, dict[str, Any]]:
    from chromactl.checks import latency as L
    from chromactl.config import SloConfig

    seen: dict[str, Any] = {}

    def run_closed(target: Any, queries: int, concurrency: int, **kw: Any) -> Any:
        seen.update(queries=queries, concurrency=concurrency, **kw)
        assert target is endpoint  # the gate's own target, handed on
        return L.LatencyReport(mode="closed", count=len(latencies_ms), errors=errors, duration_s=1.0, latencies_ms=latencies_ms)

    monkeypatch.setattr(L, "run_closed", run_closed)
    slo = SloConfig(p95_ms=p95, p99_ms=p99)
    endpoint = object()
    ok, out = Ports().latency(endpoint, slo, 40, 2, seed_vectors=100)
    assert seen == {"queries": 40, "concurrency": 2, "seed_vectors": 100}
    return ok, out


def test_latency_port_passes_within_the_env_slo(monkeypatch: pytest.MonkeyPatch) -> None:
    ok, out = _latency_port(monkeypatch, [10.0] * 99 + [1999.0])
    assert ok is True and out["breaches"] == []
    assert out["report"]["count"] == 100 and out["report"]["latency_ms"]["max"] == 1999.0


def test_latency_port_fails_a_p95_breach(monkeypatch: pytest.MonkeyPatch) -> None:
    ok, out = _latency_port(monkeypatch, [2500.0] * 10 + [10.0] * 90, p99=None)
    # numpy's linear percentile over 90 x 10 ms and 10 x 2500 ms: p95 = 2500 ms
    assert ok is False and out["breaches"] == ["p95 2500.0 ms > 2000 ms"]


def test_latency_port_fails_a_p99_breach_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    ok, out = _latency_port(monkeypatch, [10.0] * 98 + [6000.0] * 2)
    assert ok is False and len(out["breaches"]) == 1 and out["breaches"][0].startswith("p99 ")


def test_latency_port_fails_on_query_errors_even_within_slo(monkeypatch: pytest.MonkeyPatch) -> None:
    ok, out = _latency_port(monkeypatch, [10.0] * 50, errors=3)
    assert ok is False and out["breaches"] == ["3 query errors"]


def test_latency_port_with_no_answers_is_a_breach(monkeypatch: pytest.MonkeyPatch) -> None:
    ok, out = _latency_port(monkeypatch, [], p99=None)
    assert ok is False and out["breaches"] == ["p95 None ms > 2000 ms"]


def test_latency_port_without_slos_only_fails_on_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    ok, out = _latency_port(monkeypatch, [9000.0] * 5, p95=None, p99=None)
    assert ok is True and out["breaches"] == []


def test_gate_checks_the_new_stack_with_its_token_and_records_what_it_saw(project: Path, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """What each check is handed: the endpoint, the env's token read from the NEW region's secret,
    the env's SLOs and the configured sizes; the manifest is recorded for this env and region."""
    seen: dict[str, Any] = {}
    g = gate(project, tmp_path, monkeypatch, stored=manifest({"docs": 100}), observed={"docs": 100})
    j = Journal.load(g.path, env="prod", region=TARGET)
    j.steps["apply"]["outputs"]["outputs"] = {"endpoint_url": ENDPOINT, "token_secret_arn": "arn:secret"}
    j.save()

    def snapshot(target: Any) -> dict[str, int]:
        seen["snapshot"] = target
        return {"docs": 100}

    def read_manifest(env: Any, factory: Any) -> dict[str, Any]:
        seen["read_manifest"] = (env.name, factory)
        return manifest({"docs": 100})

    def record(env: Any, region: str, target: Any, factory: Any) -> dict[str, Any]:
        seen["record"] = (env.name, region, target, factory)
        return {"recorded_at": "2026-11-30T12:30:00+00:00"}

    monkeypatch.setattr(M, "snapshot", snapshot)
    monkeypatch.setattr(M, "read_manifest", read_manifest)
    monkeypatch.setattr(M, "record_manifest", record)

    def read_token(outputs: dict[str, Any], region: str, profile: str | None, factory: Any) -> str:
        seen["token"] = (outputs, region, profile, factory)
        return "f0" * 32

    def smoke(target: Any, **kw: Any) -> tuple[bool, dict[str, Any]]:
        seen["smoke"] = (target, kw)
        return True, SMOKE_OK

    def latency(target: Any, slo: Any, queries: int, concurrency: int, **kw: Any) -> tuple[bool, dict[str, Any]]:
        seen["latency"] = (target, slo, queries, concurrency, kw)
        return True, LAT_OK

    factory = NoAws()
    settings = Settings(endpoint_override=ENDPOINT, smoke_vectors=77, latency_queries=33, latency_concurrency=3, latency_seed_vectors=222,
                        gate_timeout_s=4.5)
    res = run_failover("prod", TARGET, output=Output(json=True), root=project, journal_dir=g.journal_dir, factory=factory,
                       ports=Ports(read_token=read_token, smoke=smoke, latency=latency), settings=settings, resume=True, yes=True, confirm_env="prod",
                       profile="ops")
    assert res.status == "completed"
    assert seen["token"] == ({"endpoint_url": ENDPOINT, "token_secret_arn": "arn:secret"}, TARGET, "ops", factory)
    target, kw = seen["smoke"]
    assert kw == {"vectors": 77}
    assert (target.url, target.token, target.timeout_s, target.verify_tls, target.env, target.region, target.server_name) == (
        ENDPOINT, "f0" * 32, 4.5, True, "prod", TARGET, None)
    lat_target, slo, queries, concurrency, lat_kw = seen["latency"]
    assert lat_target is target and seen["snapshot"] is target and (queries, concurrency, lat_kw) == (33, 3, {"seed_vectors": 222})
    assert (slo.p95_ms, slo.p99_ms) == (2000, 5000)  # the env's [slo]
    assert seen["read_manifest"] == ("prod", factory)
    assert seen["record"] == ("prod", TARGET, target, factory)
    out = g.journal()["steps"]["gate"]["outputs"]
    assert set(out) == {"endpoint", "data", "smoke_ok", "latency_ok", "latency", "manifest_recorded_at", "chroma_version_recorded"}
    assert out["endpoint"] == ENDPOINT and out["latency"] == LAT_OK["report"]
    assert out["manifest_recorded_at"] == "2026-11-30T12:30:00+00:00"
    assert out["data"]["baseline_recorded_at"] == manifest({"docs": 100})["entries"][0]["recorded_at"]
    assert out["data"]["data_as_of"] == AS_OF.isoformat(timespec="seconds")


def test_gate_without_override_dials_the_new_albs_name(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    g = gate(project, tmp_path, monkeypatch, stored=None, observed={})
    j = Journal.load(g.path, env="prod", region=TARGET)
    alb = "chromactl-prod-123.us-west-2.elb.amazonaws.com"
    j.steps["apply"]["outputs"]["outputs"] = {"endpoint_url": "https://chroma.example.com", "alb_dns_name": alb,
                                               "endpoint_tls_verifiable": True}
    j.save()
    targets: list[Any] = []

    def smoke(target: Any, **kw: Any) -> tuple[bool, dict[str, Any]]:
        targets.append(target)
        return True, SMOKE_OK

    res = run_failover("prod", TARGET, output=Output(json=True), root=project, journal_dir=g.journal_dir, factory=NoAws(),
                       ports=Ports(read_token=lambda *a: None, smoke=smoke, latency=lambda *a, **k: (True, LAT_OK)),
                       settings=Settings(endpoint_override=None), resume=True, yes=True, confirm_env="prod")
    assert res.status == "completed"
    (t,) = targets
    assert (t.url, t.verify_tls, t.server_name) == (f"https://{alb}", True, "chroma.example.com")
    assert g.journal()["steps"]["gate"]["outputs"]["data"]["ok"] is True  # no manifest: nothing to hold


def test_gate_failure_hints_say_what_to_do(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    g = gate(project, tmp_path, monkeypatch, stored=manifest({"docs": 100}), observed={"docs": 100})
    with pytest.raises(OperationFailed) as err:
        g.run(smoke=(False, {"ok": False, "steps": [{"name": "auth", "ok": False}]}))
    assert err.value.hint == ("Fix the cause, then --resume (the gate runs again; earlier steps are not redone). "
                              f"Finished steps are not redone (journal: {g.path}).")
    g2 = gate(project, tmp_path / "b", monkeypatch, stored=manifest({"docs": 100}), observed={})
    with pytest.raises(OperationFailed) as err:
        g2.run()
    assert (err.value.hint or "").startswith("If the differences are deletes made after the manifest, check them and pass "
                                             "--accept-data-diff with --resume; else fail over from an older recovery point.")
    report = g2.journal()["steps"]["gate"]["last_report"]
    assert set(report) == {"endpoint", "data", "smoke_ok", "latency_ok", "latency"} and report["latency"] == LAT_OK["report"]


def test_gate_failure_names_every_failed_step_and_breach(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    g = gate(project, tmp_path, monkeypatch, stored=None, observed={})
    steps = [{"name": "heartbeat", "ok": True}, {"name": "auth", "ok": False}, {"name": "metadata filter", "ok": False}]
    with pytest.raises(OperationFailed) as err:
        g.run(smoke=(False, {"ok": False, "steps": steps}), latency=(False, {"breaches": ["p95 2500 ms > 2000 ms", "3 query errors"]}))
    assert err.value.message == (f"Failover stopped at step 'gate': The gate failed in {TARGET}: smoke (auth, metadata filter); "
                                 "latency (p95 2500 ms > 2000 ms; 3 query errors).")


def test_gate_failure_from_ports_that_say_nothing_more(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    g = gate(project, tmp_path, monkeypatch, stored=None, observed={})
    with pytest.raises(OperationFailed) as err:
        g.run(smoke=(False, {}), latency=(False, {}))
    assert err.value.message == f"Failover stopped at step 'gate': The gate failed in {TARGET}: smoke (failed); latency (failed)."
    assert g.journal()["steps"]["gate"]["last_report"]["latency"] == {}


def test_gate_records_no_latency_report_as_empty(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    g = gate(project, tmp_path, monkeypatch, stored=None, observed={})
    assert g.run(latency=(True, {"breaches": []})).status == "completed"
    assert g.journal()["steps"]["gate"]["outputs"]["latency"] == {}


def test_gate_with_a_promote_without_a_data_time_compares_against_the_newest_entry(project: Path, tmp_path: Path,
                                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    g = gate(project, tmp_path, monkeypatch, stored=manifest({"docs": 100}), observed={"docs": 100})
    j = Journal.load(g.path, env="prod", region=TARGET)
    del j.steps["promote"]["outputs"]["data_as_of"]
    j.save()
    assert g.run().status == "completed"
    assert g.journal()["steps"]["gate"]["outputs"]["data"]["data_as_of"] is None


def test_gate_override_is_what_it_dials_and_an_unverifiable_alb_is_dialled_without_tls_checks(
        project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    targets: list[Any] = []

    def smoke(target: Any, **kw: Any) -> tuple[bool, dict[str, Any]]:
        targets.append(target)
        return True, SMOKE_OK

    for outputs, override, want in (
        ({"endpoint_url": ENDPOINT}, "http://127.0.0.1:8", ("http://127.0.0.1:8", True, None)),
        ({"endpoint_url": "https://chroma.example.com", "alb_dns_name": "a.elb.amazonaws.com", "endpoint_tls_verifiable": False},
         None, ("https://a.elb.amazonaws.com", False, None)),
    ):
        g = gate(project, tmp_path / str(len(targets)), monkeypatch, stored=None, observed={})
        j = Journal.load(g.path, env="prod", region=TARGET)
        j.steps["apply"]["outputs"]["outputs"] = outputs
        j.save()
        res = run_failover("prod", TARGET, output=Output(json=True), root=project, journal_dir=g.journal_dir, factory=NoAws(),
                           ports=Ports(read_token=lambda *a: None, smoke=smoke, latency=lambda *a, **k: (True, LAT_OK)),
                           settings=Settings(endpoint_override=override), resume=True, yes=True)
        assert res.status == "completed"
        t = targets[-1]
        assert (t.url, t.verify_tls, t.server_name) == want
        assert g.journal()["steps"]["gate"]["outputs"]["endpoint"] == want[0]
