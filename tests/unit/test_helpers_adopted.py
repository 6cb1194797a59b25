"""The files that moved onto the one-of-each helpers (tests/unit/test_one_of_each.py) behave as their own
loops did: `status` pages alarms and recovery points with botocore's paginators, pages of 100 and at
most 20 of them; the wait for a force-deleted secret's name and the wait for a stable ECS service run on
chromactl.poll.poll_until with their bound, their interval and their progress lines; the AWS error codes
they branch on come from chromactl.aws.session.error_code.

Driven with a fake clock (sleep advances it) and botocore's Stubber (the exact requests are checked).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from chromactl.errors import OperationFailed
from chromactl.output import Output

REGION = "us-east-1"
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.slept.append(s)
        self.t += s


class Factory:
    def __init__(self, **clients: Any) -> None:
        self.clients = clients

    def client(self, service: str, _region: str | None = None) -> Any:
        return self.clients[service]


def _client(service: str) -> Any:
    return boto3.client(service, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")  # type: ignore[call-overload]


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    from chromactl.config import load_env

    from tests.drills.conftest import write_env

    write_env(tmp_path, "dev", protected=False)
    (tmp_path / "terraform").mkdir(exist_ok=True)
    monkeypatch.setenv("CHROMACTL_ROOT", str(tmp_path))
    return load_env("dev")


# ------------------------------------------------------------------ status: paginators, bounded


def _alarm(name: str) -> dict[str, Any]:
    return {"AlarmName": name, "StateValue": "ALARM", "StateReason": "over", "StateUpdatedTimestamp": NOW}


def test_alarms_are_paged_by_100_and_every_page_is_read(env: Any) -> None:
    from chromactl.workflows.status import alarms_section

    cw = _client("cloudwatch")
    stub = Stubber(cw)
    asked = {"AlarmNamePrefix": "chroma-dev-", "StateValue": "ALARM", "MaxRecords": 100}
    stub.add_response("describe_alarms", {"MetricAlarms": [_alarm("chroma-dev-5xx"), _alarm("other-5xx")], "NextToken": "t1"}, asked)
    stub.add_response("describe_alarms", {"CompositeAlarms": [_alarm("chroma-dev-any")]}, {**asked, "NextToken": "t1"})
    with stub:
        section = alarms_section(env, REGION, {"alarm_name_prefix": "chroma-dev-"}, Factory(cloudwatch=cw))
    stub.assert_no_pending_responses()
    assert section == {"prefix": "chroma-dev-", "in_alarm": [
        {"name": "chroma-dev-5xx", "reason": "over", "since": NOW}, {"name": "chroma-dev-any", "reason": "over", "since": NOW}]}


def test_alarm_pages_stop_at_20_as_the_hand_written_loop_did(env: Any) -> None:
    from chromactl.workflows.status import alarms_section

    cw = _client("cloudwatch")
    stub = Stubber(cw)
    for i in range(21):  # every page says there is another
        stub.add_response("describe_alarms", {"MetricAlarms": [_alarm(f"chroma-dev-{i}")], "NextToken": f"t{i + 1}"})
    with stub:
        section = alarms_section(env, REGION, {"alarm_name_prefix": "chroma-dev-"}, Factory(cloudwatch=cw))
    assert [a["name"] for a in section["in_alarm"]] == [f"chroma-dev-{i}" for i in range(20)]
    with pytest.raises(AssertionError):  # the 21st page was never asked for
        stub.assert_no_pending_responses()


def test_recovery_points_are_paged_and_the_newest_completed_one_wins() -> None:
    from chromactl.workflows.status import recovery_section

    backup = _client("backup")
    stub = Stubber(backup)

    def rp(name: str, age_h: int, status: str = "COMPLETED") -> dict[str, Any]:
        return {"RecoveryPointArn": f"arn:aws:backup:{REGION}:000000000000:recovery-point:{name}", "CreationDate": NOW - timedelta(hours=age_h),
                "Status": status, "ResourceArn": "arn:aws:elasticfilesystem:us-east-1:000000000000:file-system/fs-1"}

    asked = {"BackupVaultName": "chroma-dev", "MaxResults": 100}
    stub.add_response("list_recovery_points_by_backup_vault", {"RecoveryPoints": [rp("old", 30), rp("running", 0, "CREATING")],
                                                               "NextToken": "n1"}, asked)
    stub.add_response("list_recovery_points_by_backup_vault", {"RecoveryPoints": [rp("new", 2)]}, {**asked, "NextToken": "n1"})
    with stub:
        section = recovery_section(REGION, {"backup_vault_name": "chroma-dev"}, Factory(backup=backup), NOW)
    stub.assert_no_pending_responses()
    assert section["newest"]["arn"].endswith(":new") and section["newest"]["age_s"] == 7200.0


def test_replication_not_found_is_not_configured_and_another_error_is_a_phrase() -> None:
    from chromactl.workflows.status import replication_section

    efs = _client("efs")
    stub = Stubber(efs)
    stub.add_client_error("describe_replication_configurations", "ReplicationNotFound", "none", 404)
    stub.add_client_error("describe_replication_configurations", "AccessDeniedException", "no", 403)
    with stub:
        assert replication_section(REGION, {"file_system_id": "fs-1"}, Factory(efs=efs), NOW) == {"file_system_id": "fs-1", "configured": False}
        denied = replication_section(REGION, {"file_system_id": "fs-1"}, Factory(efs=efs), NOW)
    assert denied["file_system_id"] == "fs-1" and "AccessDeniedException" in denied["error"]


# ------------------------------------------------------------------ the force-deleted secret's name: poll_until


def _not_found() -> ClientError:
    return ClientError({"Error": {"Code": "ResourceNotFoundException", "Message": "gone"}}, "DescribeSecret")


class SecretsManager:
    """delete_secret accepted; describe_secret finds the secret `found` more times, then raises `then`."""

    def __init__(self, found: int, then: Callable[[], Exception] = _not_found) -> None:
        self.found, self.then, self.described = found, then, 0

    def delete_secret(self, **_kw: Any) -> dict[str, Any]:
        return {}

    def describe_secret(self, **_kw: Any) -> dict[str, Any]:
        self.described += 1
        if self.described > self.found:
            raise self.then()
        return {"Name": "chromactl-dev/alb-token"}


def _pending() -> Any:
    from chromactl.lifecycle.secrets import PendingSecret

    return PendingSecret("aws_secretsmanager_secret.token", "chromactl-dev/alb-token", REGION,
                         f"arn:aws:secretsmanager:{REGION}:000000000000:secret:chromactl-dev/alb-token-abc", NOW, None)


def test_force_delete_waits_every_poll_until_the_name_is_free() -> None:
    from chromactl.lifecycle.secrets import force_delete

    clock, sm = FakeClock(), SecretsManager(found=3)
    assert force_delete([_pending()], Factory(secretsmanager=sm), sleep=clock.sleep, monotonic=clock.monotonic) == ["chromactl-dev/alb-token"]
    assert sm.described == 4 and clock.slept == [2.0, 2.0, 2.0]


def test_force_delete_gives_up_at_its_bound() -> None:
    from chromactl.lifecycle.secrets import force_delete

    clock, sm = FakeClock(), SecretsManager(found=10**6)
    with pytest.raises(OperationFailed) as info:
        force_delete([_pending()], Factory(secretsmanager=sm), timeout_s=9, poll_s=2, sleep=clock.sleep, monotonic=clock.monotonic)
    assert info.value.message == f"chromactl-dev/alb-token in {REGION} was force-deleted but still exists after 9 s."
    assert "run the same command again in a minute" in (info.value.hint or "")
    assert sum(clock.slept) <= 9 and max(clock.slept) <= 2  # never past the bound, never longer than the interval
    assert sm.described >= 5


def test_force_delete_another_error_is_a_sentence_at_once() -> None:
    from chromactl.lifecycle.secrets import force_delete

    clock = FakeClock()
    denied = SecretsManager(found=0, then=lambda: ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "DescribeSecret"))
    with pytest.raises(OperationFailed, match="Cannot tell whether chromactl-dev/alb-token in us-east-1 is gone"):
        force_delete([_pending()], Factory(secretsmanager=denied), sleep=clock.sleep, monotonic=clock.monotonic)
    assert clock.slept == []


def test_find_pending_skips_a_free_name_and_raises_anything_else() -> None:
    from chromactl.lifecycle.secrets import PlannedSecret, find_pending

    planned = [PlannedSecret("aws_secretsmanager_secret.token", "chromactl-dev/alb-token", REGION)]
    assert find_pending(planned, Factory(secretsmanager=SecretsManager(found=0))) == []
    denied = SecretsManager(found=0, then=lambda: ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "DescribeSecret"))
    with pytest.raises(ClientError):
        find_pending(planned, Factory(secretsmanager=denied))


# ------------------------------------------------------------------ the ECS service: poll_until


class Ecs:
    """describe_services: `states` in turn (the last one repeated)."""

    def __init__(self, *states: dict[str, Any]) -> None:
        self.states, self.calls = list(states), 0

    def describe_services(self, **_kw: Any) -> dict[str, Any]:
        self.calls += 1
        return {"services": [self.states[min(self.calls, len(self.states)) - 1]]}


class Elbv2:
    def __init__(self, healthy: int) -> None:
        self.healthy = healthy

    def describe_target_health(self, **_kw: Any) -> dict[str, Any]:
        return {"TargetHealthDescriptions": [{"Target": {"Id": f"10.0.0.{i}", "Port": 8000}, "TargetHealth": {"State": "healthy"}}
                                             for i in range(self.healthy)]}


def _svc(running: int, desired: int, rollout: str = "IN_PROGRESS") -> dict[str, Any]:
    return {"status": "ACTIVE", "runningCount": running, "desiredCount": desired, "pendingCount": desired - running,
            "deployments": [{"id": "ecs-svc/1", "status": "PRIMARY", "rolloutState": rollout, "runningCount": running,
                             "desiredCount": desired}]}


OUTPUTS = {"cluster_name": "c", "service_name": "s", "target_group_arn": f"arn:aws:elasticloadbalancing:{REGION}:000000000000:targetgroup/t/1"}


def test_wait_stable_returns_the_stable_look_with_its_time_and_polls(env: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from chromactl.stack.health import wait_stable

    clock = FakeClock()
    ecs = Ecs(_svc(0, 1), _svc(0, 1), _svc(1, 1, "COMPLETED"))
    last = wait_stable(env, REGION, OUTPUTS, Factory(ecs=ecs, elbv2=Elbv2(1)), 60, Output(color=False), poll_s=5,
                       monotonic=clock.monotonic, sleep=clock.sleep)
    assert (last["stable"], last["seconds"], last["polls"], last["running"]) == (True, 10.0, 3, 1)
    assert clock.slept == [5, 5]
    err = capsys.readouterr().err
    # a line when what it sees changes, not for each look
    assert err.count("service 0/1 running") == 1 and err.count("service 1/1 running") == 1, err


def test_wait_stable_gives_up_at_its_bound(env: Any) -> None:
    from chromactl.stack.health import wait_stable

    clock = FakeClock()
    ecs = Ecs(_svc(1, 2))
    with pytest.raises(OperationFailed) as info:
        wait_stable(env, REGION, OUTPUTS, Factory(ecs=ecs, elbv2=Elbv2(1)), 60, Output(json=True), poll_s=5,
                    monotonic=clock.monotonic, sleep=clock.sleep)
    assert info.value.message == "The service of dev/us-east-1 was not stable after 60 s: 1 of 2 task(s) running."
    assert sum(clock.slept) == 60 and set(clock.slept) == {5} and ecs.calls == 13  # a look every 5 s, from 0 to 60 s


def test_wait_stable_stops_at_once_on_a_failed_rollout(env: Any) -> None:
    from chromactl.stack.health import wait_stable

    clock = FakeClock()
    ecs = Ecs(_svc(0, 1), _svc(0, 1, "FAILED"))
    with pytest.raises(OperationFailed, match="The ECS deployment of dev/us-east-1 failed"):
        wait_stable(env, REGION, OUTPUTS, Factory(ecs=ecs, elbv2=Elbv2(0)), 60, Output(json=True), poll_s=5,
                    monotonic=clock.monotonic, sleep=clock.sleep)
    assert ecs.calls == 2 and clock.slept == [5]


# ------------------------------------------------------------------ bootstrap and preflight: error codes


def test_check_bucket_branches_on_the_error_code(env: Any) -> None:
    from chromactl.aws.preflight import check_bucket
    from chromactl.errors import ConfigError

    assert env.state is not None
    s3 = _client("s3")
    stub = Stubber(s3)
    stub.add_client_error("head_bucket", "404", "Not Found", 404)
    stub.add_client_error("head_bucket", "403", "Forbidden", 403)
    stub.add_client_error("head_bucket", "SlowDown", "slow", 503)
    with stub:
        with pytest.raises(ConfigError, match="does not exist"):
            check_bucket(Factory(s3=s3), env)
        with pytest.raises(OperationFailed, match="is denied"):
            check_bucket(Factory(s3=s3), env)
        with pytest.raises(OperationFailed, match="Cannot reach the state bucket"):
            check_bucket(Factory(s3=s3), env)


def test_read_settings_takes_a_missing_setting_as_none() -> None:
    from chromactl.workflows.bootstrap import read_settings

    s3 = _client("s3")
    stub = Stubber(s3)
    stub.add_response("get_bucket_versioning", {"Status": "Enabled"})
    stub.add_client_error("get_bucket_encryption", "ServerSideEncryptionConfigurationNotFoundError", "none", 404)
    stub.add_client_error("get_public_access_block", "NoSuchPublicAccessBlockConfiguration", "none", 404)
    stub.add_client_error("get_bucket_ownership_controls", "OwnershipControlsNotFoundError", "none", 404)
    stub.add_client_error("get_bucket_policy", "NoSuchBucketPolicy", "none", 404)
    stub.add_client_error("get_bucket_lifecycle_configuration", "AccessDenied", "no", 403)  # not an absent setting: raised
    with stub, pytest.raises(ClientError, match="AccessDenied"):
        read_settings(s3, "chromactl-state-dev")
    stub = Stubber(s3)
    stub.add_response("get_bucket_versioning", {})
    for op, code in (("get_bucket_encryption", "ServerSideEncryptionConfigurationNotFoundError"),
                     ("get_public_access_block", "NoSuchPublicAccessBlockConfiguration"),
                     ("get_bucket_ownership_controls", "OwnershipControlsNotFoundError"), ("get_bucket_policy", "NoSuchBucketPolicy"),
                     ("get_bucket_lifecycle_configuration", "NoSuchLifecycleConfiguration")):
        stub.add_client_error(op, code, "none", 404)
    with stub:
        assert read_settings(s3, "chromactl-state-dev") == dict.fromkeys(
            ("versioning", "encryption", "public_access_block", "ownership", "policy", "lifecycle"))
