"""The --json contract of `backup`, `backup list`, `restore` and `upgrade` (tests/unit/test_json_contract.py has the why).

`upgrade --dry-run` runs from the command line on the repository's own envs (nothing asked of AWS). The others
need the stack's Terraform outputs and AWS Backup, which moto's server does not serve (tests/day2/test_backup.py
says why botocore's Stubber stands in), so they run their core as tests/day2 does; each verb prints its core's
result unchanged (cli/chromactl/cli/cmd_day2.py), so the envelope is built from it the same way."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from chromactl.cli.app import main
from chromactl.day2 import backup as B
from chromactl.render import dumps, envelope

from tests.day2.conftest import ACCOUNT, DR_VAULT_ARN, FS_ARN, PRIMARY, FakeClock
from tests.day2.test_backup import d2, queue_start
from tests.day2.test_restore import world  # noqa: F401 - a fixture
from tests.day2.world import World
from tests.failover.conftest import SEED
from tests.fixtures.json_contract import check_case

REPO = Path(__file__).resolve().parents[2]
CASES = {"upgrade --dry-run": "upgrade", "backup": "backup", "backup list": "backup list", "restore": "restore"}

pytestmark = pytest.mark.timeout(600)  # a hang guard: the restore runs real Terraform


def test_upgrade_dry_run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CHROMACTL_ROOT", str(REPO))
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # anything that reached AWS would fail
    image = "chromadb/chroma:1.6.0@sha256:" + "ab" * 32
    assert main(["--json", "upgrade", "--env", "prod", "--image", image, "--dry-run"]) == 0
    check_case("upgrade --dry-run", "upgrade", capsys.readouterr().out)


def test_backup_and_backup_list(project: Path, backup_stub: Any) -> None:
    client, stub = backup_stub
    queue_start(stub)
    res = B.run_backup(d2(client), wait=False, clock=FakeClock().as_clock())
    check_case("backup", "backup", dumps(envelope("backup", 0, res)))
    now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    point = {"RecoveryPointArn": f"arn:aws:backup:{PRIMARY}:{ACCOUNT}:recovery-point:rp-1", "BackupVaultName": "chromactl-prod",
             "ResourceArn": FS_ARN, "ResourceType": "EFS", "Status": "COMPLETED", "CreationDate": now - timedelta(hours=2),
             "BackupSizeInBytes": 1024, "CreatedBy": {}}
    stub.add_response("list_recovery_points_by_backup_vault", {"RecoveryPoints": [point]},
                      {"BackupVaultName": "chromactl-prod", "ByResourceType": "EFS", "MaxResults": 100})
    stub.add_response("list_copy_jobs", {"CopyJobs": [{"CopyJobId": "c1", "SourceRecoveryPointArn": point["RecoveryPointArn"],
                                                       "DestinationRecoveryPointArn": f"arn:aws:backup:us-west-2:{ACCOUNT}:recovery-point:c",
                                                       "State": "COMPLETED"}]},
                      {"ByDestinationVaultArn": DR_VAULT_ARN, "ByState": "COMPLETED", "MaxResults": 100})
    res = B.run_list(d2(client), now=now)
    stub.assert_no_pending_responses()
    check_case("backup list", "backup list", dumps(envelope("backup list", 0, res)))


def test_restore(world: World) -> None:  # noqa: F811
    world.manifest(SEED)
    world.queue_preflight()
    world.queue_restore()
    res = world.go(confirm_env="prod")
    assert res.status == "completed", res
    check_case("restore", "restore", dumps(envelope("restore", 0, res)))
