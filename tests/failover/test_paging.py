"""find_recovery_point reads the DR vault through botocore's paginator
(botocore/data/backup/2018-11-15/paginators-1.json, ListRecoveryPointsByBackupVault: NextToken / MaxResults):
with two pages served, the newest point on the second page is the one chosen."""

from __future__ import annotations

from types import SimpleNamespace

import boto3
from botocore.stub import Stubber
from chromactl.aws.session import ClientFactory
from chromactl.failover import aws as A

from tests.failover.conftest import SOURCE_FS, TARGET, VAULT, recovery_point


def test_both_pages_of_the_vault_are_read() -> None:
    backup = boto3.client("backup", region_name=TARGET, aws_access_key_id="testing", aws_secret_access_key="testing")
    stub = Stubber(backup)
    first = {"BackupVaultName": VAULT, "ByResourceType": "EFS", "MaxResults": 100}
    stub.add_response("list_recovery_points_by_backup_vault",
                      {"RecoveryPoints": [recovery_point("old-1", hours_ago=30)], "NextToken": "page-2"}, first)
    stub.add_response("list_recovery_points_by_backup_vault",
                      {"RecoveryPoints": [recovery_point("new-2", hours_ago=2)]}, {**first, "NextToken": "page-2"})
    factory = ClientFactory(overrides={("backup", TARGET): backup})
    with stub:
        found = A.find_recovery_point(SimpleNamespace(name="prod"), TARGET, factory,  # type: ignore[arg-type]
                                      {"dr_backup_vault_name": VAULT, "file_system_id": SOURCE_FS}, None)
        stub.assert_no_pending_responses()  # the second page was asked for
    assert found is not None and found["recovery_point_arn"].endswith(":new-2")
