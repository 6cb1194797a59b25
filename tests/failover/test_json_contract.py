"""The --json contract of `failover` and `manifest record|show` (tests/unit/test_json_contract.py has the why):
moto for S3, EFS, Backup, ECS and Route 53, real Terraform on the offline double, a real Chroma behind nginx."""

from __future__ import annotations

from typing import Any

import pytest
from chromactl.cli.app import main
from chromactl.render import dumps, envelope

from tests.failover.conftest import BACKUP_ROLE, TARGET, TOKEN, Counting, World
from tests.failover.test_failover import _queue_backup_restore, go
from tests.fixtures.json_contract import check_case

CASES = {"failover --dry-run": "failover", "failover (completed)": "failover", "manifest record": "manifest record",
         "manifest show": "manifest show"}

pytestmark = pytest.mark.timeout(900)  # a hang guard (tests/failover/test_failover.py says why)


def test_failover_dry_run_and_the_manifest(world: World, chroma: Any, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["--json", "failover", "--env", "prod", "--region", TARGET, "--dry-run"]) == 0
    check_case("failover --dry-run", "failover", capsys.readouterr().out)
    monkeypatch.setenv("FAILOVER_TEST_TOKEN", TOKEN)
    assert main(["--json", "manifest", "record", "--env", "prod", "--endpoint", chroma.url, "--token-env", "FAILOVER_TEST_TOKEN"]) == 0
    check_case("manifest record", "manifest record", capsys.readouterr().out)
    assert main(["--json", "manifest", "show", "--env", "prod"]) == 0
    check_case("manifest show", "manifest show", capsys.readouterr().out)


def test_completed_failover(world: World, chroma: Any) -> None:
    """A whole failover cannot run from the command line offline (it applies the real stack); the verb prints
    run_failover's result unchanged (cli/chromactl/cli/cmd_failover.py), so its envelope is built the same way."""
    _queue_backup_restore(world, BACKUP_ROLE)
    res = go(world, chroma, Counting(), source="backup")
    assert res.status == "completed"
    check_case("failover (completed)", "failover", dumps(envelope("failover", 0, res)))
