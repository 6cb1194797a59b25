"""`run_failover`'s own bookkeeping, in-process (the ones `make mutate` runs; test_steps_teeth.World
replaces failover/aws.py and the ports): the journal's copy in the state bucket and a resume from it
on another machine, what a resume takes from the journal (recovery point, restore dir,
--accept-data-diff) when its preflight has to run again, how a step's failure is journalled and
reported, the progress lines and step durations, the arguments it checks and hands on (root, --from,
--recovery-point, --profile, the secret action, the protected-env prompt), and the version record of
a passing gate."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest
from chromactl.errors import OperationFailed, UsageError
from chromactl.failover import aws as A
from chromactl.failover import core
from chromactl.failover import manifest as M
from chromactl.failover.core import Settings, run_failover
from chromactl.failover.journal import Journal
from chromactl.failover.ports import Ports
from chromactl.output import Output

from tests.failover.conftest import BUCKET, PRIMARY, STATE_REGION, TARGET, write_env
from tests.failover.test_gate_teeth import LAT_OK, SMOKE_OK, Gate, NoAws
from tests.failover.test_steps_teeth import RP, World

MIRROR_KEY = f"chromactl/prod/failover/{TARGET}.json"  # JournalMirror: <key_prefix>/<env>/failover/<region>.json
RP2 = RP.replace("aaaa-1111", "bbbb-2222")
IMAGE = "chromadb/chroma:1.0.9@sha256:" + "ab" * 32


class Bucket:
    """The state bucket in memory, behind a client factory: put_object/get_object of the S3 client for
    the region asked, keyed (region, bucket, key). A missing key is S3's NoSuchKey as botocore raises it
    (botocore/exceptions.py: ClientError(error_response, operation_name)); `refuse` makes puts fail."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str, str], bytes] = {}
        self.asked: list[tuple[str, str]] = []
        self.refuse = False

    def client(self, service: str, region: str, **_: Any) -> Any:
        assert service == "s3", service
        self.asked.append((service, region))
        return _S3(self, region)


class _S3:
    def __init__(self, bucket: Bucket, region: str) -> None:
        self.b, self.region = bucket, region

    def put_object(self, *, Bucket: str, Key: str, Body: bytes, **_: Any) -> dict[str, Any]:
        if self.b.refuse:
            raise botocore.exceptions.ClientError({"Error": {"Code": "AccessDenied", "Message": "denied"}}, "PutObject")
        self.b.objects[(self.region, Bucket, Key)] = Body
        return {}

    def get_object(self, *, Bucket: str, Key: str) -> dict[str, Any]:
        try:
            body = self.b.objects[(self.region, Bucket, Key)]
        except KeyError:
            raise botocore.exceptions.ClientError({"Error": {"Code": "NoSuchKey", "Message": "no such key"}}, "GetObject") from None
        return {"Body": io.BytesIO(body)}


class Said(Output):
    """Output that keeps what it said: info lines, warnings, spinner texts, the protected-env prompt."""

    def __init__(self, answer: bool = False) -> None:
        super().__init__(json=True)
        self.infos: list[str] = []
        self.warnings: list[str] = []
        self.statuses: list[str] = []
        self.prompts: list[tuple[str, str]] = []
        self.answer = answer

    def info(self, message: str) -> None:
        self.infos.append(message)

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def status(self, message: str) -> Any:
        self.statuses.append(message)
        return super().status(message)

    def confirm_text(self, prompt: str, expected: str) -> bool:
        self.prompts.append((prompt, expected))
        return self.answer


class Clock:
    """core's `time`: monotonic() is what the test says it is (the step durations are differences of it)."""

    def __init__(self) -> None:
        self.t = 1000.0

    def monotonic(self) -> float:
        return self.t


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_env(tmp_path, "prod", protected=True)
    monkeypatch.setenv("CHROMACTL_ROOT", str(tmp_path))
    monkeypatch.delenv("CHROMACTL_FAILOVER_ENDPOINT", raising=False)
    return tmp_path


def with_apply(w: World, apply: Any) -> None:
    """Swap the World's apply port for `apply(real_apply, *a, **kw)`."""
    real_ports = w.ports

    def ports() -> Ports:
        p = real_ports()
        real = p.apply_region
        p.apply_region = lambda *a, **kw: apply(real, *a, **kw)
        return p

    w.ports = ports  # type: ignore[method-assign]


def failing_once(error: BaseException, calls: dict[str, int], clock: Clock | None = None, seconds: float = 0.0) -> Any:
    def apply(real: Any, *a: Any, **kw: Any) -> Any:
        calls["apply"] = calls.get("apply", 0) + 1
        if clock is not None:
            clock.t += seconds
        if calls["apply"] == 1:
            raise error
        return real(*a, **kw)

    return apply


def test_the_journal_is_copied_to_the_state_bucket_after_every_save(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bucket = Bucket()
    w = World(root, monkeypatch, factory=bucket)
    out = Said()
    assert w.run(out).status == "completed"
    j = w.journal()
    assert j["primary_region"] == PRIMARY and j["env"] == "prod" and j["target_region"] == TARGET
    assert set(bucket.objects) == {(STATE_REGION, BUCKET, MIRROR_KEY)}
    assert json.loads(bucket.objects[(STATE_REGION, BUCKET, MIRROR_KEY)]) == j  # the last save, as the file has it
    assert not any("cannot copy the journal" in m for m in out.warnings)


def test_a_journal_started_on_another_machine_is_fetched_from_the_bucket_and_resumed(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bucket = Bucket()
    w = World(root, monkeypatch, replica=False, factory=bucket)
    calls: dict[str, int] = {}
    with_apply(w, failing_once(OperationFailed("terraform apply failed.", "look at the plan"), calls))
    with pytest.raises(OperationFailed, match="stopped at step 'apply'"):
        w.run(recovery_point=RP)
    local = w.journal_dir / f"prod-{TARGET}.json"
    local.unlink()  # the other machine has no local journal, only the bucket's copy
    w.calls.pop("promote_backup")
    out = Said()
    res = w.run(out, resume=True)
    assert res.status == "completed" and "promote_backup" not in w.calls  # promoted once, on the first machine
    assert res.steps["apply"]["attempts"] == 2 and res.steps["promote"]["attempts"] == 1
    assert (f"Journal of this failover restored from s3://{BUCKET}/{MIRROR_KEY} (it was started on another machine)."
            in out.infos)
    assert json.loads(local.read_text())["inputs"]["recovery_point"] == RP


def test_a_local_journal_is_not_replaced_by_the_buckets_copy(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bucket = Bucket()
    w = World(root, monkeypatch, factory=bucket)
    calls: dict[str, int] = {}
    with_apply(w, failing_once(OperationFailed("terraform apply failed."), calls))
    with pytest.raises(OperationFailed):
        w.run()
    other = json.loads(bucket.objects[(STATE_REGION, BUCKET, MIRROR_KEY)])
    other["steps"]["apply"]["status"] = "done"  # a copy that claims more than this machine knows
    bucket.objects[(STATE_REGION, BUCKET, MIRROR_KEY)] = json.dumps(other).encode()
    out = Said()
    res = w.run(out, resume=True)
    assert res.steps["apply"]["attempts"] == 2 and calls["apply"] == 2  # the local journal's failed apply ran again
    assert not any("restored from s3://" in m for m in out.infos)


def test_a_bucket_copy_of_another_env_or_region_is_refused(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bucket = Bucket()
    w = World(root, monkeypatch, factory=bucket)
    for env, region in (("staging", TARGET), ("prod", "eu-west-1")):
        (w.journal_dir / f"prod-{TARGET}.json").unlink(missing_ok=True)  # no local journal: the bucket's copy is fetched
        foreign = Journal(path=root / "x.json", env=env, target_region=region, primary_region=PRIMARY, source="replica")
        bucket.objects[(STATE_REGION, BUCKET, MIRROR_KEY)] = json.dumps(foreign.to_dict()).encode()
        with pytest.raises(UsageError, match=f"belongs to env '{env}' in '{region}', not env 'prod' in '{TARGET}'"):
            w.run(resume=True)
    assert "fence" not in w.calls


def pending_preflight_journal(w: World, inputs: dict[str, Any]) -> Path:
    """A journal whose preflight did not finish (the resume path that runs preflight again), by hand."""
    path = w.journal_dir / f"prod-{TARGET}.json"
    Journal(path=path, env="prod", target_region=TARGET, primary_region=PRIMARY, source="backup", inputs=inputs).save()
    return path


def test_a_resume_that_runs_preflight_again_takes_the_journals_inputs(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    w = World(root, monkeypatch, replica=False)
    pending_preflight_journal(w, {"recovery_point": RP2, "restore_dir": "aws-backup-restore_y", "accept_data_diff": True})
    # a data check that fails: only the journal's --accept-data-diff lets the gate pass
    monkeypatch.setattr(M, "read_manifest", lambda env, f: {"version": 1, "env": "prod", "entries": [
        {"recorded_at": "2026-11-30T08:00:00+00:00", "region": PRIMARY, "collections": {"docs": 5}, "total_records": 5}]})
    res = w.run(resume=True)  # no --recovery-point, --restore-dir, --accept-data-diff
    assert res.status == "completed"
    j = w.journal()
    assert j["steps"]["preflight"]["outputs"]["recovery_point"]["recovery_point_arn"] == RP2
    target, rp, _kms, _account, kw = w.calls["promote_backup"]
    assert target == TARGET
    assert rp["recovery_point_arn"] == RP2 and kw["restore_dir"] == "aws-backup-restore_y"
    assert j["steps"]["gate"]["status"] == "done"
    assert j["inputs"] == {"recovery_point": RP2, "restore_dir": "aws-backup-restore_y", "accept_data_diff": True}


def test_a_resumed_preflight_that_fails_is_journalled(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only a fresh run's failed preflight leaves no journal; a resumed one records its failure."""
    w = World(root, monkeypatch, replica=False)
    path = pending_preflight_journal(w, {"recovery_point": None, "restore_dir": None, "accept_data_diff": False})
    monkeypatch.setattr(A, "find_recovery_point", lambda *a: None)
    with pytest.raises(OperationFailed, match="Failover stopped at step 'preflight': No data to fail over from"):
        w.run(resume=True)
    pre = json.loads(path.read_text())["steps"]["preflight"]
    assert pre["status"] == "failed" and pre["attempts"] == 1 and pre["error"].startswith("No data to fail over from")


def test_a_step_that_breaks_is_journalled_and_reported_with_the_default_hint(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    w = World(root, monkeypatch)
    clock = Clock()
    monkeypatch.setattr(core, "time", clock)
    calls: dict[str, int] = {}
    journal = w.journal_dir / f"prod-{TARGET}.json"
    default = f"Fix the cause, then run again with --resume. Finished steps are not redone (journal: {journal})."
    with_apply(w, failing_once(RuntimeError("disk full"), calls, clock, 5.0))
    with pytest.raises(OperationFailed) as err:
        w.run()
    assert err.value.message == "Failover stopped at step 'apply': RuntimeError: disk full."
    assert err.value.hint == default
    rec = json.loads(journal.read_text())["steps"]["apply"]
    assert rec["error"] == "RuntimeError: disk full" and rec["seconds"] == 5.0  # the fake clock moved 5 s in the step
    # a chromactl error without a hint of its own gets the same default hint
    with_apply(w, failing_once(OperationFailed("terraform apply failed."), {}))
    with pytest.raises(OperationFailed) as err:
        w.run(resume=True)
    assert err.value.message == "Failover stopped at step 'apply': terraform apply failed." and err.value.hint == default


def test_progress_lines_number_the_steps_and_durations_are_journalled(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    w = World(root, monkeypatch)
    clock = Clock()
    monkeypatch.setattr(core, "time", clock)

    def slow_apply(real: Any, *a: Any, **kw: Any) -> Any:
        clock.t += 7.0
        return real(*a, **kw)

    with_apply(w, slow_apply)
    out = Said()
    w.run(out)
    n = len(core.STEPS)
    for i, name in enumerate(core.STEPS, 1):
        assert f"[{i}/{n}] {name} ..." in out.infos
    assert f"[4/{n}] apply: done (7.0 s)" in out.infos and f"[1/{n}] preflight: done (0.0 s)" in out.infos
    assert out.statuses == [f"{name} ..." for name in core.STEPS]  # the spinner names the running step
    steps = w.journal()["steps"]
    assert steps["apply"]["seconds"] == 7.0 and steps["wait"]["seconds"] == 0.0
    again = Said()
    w.run(again)
    assert again.infos == [f"The failover of prod to {TARGET} completed earlier ({w.journal()['updated_at']}); nothing to do."]
    w.journal_dir.joinpath(f"prod-{TARGET}.json").write_text(json.dumps({**w.journal(), "status": "failed"}))
    resumed = Said()
    w.run(resumed, resume=True)
    assert [m for m in resumed.infos if "skipped" in m] == [f"[{i}/{n}] {name}: done earlier, skipped"
                                                            for i, name in enumerate(core.STEPS, 1)]


def test_the_secret_action_reaches_the_apply(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[dict[str, Any]] = []

    def apply(real: Any, *a: Any, **kw: Any) -> Any:
        seen.append(dict(kw))
        return real(*a, **kw)

    w = World(root, monkeypatch)
    with_apply(w, apply)
    w.run(secret_action="restore")
    assert seen[0]["secret_action"] == "restore"
    (w.journal_dir / f"prod-{TARGET}.json").unlink()
    w.run()
    assert "secret_action" not in seen[1]  # not given: not handed on (ports swapped in tests may not take it)


def test_the_protected_env_prompt_names_the_target_region_and_what_happens(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    w = World(root, monkeypatch)
    out = Said(answer=True)  # the name typed at the terminal
    assert w.run(out, confirm_env=None).status == "completed"
    ((prompt, expected),) = out.prompts
    assert expected == "prod"
    assert f"failover promotes its data and rebuilds the stack in {TARGET} (prod)" in prompt
    assert prompt.endswith(":\nThe old primary is fenced and the endpoint moves to the new region.")


def test_run_failover_checks_its_arguments_under_the_given_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An env that exists only under `root` (no CHROMACTL_ROOT; the checkout's own envs/ has none of that
    name), and the --from / --recovery-point checks, before anything runs."""
    monkeypatch.delenv("CHROMACTL_ROOT", raising=False)
    write_env(tmp_path, "teeth", protected=False)
    assert core.validate("teeth", TARGET, None, None, tmp_path).dir == tmp_path / "envs" / "teeth"
    plan = run_failover("teeth", TARGET, output=Output(json=True), root=tmp_path, dry_run=True)
    assert plan.env == "teeth" and plan.dry_run is True
    with pytest.raises(UsageError, match="--from must be replica or backup, not 'snapshot'"):
        run_failover("teeth", TARGET, output=Output(json=True), root=tmp_path, source="snapshot", factory=NoAws())
    with pytest.raises(UsageError, match="--recovery-point goes with --from backup"):
        run_failover("teeth", TARGET, output=Output(json=True), root=tmp_path, source="replica", recovery_point=RP,
                     factory=NoAws())
    assert not (tmp_path / ".chromactl").exists()


def test_without_a_factory_the_run_builds_one_for_the_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from chromactl.aws.session import ClientFactory

    write_env(tmp_path, "prod", protected=False)
    monkeypatch.setenv("CHROMACTL_ROOT", str(tmp_path))
    # no AWS configuration at all: the profile does not exist, so no client is ever built (nothing leaves the machine)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    seen: list[Any] = []

    def check_credentials(env: Any, target: str, factory: Any) -> dict[str, Any]:
        seen.append(factory)
        raise OperationFailed("stop here.")

    monkeypatch.setattr(A, "check_credentials", check_credentials)
    with pytest.raises(OperationFailed, match="stop here"):
        run_failover("prod", TARGET, output=Output(json=True), root=tmp_path, profile="ops", journal_dir=tmp_path / "j")
    (factory,) = seen
    assert isinstance(factory, ClientFactory) and factory.profile == "ops"


def _gate_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    write_env(root, "prod", protected=False)
    (root / "envs" / "prod" / "terraform.tfvars").write_text(f'image = "{IMAGE}"\n')
    monkeypatch.setenv("CHROMACTL_ROOT", str(root))
    monkeypatch.delenv("CHROMACTL_FAILOVER_ENDPOINT", raising=False)
    return root


def test_a_passing_gate_records_the_chroma_version_in_the_target_region(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _gate_env(tmp_path, monkeypatch)
    g = Gate(root, tmp_path / "journals", monkeypatch, stored=None, observed={})
    bucket = Bucket()
    res = run_failover("prod", TARGET, output=Output(json=True), root=root, journal_dir=g.journal_dir, factory=bucket,
                       ports=g.ports((True, SMOKE_OK), (True, LAT_OK)), settings=Settings(endpoint_override="http://127.0.0.1:9"),
                       resume=True)
    assert res.status == "completed"
    assert g.journal()["steps"]["gate"]["outputs"]["chroma_version_recorded"] == "1.0.9"
    record = json.loads(bucket.objects[(STATE_REGION, BUCKET, "chromactl/prod/chroma-version.json")])
    assert record["highest"] == "1.0.9" and [(h["region"], h["image"]) for h in record["history"]] == [(TARGET, IMAGE)]


def test_a_version_record_that_cannot_be_written_is_a_warning_not_a_failed_gate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _gate_env(tmp_path, monkeypatch)
    g = Gate(root, tmp_path / "journals", monkeypatch, stored=None, observed={})
    bucket = Bucket()
    bucket.refuse = True
    out = Said()
    res = run_failover("prod", TARGET, output=out, root=root, journal_dir=g.journal_dir, factory=bucket,
                       ports=g.ports((True, SMOKE_OK), (True, LAT_OK)), settings=Settings(endpoint_override="http://127.0.0.1:9"),
                       resume=True)
    assert res.status == "completed"
    assert g.journal()["steps"]["gate"]["outputs"]["chroma_version_recorded"] is None
    assert any(m.startswith("could not record the Chroma version that opened the data") for m in out.warnings)


def test_a_resume_with_from_auto_or_of_a_journal_still_on_auto_is_not_a_source_conflict(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--from auto names no source, so it never conflicts with the journal's; and a journal whose source is
    still auto (its preflight did not finish) takes the --from given on the resume."""
    w = World(root, monkeypatch, replica=False)
    calls: dict[str, int] = {}
    with_apply(w, failing_once(OperationFailed("terraform apply failed."), calls))
    with pytest.raises(OperationFailed):
        w.run(recovery_point=RP)
    assert w.journal()["source"] == "backup"
    assert w.run(resume=True, source="auto").status == "completed"
    (w.journal_dir / f"prod-{TARGET}.json").unlink()
    w2 = World(root, monkeypatch)  # a replica this time
    path = w2.journal_dir / f"prod-{TARGET}.json"
    Journal(path=path, env="prod", target_region=TARGET, primary_region=PRIMARY, source="auto",
            inputs={"recovery_point": None, "restore_dir": None, "accept_data_diff": False}).save()
    res = w2.run(resume=True, source="replica")
    assert res.status == "completed" and res.source == "replica"
