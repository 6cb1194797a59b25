"""The day-2 verbs and the failover return frozen dataclasses (issue 15: "workflows return dataclasses; one renderer
prints them"), and each one's to_dict() has exactly the keys, in order, that tests/unit/json_shapes.json pins for its
verb's --json result. The contract tests run the verbs; this holds the types to the shapes without running them."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from chromactl.day2.backup import BackupResult, RecoveryPoints
from chromactl.day2.restore import RestorePlan, RestoreResult
from chromactl.day2.status import ChromaSection
from chromactl.day2.upgrade import UpgradePlan, UpgradeResult, UpgradeUnchanged
from chromactl.failover.core import FailoverPlan, FailoverResult
from chromactl.render import to_json

SHAPES = json.loads((Path(__file__).resolve().parents[1] / "unit" / "json_shapes.json").read_text())["cases"]
STEP = {"status": "done", "attempts": 1, "seconds": 1.0}

# case in json_shapes.json -> (a result as its verb builds it, where the result sits under the case's result)
CASES: dict[str, tuple[Any, tuple[str, ...]]] = {
    "backup": (BackupResult(env="prod", region="us-east-1", vault="v", file_system_id="fs-1", backup_job_id="job-1",
                            recovery_point_arn="arn:rp", idempotency_token="t", state="STARTED",
                            copy={"region": "us-west-2", "state": "NOT_STARTED", "note": "n"}), ()),
    "backup list": (RecoveryPoints(env="prod", region="us-east-1", vault="v", copy_vault="dr", copy_region="us-west-2",
                                   recovery_points=[]), ()),
    "restore": (RestoreResult(env="prod", region="us-east-1", status="completed", recovery_point_arn="arn:rp", data_as_of="t",
                              file_system_id="fs-2", root_directory="/chroma", restore_job_id="r", old_file_system_id="fs-1",
                              tfvars_file="f", remove_old_file_system="aws efs ...", gate={}, journal="j", steps={"gate": STEP}), ()),
    "upgrade --dry-run": (UpgradePlan(env="prod", region="us-east-1", image="i", version="1.6.0", steps=[], modelled_downtime=None,
                                      rto_target_minutes=15.0, within_rto=None), ()),
    "failover (completed)": (FailoverResult(env="prod", primary_region="us-east-1", target_region="us-west-2", status="completed",
                                            already_completed=False, source="replica", file_system_id="fs-2", root_directory="/chroma",
                                            rpo_seconds=1.0, data_as_of="t", fence="fenced", endpoint="https://e", dns={}, journal="j",
                                            steps={"dns": STEP}, measured_seconds=1.0), ()),
    "failover --dry-run": (FailoverPlan(env="prod", primary_region="us-east-1", target_region="us-west-2", source="auto",
                                        modelled_for="replica", steps=[], modelled_rto_seconds=600, modelled_rto_minutes=10.0,
                                        rto_target_minutes=15.0, modelled_rto_backup_minutes=60.0), ()),
    "status": (ChromaSection(image="i", chroma_version=None, highest_opened_data=None, record_error="no record"), ("chroma",)),
}


def _pinned(case: str, where: tuple[str, ...]) -> list[str]:
    shape = SHAPES[case]["result"]
    for key in where:
        shape = shape[key]
    return list(shape)


def _frozen_dataclass(result: Any) -> None:
    assert dataclasses.is_dataclass(result) and not isinstance(result, type)
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(result, dataclasses.fields(result)[0].name, "changed")


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_result_is_a_frozen_dataclass_with_the_pinned_keys(case: str) -> None:
    result, where = CASES[case]
    _frozen_dataclass(result)
    assert list(result.to_dict()) == _pinned(case, where)
    assert to_json(result) == json.loads(json.dumps(result.to_dict()))  # the one renderer prints to_dict()


def test_the_unpinned_results_keep_their_keys() -> None:
    """No shape pins these (the contract runs neither), so their keys are written out: today's, in today's order."""
    unchanged = UpgradeUnchanged(env="prod", region="us-east-1", image="i", note="prod already runs i")
    plan = RestorePlan(env="prod", region="us-east-1", recovery_point={}, steps=[], protected=True)
    upgraded = UpgradeResult(env="prod", region="us-east-1", status="completed", image="i", version="1.6.0", previous_image="o",
                             pre_upgrade_recovery_point="arn:rp", gate_ok=True, gate_failed=[], rollback={"needed": False},
                             journal="j", steps={})
    for result in (unchanged, plan, upgraded):
        _frozen_dataclass(result)
    assert unchanged.to_dict() == {"env": "prod", "region": "us-east-1", "status": "unchanged", "image": "i", "note": "prod already runs i"}
    assert list(unchanged.to_dict()) == ["env", "region", "status", "image", "note"]
    assert list(plan.to_dict()) == ["dry_run", "env", "region", "recovery_point", "steps", "changes", "protected"]
    assert plan.to_dict()["dry_run"] is True and plan.to_dict()["changes"] == "none (dry run)"
    assert list(upgraded.to_dict()) == ["env", "region", "status", "image", "version", "previous_image", "pre_upgrade_recovery_point",
                                        "gate_ok", "gate_failed", "rollback", "journal", "steps"]


def test_optional_keys_appear_only_when_set() -> None:
    """A waited backup adds size_bytes and completed (after copy); a status section adds an error phrase only when there
    is one: as the dicts these replace did."""
    started = CASES["backup"][0]
    waited = dataclasses.replace(started, state="COMPLETED", waited=True, size_bytes=None, completed="t")
    assert list(waited.to_dict()) == [*_pinned("backup", ()), "size_bytes", "completed"] and waited.to_dict()["size_bytes"] is None
    assert list(ChromaSection(image=None, chroma_version=None, highest_opened_data="1.6.0").to_dict()) == [
        "image", "chroma_version", "highest_opened_data"]
    both = ChromaSection(image=None, chroma_version=None, highest_opened_data=None, image_error="e", record_error="r")
    assert list(both.to_dict()) == ["image", "chroma_version", "highest_opened_data", "image_error", "record_error"]
