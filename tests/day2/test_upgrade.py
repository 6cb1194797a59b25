"""`chromactl upgrade`: the image applied by real Terraform (offline provider), the pre-upgrade recovery point through
botocore's Stubber, the gate against a real Chroma behind nginx; a fault at each step then --resume; a failed gate
rolls back to the previous image (and restores the pre-upgrade recovery point when the previous version fails too);
a downgrade or a bad image is refused with nothing changed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from chromactl.day2 import version as V
from chromactl.errors import OperationFailed, UsageError

from tests.day2.conftest import resources, state_of
from tests.day2.world import NEW_FS, OLDER_TD, RP_NEW, World
from tests.failover.conftest import SEED
from tests.fixtures.filled import TEST_ACCOUNT

pytestmark = pytest.mark.timeout(600)  # a hang guard: real Terraform and a real Chroma on a busy machine

OLD = "chromadb/chroma:1.5.9@sha256:1e0b73a187a28757c572acba508c46f48c9e8b0acaf5c20e6d95cdedce1acdf6"  # envs/prod's image
NEW = "chromadb/chroma:1.6.0@sha256:" + "ab" * 32


@pytest.fixture
def world(tf_project: Path, aws_env: Any, chroma: Any) -> Any:
    w = World(tf_project, aws_env.url, chroma)
    w.manifest(SEED)
    w.registry.manifests |= {("chromadb/chroma", ref.split("@")[1]) for ref in (OLD, NEW)}  # Docker Hub holds both images
    try:
        yield w
    finally:
        w.close()


CACHE = f"{TEST_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/chromactl-prod-dockerhub/"  # prod pulls through its ECR cache (the filled account)


def task_image(root: Path) -> str:
    """The image the task definition in Terraform's state runs, without prod's pull-through-cache prefix."""
    (td,) = resources(state_of(root), "aws_ecs_task_definition")
    return str(json.loads(td["container_definitions"])[0]["image"]).removeprefix(CACHE)


def tfvars(world: World) -> dict[str, Any]:
    path = world.root / "envs" / "prod" / "chromactl.auto.tfvars.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def test_upgrade_backs_up_applies_for_real_gates_and_records_the_version(world: World) -> None:
    assert task_image(world.root) == OLD
    world.queue_backup()
    res = world.upgrade(NEW, confirm_env="prod")
    world.assert_stubs_used()
    assert res.status == "completed" and res.gate_ok and res.rollback == {"needed": False}
    assert res.pre_upgrade_recovery_point == RP_NEW and res.previous_image == OLD
    assert task_image(world.root) == NEW  # Terraform's state: the task definition runs the new image
    assert tfvars(world) == {"image": NEW}  # and every later plan keeps it
    rec = V.read_record(world.env(), world.factory)
    assert rec["highest"] == "1.6.0" and rec["history"][-1]["image"] == NEW


def test_downgrade_and_bad_images_are_refused_with_nothing_changed(world: World) -> None:
    journal = world.root / ".chromactl" / "upgrade" / "prod-us-east-1.json"
    for image, words in (
        ("chromadb/chroma:1.5.8@sha256:" + "cd" * 32, "Refusing Chroma 1.5.8 on env 'prod': its data was opened by Chroma 1.5.9"),
        ("nginx:1.27.0@sha256:" + "cd" * 32, "'nginx' is not a Chroma image"),
        ("chromadb/chroma:1.6.0", "is not pinned by tag and digest"),
        # a digest Docker Hub does not hold: ECS would stop the old task before the new one fails to pull
        ("chromadb/chroma:1.6.0@sha256:" + "ee" * 32, "does not exist: registry-1.docker.io answers 404 for the manifest chromadb/chroma@"),
    ):
        with pytest.raises(UsageError) as exc:
            world.upgrade(image, confirm_env="prod")
        assert words in exc.value.message and exc.value.exit_code == 2
    # a newer version opened the data once (recorded), even though 1.5.9 runs now: 1.5.9 is refused too
    V.record(world.env(), "1.6.0", image=NEW, region="us-east-1", factory=world.factory)
    with pytest.raises(UsageError, match="its data was opened by Chroma 1.6.0"):
        world.upgrade("chromadb/chroma:1.5.10@sha256:" + "cd" * 32, confirm_env="prod")
    world.assert_stubs_used()  # no backup was started
    assert not world.applies and not journal.exists() and tfvars(world) == {} and task_image(world.root) == OLD


def test_protected_env_without_the_typed_name_changes_nothing(world: World, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    from chromactl.output import Output

    prompts: list[str] = []
    monkeypatch.setattr(Output, "confirm_text", lambda _self, prompt, _name: prompts.append(prompt) or False)  # no answer typed
    with pytest.raises(UsageError, match="protected env prod/us-east-1, and the env's name was not given"):
        world.upgrade(NEW, yes=True)
    # the question says a restore may follow a failed gate, and lists what it replaces with the task definition
    assert "the rollback restores the pre-upgrade recovery point without asking again" in " ".join(capsys.readouterr().err.split())
    (prompt,) = prompts
    for address in ("ecs.aws_ecs_task_definition.this", "efs.aws_efs_access_point.this", "efs.aws_efs_mount_target.this[*]"):
        assert f"  - module.stack.module.{address}" in prompt
    world.assert_stubs_used()
    assert not world.applies and tfvars(world) == {}


@pytest.mark.parametrize("step", ["backup", "apply", "gate"])  # a failed wait rolls back: test_a_failed_wait_rolls_back
def test_a_failure_at_each_step_then_resume_completes_without_redoing(world: World, step: str) -> None:
    world.queue_backup(fail_first_describe=step == "backup")
    faults = {"apply": {"apply": {1}}, "gate": {"token": {1}}}.get(step, {})
    ports = world.ports(real_apply=False, faults=faults)
    with pytest.raises(OperationFailed) as exc:
        world.upgrade(NEW, confirm_env="prod", ports=ports)
    assert f"stopped at step {step!r}" in exc.value.message and "--resume" in (exc.value.hint or "")
    with pytest.raises(UsageError, match="Run again with --resume"):
        world.upgrade(NEW, confirm_env="prod", ports=ports)  # never a silent second upgrade
    res = world.upgrade(NEW, confirm_env="prod", ports=ports, resume=True)
    world.assert_stubs_used()  # one StartBackupJob, one StartCopyJob: the resumed run waited on the same job
    assert res.status == "completed" and res.gate_ok
    assert [a["extra_vars"] for a in world.applies] == [{"image": NEW}]  # applied once to completion
    attempts = {n: s["attempts"] for n, s in res.steps.items()}
    assert attempts == {n: (2 if n == step else 1) for n in attempts}


def test_a_failed_gate_rolls_back_to_the_previous_image_and_the_data_matches(world: World) -> None:
    world.queue_backup()
    broken_new = lambda applies: applies[-1]["extra_vars"]["image"] != NEW  # the new version answers wrongly
    with pytest.raises(OperationFailed) as exc:
        world.upgrade(NEW, confirm_env="prod", ports=world.ports(smoke_ok=broken_new))
    world.assert_stubs_used()
    msg = exc.value.message
    assert msg.startswith(f"The upgrade of prod to {NEW} failed its gate (smoke (query (injected")
    assert f"rolled back to {OLD}; the data was not migrated, so it was not restored" in msg
    assert [a["extra_vars"]["image"] for a in world.applies] == [NEW, OLD]
    assert task_image(world.root) == OLD and tfvars(world) == {"image": OLD}  # Terraform's state and later plans: the old image
    journal = json.loads((world.root / ".chromactl" / "upgrade" / "prod-us-east-1.json").read_text())
    assert journal["status"] == "completed" and journal["steps"]["rollback"]["checkpoint"]["checked"]["ok"]
    assert V.read_record(world.env(), world.factory)["highest"] is None  # the failed version is never recorded


def test_when_the_previous_version_fails_too_the_pre_upgrade_recovery_point_is_restored(world: World) -> None:
    # an earlier restore of the env finished (another recovery point): the rollback's restore is a new run, not that record
    from chromactl.day2.restore import STEPS as RESTORE_STEPS
    from chromactl.failover.journal import Journal

    earlier = world.root / ".chromactl" / "restore" / "prod-us-east-1.json"
    done = Journal(path=earlier, env="prod", target_region="us-east-1", primary_region="us-east-1", source="restore",
                   inputs={"recovery_point": RP_NEW}, step_names=RESTORE_STEPS)
    for name in RESTORE_STEPS:
        done.finish(name, {"file_system_id": "fs-0earlier000000000"} if name == "restore" else {}, 1.0)
    done.status = "completed"
    done.save()
    before = earlier.read_text()
    world.queue_backup()
    world.queue_preflight(rp=RP_NEW)
    world.queue_restore(rp=RP_NEW)
    broken_until_restored = lambda applies: "existing_file_system_id" in applies[-1]["extra_vars"]
    with pytest.raises(OperationFailed) as exc:
        world.upgrade(NEW, confirm_env="prod", ports=world.ports(real_apply=False, smoke_ok=broken_until_restored))
    world.assert_stubs_used()
    msg = exc.value.message
    assert f"rolled back to {OLD}; the data was restored from the pre-upgrade recovery point {RP_NEW} in" in msg
    assert [a["extra_vars"].get("image") for a in world.applies] == [NEW, OLD, None]
    assert world.applies[-1]["extra_vars"]["existing_file_system_id"] == NEW_FS
    assert tfvars(world)["image"] == OLD and tfvars(world)["existing_file_system_id"] == NEW_FS
    assert earlier.read_text() == before  # the earlier restore's record is left as it was


def test_a_failure_mid_rollback_then_resume_finishes_the_rollback_once(world: World) -> None:
    world.queue_backup()
    broken_new = lambda applies: applies[-1]["extra_vars"]["image"] != NEW
    ports = world.ports(real_apply=False, faults={"wait": {2}}, smoke_ok=broken_new)  # the rollback's wait fails once
    with pytest.raises(OperationFailed, match="stopped at step 'rollback'"):
        world.upgrade(NEW, confirm_env="prod", ports=ports)
    with pytest.raises(OperationFailed, match=f"rolled back to {OLD}; the data was not migrated"):
        world.upgrade(NEW, confirm_env="prod", ports=ports, resume=True)
    world.assert_stubs_used()
    assert [a["extra_vars"]["image"] for a in world.applies] == [NEW, OLD]  # the rollback's apply was not redone
    assert world.calls["wait"] == 3 and tfvars(world) == {"image": OLD}


@pytest.mark.parametrize("how", ["the wait gives up", "the circuit breaker rolled back"])
def test_a_failed_wait_rolls_back_like_a_failed_gate(world: World, how: str) -> None:
    """With min 0 % / max 100 % the old task is gone once the new one fails: a wait that fails, or one that ends stable
    on the older revision (what ECS shows after the circuit breaker's rollback), goes to the rollback, and the
    new version is never recorded."""
    world.queue_backup()
    ports = world.ports(real_apply=False, **({"faults": {"wait": {1}}} if how == "the wait gives up" else {"rolled_back": {1}}))
    with pytest.raises(OperationFailed) as exc:
        world.upgrade(NEW, confirm_env="prod", ports=ports)
    world.assert_stubs_used()
    msg = exc.value.message
    assert msg.startswith(f"The upgrade of prod to {NEW} failed its gate (stable and healthy (")
    expected = "injected failure in wait (call 1)" if how == "the wait gives up" else f"the service is stable on {OLDER_TD}, not on the new"
    assert expected in msg and f"rolled back to {OLD}; the data was not migrated" in msg
    assert [a["extra_vars"]["image"] for a in world.applies] == [NEW, OLD] and world.calls["wait"] == 2
    assert V.read_record(world.env(), world.factory)["highest"] is None  # the gate never passed on the new version
