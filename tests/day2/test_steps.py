"""The day-2 journal's resume rules (day2.steps.open_journal): a resume continues the run its journal records,
whether that run stopped or finished; other inputs are another run and are refused (exit 2), naming both values."""

from __future__ import annotations

from pathlib import Path

import pytest
from chromactl.day2 import restore as R
from chromactl.day2 import upgrade as U
from chromactl.day2.steps import journal_file, open_journal
from chromactl.errors import UsageError
from chromactl.failover.journal import Journal
from chromactl.output import Output

RP_OLD = "arn:aws:backup:us-east-1:123456789012:recovery-point:rp-old"
RP_OTHER = "arn:aws:backup:us-east-1:123456789012:recovery-point:rp-other"


def finished(path: Path, steps: tuple[str, ...], **inputs: str) -> Journal:
    j = Journal(path=path, env="prod", target_region="us-east-1", primary_region="us-east-1", source=path.parent.name,
                inputs=inputs, step_names=steps)
    for name in steps:
        j.finish(name, {"note": "an earlier run"}, 1.0)
    j.status = "completed"
    j.save()
    return j


@pytest.mark.parametrize(("verb", "steps", "key", "old", "new"), [
    ("restore", R.STEPS, "recovery_point", RP_OLD, RP_OTHER),
    ("upgrade", U.STEPS, "image", "chromadb/chroma:1.6.0@sha256:" + "ab" * 32, "chromadb/chroma:1.6.1@sha256:" + "cd" * 32),
])
def test_resume_of_a_finished_run_with_other_inputs_is_refused(tmp_path: Path, verb: str, steps: tuple[str, ...], key: str,
                                                              old: str, new: str) -> None:
    path = journal_file(tmp_path, verb, "prod", "us-east-1")
    finished(path, steps, **{key: old})
    with pytest.raises(UsageError) as exc:
        open_journal(path, verb=verb, env="prod", region="us-east-1", steps=steps, resume=True, inputs={key: new}, output=Output(json=True))
    assert exc.value.exit_code == 2
    assert exc.value.message == f"The finished {verb} was started with {key} {old!r}, not {new!r}."
    assert "without --resume" in (exc.value.hint or "")
    # the same inputs: the finished record is what a resume returns (nothing to redo)
    same = open_journal(path, verb=verb, env="prod", region="us-east-1", steps=steps, resume=True, inputs={key: old}, output=Output(json=True))
    assert same.status == "completed"


def test_a_run_started_by_another_verb_has_its_own_journal(tmp_path: Path) -> None:
    mine = journal_file(tmp_path, "restore", "prod", "us-east-1", "upgrade-0123abcd")
    assert mine != journal_file(tmp_path, "restore", "prod", "us-east-1") and mine.parent.name == "restore"
    finished(journal_file(tmp_path, "restore", "prod", "us-east-1"), R.STEPS, recovery_point=RP_OLD)  # the user's earlier restore
    j = open_journal(mine, verb="restore", env="prod", region="us-east-1", steps=R.STEPS, resume=True,
                     inputs={"recovery_point": RP_OLD}, output=Output(json=True))
    assert j.status == "running" and j.next_step() == "preflight"  # a new run, not the finished one
