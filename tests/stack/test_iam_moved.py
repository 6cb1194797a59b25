"""Issue 15: the roles left terraform/modules/iam for the modules that use them; terraform/stack/moved.tf
carries an existing state over. Proof on real Terraform with the offline provider: apply prod as the
code stood before the move (main at the branch point, from git), then plan today's code on that state.
The plan must move every IAM object to its new address and change nothing else: no IAM delete/create
(names are global; a replaced role breaks the running task), in fact no change at all.
"""

from __future__ import annotations

import shutil
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest
from tfoffline import harness

from tests.stack._tfplan import REPO, ROTATION_ZIP

pytestmark = pytest.mark.slow

# main just before issue 15 moved the roles (the last commit with terraform/modules/iam).
BEFORE_MOVE = "136bb7ade79c8969d7c0d8e1a5443702463e3538"

# old address -> new address, every IAM object the iam module held (prod: backup on, both attachments)
MOVES = {
    "module.stack.module.iam.aws_iam_role.execution": "module.stack.module.ecs.aws_iam_role.execution",
    "module.stack.module.iam.aws_iam_role_policy.execution": "module.stack.module.ecs.aws_iam_role_policy.execution",
    "module.stack.module.iam.aws_iam_role.task": "module.stack.module.ecs.aws_iam_role.task",
    "module.stack.module.iam.aws_iam_role_policy.task": "module.stack.module.ecs.aws_iam_role_policy.task",
    "module.stack.module.iam.aws_iam_role.rotation": "module.stack.aws_iam_role.rotation",
    "module.stack.module.iam.aws_iam_role_policy.rotation": "module.stack.aws_iam_role_policy.rotation",
    "module.stack.module.iam.aws_iam_role.backup": "module.stack.module.efs.aws_iam_role.backup",
    **{f'module.stack.module.iam.aws_iam_role_policy_attachment.backup["{p}"]':
       f'module.stack.module.efs.aws_iam_role_policy_attachment.backup["{p}"]'
       for p in ("AWSBackupServiceRolePolicyForBackup", "AWSBackupServiceRolePolicyForRestores")},
    "module.stack.module.iam.aws_iam_role.flow_logs": "module.stack.module.vpc.aws_iam_role.flow_logs",
    "module.stack.module.iam.aws_iam_role_policy.flow_logs": "module.stack.module.vpc.aws_iam_role_policy.flow_logs",
}


# terraform/ and envs/{_root,prod} as committed at BEFORE_MOVE, saved once with
#   git archive --format=tar <BEFORE_MOVE> terraform envs/_root envs/prod | gzip -9n
# so the test does not need the repository's history (CI may clone with --depth 1).
BEFORE_MOVE_TREE = REPO / "tests" / "fixtures" / "before-iam-move.tar.gz"


def tree_before_move(dest: Path) -> Path:
    """The tree as it stood at BEFORE_MOVE (the committed archive), plus today's rotation zip (built, not
    committed; the same reproducible bytes)."""
    dest.mkdir(parents=True)
    with tarfile.open(BEFORE_MOVE_TREE, "r:gz") as tar:
        tar.extractall(dest, filter="tar")
    (dest / "build").mkdir()
    shutil.copy2(ROTATION_ZIP, dest / "build" / ROTATION_ZIP.name)
    assert (dest / "terraform/modules/iam/main.tf").is_file(), "the archive must hold the tree with the iam module"
    return dest


def test_the_archive_is_the_tree_at_before_move() -> None:
    """Where history is there (a full clone), the archive must be exactly BEFORE_MOVE's files."""
    have = subprocess.run(["git", "-C", str(REPO), "cat-file", "-e", f"{BEFORE_MOVE}^{{commit}}"], check=False, capture_output=True, timeout=60)
    if have.returncode != 0:
        # A shallow clone has no BEFORE_MOVE; the archive is then the only copy. Say so rather than skip silently.
        print(f"{BEFORE_MOVE} is not in this clone (shallow?): the archive's contents are not re-checked here")
        return
    listing = subprocess.run(["git", "-C", str(REPO), "ls-tree", "-r", BEFORE_MOVE, "terraform", "envs/_root", "envs/prod"],
                             check=True, capture_output=True, text=True, timeout=60).stdout
    want = {}
    for line in listing.splitlines():
        meta, path = line.split("\t", 1)
        blob = meta.split()[2]
        want[path] = subprocess.run(["git", "-C", str(REPO), "cat-file", "blob", blob], check=True, capture_output=True, timeout=60).stdout
    with tarfile.open(BEFORE_MOVE_TREE, "r:gz") as tar:
        got = {m.name: m.linkname.encode() if m.issym() else tar.extractfile(m).read()  # type: ignore[union-attr]
               for m in tar.getmembers() if m.isfile() or m.issym()}  # git keeps a symlink as a blob of its target
    assert got == want


@pytest.fixture(scope="module")
def upgrade_plan(tf_offline: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("iam-moved")
    old_root = harness.copy_root("envs/prod", base / "old", repo=tree_before_move(base / "before"))
    tf_offline.apply(old_root)
    old_state = tf_offline.state(old_root)
    old_addresses = {r["address"] for r in _all_resources(old_state["values"]["root_module"])}
    assert set(MOVES) <= old_addresses, sorted(set(MOVES) - old_addresses)
    new_root = tf_offline.copy("envs/prod", base / "new")
    shutil.copy2(old_root / "terraform.tfstate", new_root / "terraform.tfstate")
    return tf_offline.plan(new_root)


def _all_resources(module: dict[str, Any]) -> list[dict[str, Any]]:
    out = list(module.get("resources", []))
    for child in module.get("child_modules", []):
        out.extend(_all_resources(child))
    return out


def test_upgrade_moves_every_role_and_replaces_no_iam_object(upgrade_plan: dict[str, Any]) -> None:
    changes = upgrade_plan["resource_changes"]
    iam = [c for c in changes if c["type"].startswith("aws_iam_")]
    bad = [(c["address"], c["change"]["actions"]) for c in iam if set(c["change"]["actions"]) - {"no-op", "update"}]
    assert not bad, f"IAM objects the upgrade would delete or create: {bad}"
    moved = {c["previous_address"]: c["address"] for c in changes if "previous_address" in c}
    assert moved == MOVES


def test_upgrade_changes_nothing_at_all(upgrade_plan: dict[str, Any]) -> None:
    # The move is a refactoring: same names, same policies, same wiring, so every object is a no-op.
    changed = [(c["address"], c["change"]["actions"]) for c in upgrade_plan["resource_changes"]
               if c["change"]["actions"] != ["no-op"]]
    assert not changed
