"""Bad input: each case is one clear sentence, a non-zero exit, and nothing changed (no journal, no write call)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from chromactl.cli.app import main
from chromactl.errors import ChromactlError
from chromactl.failover.core import Settings, run_failover
from chromactl.output import Output

from tests.failover.conftest import (
    ACCOUNT,
    PRIMARY,
    REPLICA_FS,
    TARGET,
    VAULT,
    Counting,
    World,
    make_ports,
    recovery_point,
)
from tests.fixtures.envelope import error_of

pytestmark = pytest.mark.timeout(60)


def journal_dir(world: World) -> Path:
    return world.root / ".chromactl" / "failover"


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def one_sentence(err: str) -> str:
    lines = [ln for ln in err.strip().splitlines() if ln.startswith("error: ")]
    assert len(lines) == 1, err
    assert "Traceback" not in err and "hint: " in err
    return lines[0].removeprefix("error: ")


def core(world: World, **kw: Any) -> ChromactlError:
    with pytest.raises(ChromactlError) as exc:
        run_failover("prod", kw.pop("target", TARGET), output=Output(json=True), factory=world.factory, root=world.root, yes=True, confirm_env="prod",
                     ports=make_ports(world, Counting()), settings=Settings(poll_interval_s=0), **kw)
    err = exc.value
    assert err.message.endswith(".") and "\n" not in err.message and err.hint
    return err


def test_target_equal_to_primary(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "failover", "--env", "prod", "--region", PRIMARY, "--yes")
    assert code == 2
    assert "is env 'prod''s primary region" in one_sentence(err)
    assert not journal_dir(world).exists()


def test_unknown_region(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "failover", "--env", "prod", "--region", "mars-north-1", "--yes", "--json")
    assert code == 2
    assert "Unknown AWS region 'mars-north-1'" in one_sentence(err)
    assert error_of(out)["exit_code"] == 2
    assert not journal_dir(world).exists()


def test_region_that_is_not_a_failover_region(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "failover", "--env", "prod", "--region", "eu-west-1", "--yes")
    assert code == 2 and "is not a failover region of env 'prod'" in one_sentence(err)


def test_no_replica_and_no_recovery_point(world: World) -> None:
    world.efs.add_client_error("describe_replication_configurations", "ReplicationNotFound", http_status_code=404,
                               expected_params={"FileSystemId": REPLICA_FS})
    world.backup.add_response("list_recovery_points_by_backup_vault", {"RecoveryPoints": []}, None)
    err = core(world)
    assert err.exit_code == 1
    assert err.message.startswith(f"No data to fail over from in {TARGET}: no EFS replica of env 'prod' and no recovery point in vault {VAULT}")
    assert not journal_dir(world).exists()
    world.assert_stubs_used()  # only the two reads were made


def test_recovery_point_of_another_env_file_system(world: World) -> None:
    foreign = recovery_point("x-1", source="fs-0999999999999999f")
    world.backup.add_response("describe_recovery_point", foreign, {"BackupVaultName": VAULT, "RecoveryPointArn": foreign["RecoveryPointArn"]})
    err = core(world, recovery_point=foreign["RecoveryPointArn"])
    assert err.exit_code == 2 and "not of env 'prod''s file system" in err.message
    assert not journal_dir(world).exists()
    world.assert_stubs_used()


def test_recovery_point_not_in_the_env_vault(world: World) -> None:
    arn = f"arn:aws:backup:{TARGET}:{ACCOUNT}:recovery-point:staging-7"
    world.backup.add_client_error("describe_recovery_point", "ResourceNotFoundException", http_status_code=404)
    err = core(world, recovery_point=arn)
    assert err.exit_code == 2 and f"is not in env 'prod''s DR vault {VAULT}" in err.message
    assert not journal_dir(world).exists()


def test_recovery_point_in_another_region(world: World) -> None:
    err = core(world, recovery_point=f"arn:aws:backup:{PRIMARY}:{ACCOUNT}:recovery-point:abc")
    assert err.exit_code == 2 and f"is in {PRIMARY}, not the target region {TARGET}" in err.message
    world.assert_stubs_used()


def test_recovery_point_with_from_replica(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "failover", "--env", "prod", "--region", TARGET, "--from", "replica", "--yes",
                       "--recovery-point", f"arn:aws:backup:{TARGET}:{ACCOUNT}:recovery-point:abc")
    assert code == 2 and "--recovery-point goes with --from backup" in one_sentence(err)


def test_journal_from_another_env_is_refused(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    path = journal_dir(world) / f"prod-{TARGET}.json"
    path.parent.mkdir(parents=True)
    foreign = {"version": 1, "env": "staging", "target_region": TARGET, "primary_region": PRIMARY, "source": "replica",
               "run_id": "x", "status": "failed", "steps": {"preflight": {"status": "done"}}}
    path.write_text(json.dumps(foreign))
    before = path.read_bytes()
    for extra in ((), ("--resume",)):
        code, _, err = cli(capsys, "failover", "--env", "prod", "--region", TARGET, "--yes", *extra)
        assert code == 2
        assert "belongs to env 'staging'" in one_sentence(err)
    assert path.read_bytes() == before


def test_journal_from_another_target_region_is_refused(world: World) -> None:
    path = journal_dir(world) / f"prod-{TARGET}.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"version": 1, "env": "prod", "target_region": "eu-west-1", "steps": {}}))
    err = core(world, resume=True)
    assert err.exit_code == 2 and "in 'eu-west-1'" in err.message


def test_protected_env_without_terminal_or_yes_is_refused(world: World, capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # not a terminal
    for yes in ((), ("--yes",)):  # --yes alone is not enough on a protected env (lifecycle/guard.py)
        code, _, err = cli(capsys, "failover", "--env", "prod", "--region", TARGET, *yes)
        assert code == 2
        assert "Refusing: this failover promotes its data" in one_sentence(err) and "protected env prod" in err
        assert "--confirm-env prod" in err
    assert not journal_dir(world).exists()


def test_resume_with_another_source_is_refused(world: World) -> None:
    path = journal_dir(world) / f"prod-{TARGET}.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"version": 1, "env": "prod", "target_region": TARGET, "primary_region": PRIMARY, "source": "replica",
                                "run_id": "x", "status": "failed", "inputs": {}, "steps": {"preflight": {"status": "done"}}}))
    err = core(world, resume=True, source="backup")
    assert err.exit_code == 2 and "uses --from replica" in err.message


class _Tty:
    def isatty(self) -> bool:
        return True


def test_protected_env_asks_for_its_name(world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", _Tty())
    monkeypatch.setattr("builtins.input", lambda prompt="": "staging")
    with pytest.raises(ChromactlError) as exc:
        run_failover("prod", TARGET, output=Output(), factory=world.factory, root=world.root, ports=make_ports(world, Counting()))
    assert exc.value.exit_code == 1 and exc.value.message == "cancelled"  # a wrong name typed: cancelled, exit 1 (issue 16 item 12)
    assert not journal_dir(world).exists()
    world.assert_stubs_used()  # refused before any EFS or Backup call

    typed: list[str] = []
    monkeypatch.setattr("builtins.input", lambda prompt="": typed.append(prompt) or "prod")
    world.efs.add_client_error("describe_replication_configurations", "ReplicationNotFound", http_status_code=404)
    world.backup.add_response("list_recovery_points_by_backup_vault", {"RecoveryPoints": []}, None)
    with pytest.raises(ChromactlError, match="No data to fail over from"):  # confirmed: the run went on to its preflight
        run_failover("prod", TARGET, output=Output(), factory=world.factory, root=world.root, ports=make_ports(world, Counting()))
    assert len(typed) == 1  # asked once; the prompt goes to stderr, never to stdout (which carries --json)
    captured = capsys.readouterr()
    assert "Type the env's name, prod, to continue: " in captured.err and "continue" not in captured.out
