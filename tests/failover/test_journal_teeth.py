"""The failover journal: what --resume trusts. Fast tests (the ones `make mutate` runs)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from chromactl.errors import ConfigError, UsageError
from chromactl.failover.journal import JOURNAL_VERSION, Journal, journal_path
from chromactl.failover.model import STEPS


def new(tmp_path: Path, **kw: Any) -> Journal:
    return Journal(path=tmp_path / "j" / "prod-us-west-2.json", env="prod", target_region="us-west-2", primary_region="us-east-1",
                   source="replica", **kw)


def test_path_and_fresh_state(tmp_path: Path) -> None:
    assert journal_path(tmp_path, "prod", "us-west-2") == tmp_path / ".chromactl" / "failover" / "prod-us-west-2.json"
    j = new(tmp_path)
    assert j.status == "running" and len(j.run_id) == 16 and j.next_step() == STEPS[0]
    assert all(j.step(s) == {"status": "pending", "attempts": 0} for s in STEPS)
    assert new(tmp_path).run_id != j.run_id


def test_save_is_atomic_and_load_round_trips(tmp_path: Path) -> None:
    copies: list[bytes] = []
    j = new(tmp_path, inputs={"recovery_point": None, "accept_data_diff": True})
    j.mirror = copies.append
    j.begin("preflight")
    j.finish("preflight", {"source": "replica"}, 1.23456)
    j.checkpoint("promote", "replication_deleted", True)  # saved at once
    on_disk = json.loads(j.path.read_text())
    assert on_disk["steps"]["promote"]["checkpoint"] == {"replication_deleted": True}
    assert [p.name for p in j.path.parent.iterdir()] == [j.path.name]  # no temp file left
    assert json.loads(copies[-1]) == on_disk and len(copies) == 1
    j.save()
    back = Journal.load(j.path, env="prod", region="us-west-2")
    assert back.to_dict() == j.to_dict() == {**on_disk, "updated_at": back.updated_at}
    assert on_disk["version"] == JOURNAL_VERSION and back.inputs == {"recovery_point": None, "accept_data_diff": True}
    assert back.done("preflight") and not back.done("fence") and back.next_step() == "fence"
    assert back.step("preflight")["seconds"] == 1.235 and back.outputs("preflight") == {"source": "replica"}
    assert back.checkpoints("promote") == {"replication_deleted": True} and back.checkpoints("apply") == {}
    back.outputs("preflight")["source"] = "changed"
    assert back.outputs("preflight") == {"source": "replica"}  # a copy


def test_step_bookkeeping_counts_attempts_and_clears_errors(tmp_path: Path) -> None:
    j = new(tmp_path)
    j.begin("fence")
    j.fail("fence", "boom", 2.0)
    assert j.status == "failed" and j.step("fence")["status"] == "failed" and j.step("fence")["error"] == "boom"
    assert j.step("fence")["seconds"] == 2.0 and "finished_at" in j.step("fence")
    j.begin("fence")
    assert j.status == "running" and j.step("fence")["attempts"] == 2 and "error" not in j.step("fence")
    assert j.step("fence")["status"] == "running" and "started_at" in j.step("fence")
    for s in STEPS:
        j.finish(s, {}, 0.0)
    assert j.next_step() is None and all(j.done(s) for s in STEPS)


def test_load_refuses_another_env_or_region(tmp_path: Path) -> None:
    j = new(tmp_path)
    j.save()
    with pytest.raises(UsageError, match="belongs to env 'prod' in 'us-west-2', not env 'staging'"):
        Journal.load(j.path, env="staging", region="us-west-2")
    with pytest.raises(UsageError, match="not env 'prod' in 'eu-west-1'"):
        Journal.load(j.path, env="prod", region="eu-west-1")


@pytest.mark.parametrize("body", ["{broken", json.dumps([1]), json.dumps({"version": 2, "steps": {}}),
                                  json.dumps({"version": JOURNAL_VERSION, "steps": []})])
def test_load_refuses_what_is_not_a_journal(tmp_path: Path, body: str) -> None:
    p = tmp_path / "x.json"
    p.write_text(body)
    with pytest.raises(ConfigError):
        Journal.load(p, env="prod", region="us-west-2")


def test_load_of_an_unreadable_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Cannot read the failover journal"):
        Journal.load(tmp_path, env="prod", region="us-west-2")  # a directory


def test_load_keeps_known_steps_and_fills_missing_ones(tmp_path: Path) -> None:
    p = tmp_path / "j.json"
    p.write_text(json.dumps({"version": JOURNAL_VERSION, "env": "prod", "target_region": "us-west-2", "primary_region": "us-east-1",
                             "source": "backup", "run_id": "r1", "status": "failed", "created_at": "c", "updated_at": "u",
                             "inputs": None, "steps": {"preflight": {"status": "done", "attempts": 1}, "bogus": {"status": "done"},
                                                       "fence": "not a record"}}))
    j = Journal.load(p, env="prod", region="us-west-2")
    assert list(j.steps) == list(STEPS) and "bogus" not in j.steps
    assert j.done("preflight") and j.step("fence") == {"status": "pending", "attempts": 0}
    assert (j.source, j.run_id, j.status, j.inputs, j.primary_region) == ("backup", "r1", "failed", {}, "us-east-1")
    assert j.created_at == "c" and j.next_step() == "fence"


def test_load_keeps_a_day2_verbs_own_step_names(tmp_path: Path) -> None:
    """Day-2 verbs journal their own steps (chromactl.day2): a loaded journal goes on in their order, not the failover's."""
    names = ("snapshot", "restore", "gate")
    j = new(tmp_path, step_names=names)
    j.begin("snapshot")
    j.finish("snapshot", {}, 1.0)
    j.save()
    loaded = Journal.load(j.path, env="prod", region="us-west-2", step_names=names)
    assert loaded.step_names == names and list(loaded.steps) == list(names) and loaded.next_step() == "restore"
    loaded.finish("restore", {}, 1.0)
    loaded.finish("gate", {}, 1.0)
    assert loaded.next_step() is None


def test_a_failed_and_a_finished_step_record_when_and_how_long_to_the_millisecond(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    j = new(tmp_path)
    before = datetime.now(UTC).replace(microsecond=0)
    j.begin("fence")
    j.fail("fence", "boom", 2.12345)
    rec = j.step("fence")
    assert rec["seconds"] == 2.123 and before <= datetime.fromisoformat(rec["finished_at"]) <= datetime.now(UTC)
    j.begin("fence")
    j.finish("fence", {"outcome": "fenced"}, 0.98765)
    rec = j.step("fence")
    assert rec["seconds"] == 0.988 and before <= datetime.fromisoformat(rec["finished_at"]) <= datetime.now(UTC)
    assert rec["outputs"] == {"outcome": "fenced"}


def test_a_step_finished_at_its_first_attempt_records_when(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    j = new(tmp_path)
    before = datetime.now(UTC).replace(microsecond=0)
    j.begin("preflight")
    j.finish("preflight", {}, 0.5)
    assert before <= datetime.fromisoformat(j.step("preflight")["finished_at"]) <= datetime.now(UTC)


def test_scrub_of_flagged_outputs_still_drops_secret_named_strings_terraform_did_not_flag() -> None:
    from chromactl.failover.journal import REDACTED, scrub
    from chromactl.stack.outputs import OutputValues

    out = OutputValues({"endpoint_url": "https://x", "db_password": "hunter2", "nested": {"api_token": "t"}, "note": "n"},
                       sensitive={"note"})
    assert scrub(out) == {"endpoint_url": "https://x", "db_password": REDACTED, "nested": {"api_token": REDACTED}, "note": REDACTED}


def test_load_keeps_when_the_journal_was_last_written(tmp_path: Path) -> None:
    j = new(tmp_path)
    j.save()
    data = json.loads(j.path.read_text())
    data["updated_at"] = "2026-01-01T00:00:00+00:00"  # what `--resume` shows as "completed earlier (...)"
    j.path.write_text(json.dumps(data))
    assert Journal.load(j.path, env="prod", region="us-west-2").updated_at == "2026-01-01T00:00:00+00:00"


def test_scrub_drops_sensitive_outputs_and_secret_named_strings_at_any_depth() -> None:
    from chromactl.failover.journal import REDACTED, scrub

    out = {"type": "string", "sensitive": True, "value": "s3cr3t"}
    assert scrub(out) == {"type": "string", "sensitive": True, "value": REDACTED}
    assert scrub({"sensitive": False, "value": "shown"}) == {"sensitive": False, "value": "shown"}
    assert scrub({"sensitive": True, "type": "string"}) == {"sensitive": True, "type": "string"}  # nothing to drop
    nested = {"outputs": [{"api_token": "t0k"}, {"token_secret_arn": "arn:aws:secretsmanager:x"}, ["plain"]],
              "password": ["a", "b"], "tokens": [{"sensitive": True, "value": "x"}]}
    assert scrub(nested) == {"outputs": [{"api_token": REDACTED}, {"token_secret_arn": "arn:aws:secretsmanager:x"}, ["plain"]],
                             "password": [REDACTED, REDACTED], "tokens": [{"sensitive": True, "value": REDACTED}]}
    assert scrub("a-token-looking-string") == "a-token-looking-string"  # no name, no guess
    assert scrub(["x"]) == ["x"]


def test_begin_counts_attempts_from_a_record_without_any_and_stamps_the_start(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    j = new(tmp_path)
    j.steps["fence"].pop("attempts", None)
    j.begin("fence")
    assert j.step("fence")["attempts"] == 1
    assert datetime.fromisoformat(j.step("fence")["started_at"]) <= datetime.now(UTC)


def test_save_writes_a_temp_file_beside_the_journal_and_renames_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Atomic only within one file system: the temp file is in the journal's own folder (os.replace)."""
    import os

    j = new(tmp_path)
    moves: list[tuple[str, str]] = []
    real = os.replace
    monkeypatch.setattr(os, "replace", lambda src, dst: (moves.append((str(src), str(dst))), real(src, dst))[1])
    j.save()
    ((src, dst),) = moves
    assert Path(src).parent == j.path.parent and Path(src).name.startswith(f".{j.path.name}.") and dst == str(j.path)


def test_a_save_that_fails_leaves_no_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    j = new(tmp_path)
    j.save()

    def broken(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", broken)
    with pytest.raises(OSError, match="disk full"):
        j.save()
    assert sorted(p.name for p in j.path.parent.iterdir()) == [j.path.name]


def test_outputs_that_are_not_json_are_stored_as_text_in_the_file_and_the_mirror(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    j = new(tmp_path)
    mirrored: list[bytes] = []
    j.mirror = mirrored.append
    when = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    j.begin("promote")
    j.finish("promote", {"data_as_of": when}, 1.0)
    j.save()
    assert json.loads(j.path.read_text())["steps"]["promote"]["outputs"]["data_as_of"] == str(when)
    assert json.loads(mirrored[-1])["steps"]["promote"]["outputs"]["data_as_of"] == str(when)
