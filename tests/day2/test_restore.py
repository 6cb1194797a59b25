"""`chromactl restore`: a recovery point into a NEW file system, the stack pointed at it by a real Terraform apply
(offline provider, local backend), the gate against a real Chroma behind nginx; AWS Backup and EFS through botocore
Stubbers (moto has neither restore jobs nor recovery points), ECS/ELBv2/S3/Secrets Manager in moto's server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from chromactl.errors import OperationFailed, UsageError
from chromactl.output import Output

from tests.day2.conftest import ACCOUNT, PRIMARY, resources, state_of
from tests.day2.world import KMS, NEW_FS, World
from tests.failover.conftest import SEED

pytestmark = pytest.mark.timeout(600)  # a hang guard: two real Terraform runs on a busy machine

@pytest.fixture
def world(tf_project: Path, aws_env: Any, chroma: Any) -> Any:
    w = World(tf_project, aws_env.url, chroma)
    try:
        yield w
    finally:
        w.close()


def test_restore_points_the_stack_at_a_new_file_system_and_keeps_the_old(world: World) -> None:
    world.manifest(SEED)
    world.queue_preflight()
    world.queue_restore()
    before = state_of(world.root)
    res = world.go(confirm_env="prod")  # prod is protected: the typed name
    world.assert_stubs_used()
    assert res.status == "completed", res
    root = "/aws-backup-restore_2026-12-02T01-00-01-250Z/chroma"
    assert res.file_system_id == NEW_FS and res.root_directory == root
    # the real apply: the access point and mount targets are on the restored file system, at the restore's root ...
    after = state_of(world.root)
    (ap,) = resources(after, "aws_efs_access_point")
    assert ap["file_system_id"] == NEW_FS and ap["root_directory"][0]["path"] == root
    assert {m["file_system_id"] for m in resources(after, "aws_efs_mount_target")} == {NEW_FS}
    # ... the old file system was forgotten, not destroyed (no delete of it in the applied plan), and is named for removal
    assert resources(after, "aws_efs_file_system") == [] and resources(before, "aws_efs_file_system")
    assert any(a.endswith("aws_efs_file_system.this[0]") for a in world_apply_forgotten(world))
    assert res.old_file_system_id == world.old_fs and world.old_fs in res.remove_old_file_system
    assert len(resources(after, "terraform_data")) >= 1  # a new protect guard for the new file system
    # the inputs persist for every later plan
    tfvars = json.loads((world.root / "envs" / "prod" / "chromactl.auto.tfvars.json").read_text())
    assert tfvars == {"existing_file_system_id": NEW_FS, "existing_root_directory": root, "existing_kms_key_arn": KMS}
    assert res.gate["data"]["ok"] and res.gate["smoke_ok"] and res.gate["latency_ok"]
    assert all(n in res.gate["observed"] for n in SEED)
    assert res.gate["chroma_version_recorded"] == "1.5.9"  # the version that opened the restored data
    # a later plain plan (no -var: what `chromactl plan/apply` runs) keeps the stack on the restored file system
    from chromactl.config import load_env
    from chromactl.lifecycle.plan import plan

    later = plan(load_env("prod", world.root), PRIMARY, Output(json=True))
    touched = [a for action in ("create", "replace", "delete") for a in later.summary.addresses[action] if ".module.efs." in a]
    assert touched == [], later.summary.to_dict()


def test_a_point_taken_before_an_earlier_restore_restores_with_its_own_layout(world: World) -> None:
    """The stack now runs on a file system an earlier restore made (data under aws-backup-restore_<time>/chroma);
    the recovery point is of the stack's first file system (its ResourceArn): the restore names that file system
    as the backed-up one (EFS restore metadata file-system-id) and finds the data at /aws-backup-restore_<new>/chroma,
    not under the current root nested once more."""
    world.manifest(SEED)
    earlier_fs, earlier_root = "fs-0eeeeffff00001111", "/aws-backup-restore_2026-11-30T10-00-00-000Z/chroma"
    world.queue_preflight(current_fs=earlier_fs)  # the point's ResourceArn: world.old_fs, the first file system
    world.queue_restore()  # expects Metadata file-system-id = world.old_fs
    res = world.go(confirm_env="prod", outputs={"file_system_id": earlier_fs, "file_system_root_directory": earlier_root})
    world.assert_stubs_used()
    assert res.status == "completed", res
    assert res.root_directory == "/aws-backup-restore_2026-12-02T01-00-01-250Z/chroma"
    assert res.old_file_system_id == earlier_fs


def world_apply_forgotten(world: World) -> list[str]:
    journal = json.loads((world.root / ".chromactl" / "restore" / f"prod-{PRIMARY}.json").read_text())
    return journal["steps"]["apply"]["outputs"]["forgotten"]


def test_a_failed_gate_stops_and_resume_checks_again_without_a_second_restore(world: World) -> None:
    world.manifest({**SEED, "docs": SEED["docs"] + 50})  # the data holds fewer records than the manifest
    world.queue_preflight()
    world.queue_restore()
    with pytest.raises(OperationFailed) as exc:
        world.go(confirm_env="prod")
    assert "stopped at step 'gate'" in exc.value.message and "fewer records than the manifest: docs 120/170" in exc.value.message
    assert "old file system is untouched" in (exc.value.hint or "")
    # the way back, printed: the existing-file-system inputs to the old file system at /chroma, then an apply
    back = json.dumps({"existing_file_system_id": world.old_fs, "existing_root_directory": "/chroma", "existing_kms_key_arn": KMS})
    tfvars_file = world.root / "envs" / "prod" / "chromactl.auto.tfvars.json"
    assert f"to point the stack back, set {back} in {tfvars_file}" in (exc.value.hint or "")
    assert "then run `chromactl apply --env prod --region us-east-1`" in (exc.value.hint or "")
    world.manifest(SEED)  # a human checked: the manifest was wrong
    res = world.go(confirm_env="prod", resume=True)
    world.assert_stubs_used()  # no second StartRestoreJob, no second preflight
    assert res.status == "completed" and len(world.applies) == 1
    assert res.steps["gate"]["attempts"] == 2 and res.steps["restore"]["attempts"] == 1


def test_bad_inputs_change_nothing(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    journal = world.root / ".chromactl" / "restore" / f"prod-{PRIMARY}.json"
    tfvars = world.root / "envs" / "prod" / "chromactl.auto.tfvars.json"
    cases = [
        ("not-an-arn", "is not an AWS Backup recovery point ARN"),
        (f"arn:aws:backup:us-west-2:{ACCOUNT}:recovery-point:rp-3h", "is in us-west-2, not in prod/us-east-1"),
        (f"arn:aws:backup:{PRIMARY}:210987654321:recovery-point:rp-3h", "belongs to account 210987654321"),
    ]
    for arn, words in cases:
        with pytest.raises(UsageError) as exc:
            world.go(recovery_point=arn, confirm_env="prod")
        assert words in exc.value.message and exc.value.exit_code == 2
    world.queue_preflight(vault_has_it=False)  # another env's recovery point: not in this env's vault
    with pytest.raises(UsageError, match="not in the vault chromactl-prod of env 'prod': it belongs to another env"):
        world.go(confirm_env="prod")
    world.queue_preflight(efs=False)  # protected, no typed name, no terminal: refused after the ARN check, before the run
    monkeypatch.setattr("sys.stdin.isatty", lambda: False, raising=False)
    with pytest.raises(UsageError, match="protected env prod/us-east-1, and the env's name was not given"):
        world.go(yes=True)
    world.assert_stubs_used()  # no StartRestoreJob was ever called
    assert not journal.exists() and not tfvars.exists() and not world.applies


def test_restore_dir_overrides_the_derived_directory(world: World) -> None:
    """Newer restores name the directory to the nanosecond (docs/failover.md), the API gives milliseconds:
    --restore-dir (failover's option and derivation, failover.aws.promote_backup) names it, and a resume keeps it."""
    world.manifest(SEED)
    world.queue_preflight()
    world.queue_restore()
    named = "aws-backup-restore_2026-12-02T01-00-01-250589632Z"
    res = world.go(confirm_env="prod", restore_dir=named)
    world.assert_stubs_used()
    assert res.status == "completed" and res.root_directory == f"/{named}/chroma"
    tfvars = json.loads((world.root / "envs" / "prod" / "chromactl.auto.tfvars.json").read_text())
    assert tfvars["existing_root_directory"] == f"/{named}/chroma"
