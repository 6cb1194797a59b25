"""The boto3 side against moto's server on 127.0.0.1 (and Stubber for what moto lacks).

- bootstrap: every bucket setting read back; idempotent; repairs drift.
- doctor: each line ok or a fix; missing bucket, wrong account, placeholders.
- wait_stable: own polling until running == desired, one PRIMARY deployment
  COMPLETED and all targets healthy; bounded (timeout test).
- status: service, targets, alarms in ALARM (moto), EFS replication and AWS
  Backup recovery points (botocore Stubber: moto implements neither).
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.fixtures.envelope import result_of
from tests.fixtures.servers import hang_guard
from tests.lifecycle.conftest import REGION, TinyProject, make_stack, run_cli


def _s3(region: str = "us-east-2"):  # type: ignore[no-untyped-def]
    import boto3

    return boto3.client("s3", region_name=region)


# ------------------------------------------------------------------ bootstrap


def test_bootstrap_creates_a_locked_down_versioned_bucket(tiny_project: TinyProject, aws_env) -> None:  # type: ignore[no-untyped-def]
    res = run_cli("bootstrap", "--env", "tiny", "--json")
    assert res.code == 0, res.err
    data = result_of(res.out)
    assert data["created"] is True and data["region"] == "us-east-2"
    # ownership is set by create_bucket itself; the rest is applied after
    assert {k for k, v in data["settings"].items() if v == "set now"} == {"versioning", "encryption", "public_access_block", "tls_only_policy", "lifecycle"}
    s3 = _s3()
    b = "chromactl-test-state-tiny"
    assert s3.get_bucket_location(Bucket=b)["LocationConstraint"] == "us-east-2"
    assert s3.get_bucket_versioning(Bucket=b)["Status"] == "Enabled"
    enc = s3.get_bucket_encryption(Bucket=b)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert enc["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    pab = s3.get_public_access_block(Bucket=b)["PublicAccessBlockConfiguration"]
    assert all(pab[k] for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"))
    assert s3.get_bucket_ownership_controls(Bucket=b)["OwnershipControls"]["Rules"][0]["ObjectOwnership"] == "BucketOwnerEnforced"
    policy = json.loads(s3.get_bucket_policy(Bucket=b)["Policy"])
    deny = policy["Statement"][0]
    assert deny["Effect"] == "Deny" and deny["Condition"]["Bool"]["aws:SecureTransport"] == "false"
    assert f"arn:aws:s3:::{b}/*" in deny["Resource"]
    rules = s3.get_bucket_lifecycle_configuration(Bucket=b)["Rules"]
    assert rules[0]["NoncurrentVersionExpiration"]["NoncurrentDays"] == 90

    # idempotent: nothing to do the second time
    res = run_cli("bootstrap", "--env", "tiny", "--json")
    data = result_of(res.out)
    assert res.code == 0 and data["created"] is False
    assert set(data["settings"].values()) == {"already set"}

    # drift is repaired, and said so
    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Suspended"})
    s3.delete_bucket_policy(Bucket=b)
    data = result_of(run_cli("bootstrap", "--env", "tiny", "--json").out)
    assert data["settings"]["versioning"] == "set now" and data["settings"]["tls_only_policy"] == "set now"
    assert data["settings"]["encryption"] == "already set"
    assert s3.get_bucket_versioning(Bucket=b)["Status"] == "Enabled"


def test_bootstrap_aes256_and_bad_options(tiny_project: TinyProject, aws_env) -> None:  # type: ignore[no-untyped-def]
    assert run_cli("bootstrap", "--env", "tiny", "--sse", "AES256").code == 0
    enc = _s3().get_bucket_encryption(Bucket="chromactl-test-state-tiny")["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert enc["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    res = run_cli("bootstrap", "--env", "tiny", "--sse", "rot13")
    assert res.code == 2 and "--sse" in res.err and "Traceback" not in res.err


# ------------------------------------------------------------------ doctor


def test_doctor_lines_and_fixes(tiny_project: TinyProject, aws_env) -> None:  # type: ignore[no-untyped-def]
    res = run_cli("doctor", "--env", "tiny", "--json")
    assert res.code == 1
    checks = {c["name"]: c for c in result_of(res.out)["checks"]}
    assert checks["terraform"]["status"] == "ok" and "1." in checks["terraform"]["detail"]
    assert checks["aws credentials"]["status"] == "ok" and "123456789012" in checks["aws credentials"]["detail"]
    assert checks["tiny: state bucket"]["status"] == "fail"
    assert "chromactl bootstrap --env tiny" in checks["tiny: state bucket"]["fix"]
    assert checks["tiny: regions"]["status"] == "ok"
    assert checks["tiny: placeholders"]["status"] == "ok"

    assert run_cli("bootstrap", "--env", "tiny").code == 0
    res = run_cli("doctor", "--env", "tiny")
    assert res.code == 0, res.out
    assert "ok   tiny: state bucket" in res.out

    # placeholders -> a failure with a fix where plan refuses them, a warning (exit 0) in a sandbox, whose
    # plan only warns; a wrong account -> a failure
    toml = tiny_project.env_dir("tiny") / "chromactl.toml"
    toml.write_text(toml.read_text().replace('kind = "aws"', 'kind = "aws"\naccount_id = "123456789012"'))
    tiny_project.set_tfvar("tiny", 'size = "small"\ndomain = "REPLACE.example.com"\n')
    res = run_cli("doctor", "--env", "tiny", "--json")
    checks = {c["name"]: c for c in result_of(res.out)["checks"]}
    assert res.code == 1
    assert checks["tiny: placeholders"]["status"] == "fail"
    assert "terraform.tfvars:2" in checks["tiny: placeholders"]["detail"] and "chromactl.toml" in checks["tiny: placeholders"]["detail"]
    assert checks["tiny: account"]["status"] == "ok"
    assert run_cli("plan", "--env", "tiny").code != 0  # the refusal doctor now reports as a failure
    toml.write_text(toml.read_text().replace('kind = "aws"', 'kind = "aws"\nsandbox = true'))
    res = run_cli("doctor", "--env", "tiny", "--json")
    checks = {c["name"]: c for c in result_of(res.out)["checks"]}
    assert res.code == 0 and checks["tiny: placeholders"]["status"] == "warn"
    assert "sandbox env" in checks["tiny: placeholders"]["detail"]
    toml.write_text(toml.read_text().replace("sandbox = true\n", ""))
    toml.write_text(toml.read_text().replace("123456789012", "111111111111"))
    res = run_cli("doctor", "--env", "tiny", "--json")
    checks = {c["name"]: c for c in result_of(res.out)["checks"]}
    assert res.code == 1 and checks["tiny: account"]["status"] == "fail"


# ------------------------------------------------------------------ ECS / ELB in moto (own server: tasks "run")


def _env():  # type: ignore[no-untyped-def]
    from chromactl.config import load_env

    return load_env("tiny")


def test_wait_stable_polls_until_targets_healthy(tiny_project: TinyProject, ecs_env: str) -> None:
    import boto3
    from chromactl.aws.session import ClientFactory
    from chromactl.output import Output
    from chromactl.stack.health import wait_stable

    outputs = make_stack()
    real = ClientFactory()
    calls = {"health": 0}

    class RegisterAfterFirstLook:
        """elbv2 client that registers the task's target right after the first health read."""

        def __init__(self, client):  # type: ignore[no-untyped-def]
            self._client = client

        def __getattr__(self, name):  # type: ignore[no-untyped-def]
            return getattr(self._client, name)

        def describe_target_health(self, **kw):  # type: ignore[no-untyped-def]
            resp = self._client.describe_target_health(**kw)
            calls["health"] += 1
            if calls["health"] == 1:
                assert resp["TargetHealthDescriptions"] == []
                boto3.client("elbv2", region_name=REGION).register_targets(TargetGroupArn=outputs["target_group_arn"], Targets=[{"Id": "10.0.1.10", "Port": 8000}])
            return resp

    factory = ClientFactory(overrides={("ecs", REGION): real.client("ecs", REGION), ("elbv2", REGION): RegisterAfterFirstLook(real.client("elbv2", REGION))})
    started = time.monotonic()
    result = wait_stable(_env(), REGION, outputs, factory, 20, Output(json=True), poll_s=0.2)
    assert result["stable"] is True and result["polls"] == 2 and calls["health"] == 2
    assert result["running"] == result["desired"] == 1 and result["healthy"] == 1
    assert result["deployments"][0]["status"] == "PRIMARY" and result["deployments"][0]["rollout_state"] == "COMPLETED"
    assert time.monotonic() - started < hang_guard(0.4)


def test_wait_stable_is_bounded(tiny_project: TinyProject, ecs_env: str) -> None:
    from chromactl.aws.session import ClientFactory
    from chromactl.errors import OperationFailed
    from chromactl.output import Output
    from chromactl.stack.health import wait_stable

    outputs = make_stack(desired=2, register=True)  # 1 of 2 tasks running: never stable
    started = time.monotonic()
    with pytest.raises(OperationFailed) as info:
        wait_stable(_env(), REGION, outputs, ClientFactory(), 1.5, Output(json=True), poll_s=0.2)
    assert time.monotonic() - started < hang_guard(1.5)
    assert "not stable after 2 s" in info.value.message and "1 of 2 task(s) running" in info.value.message
    assert info.value.hint and "status" in info.value.hint


def test_wait_stable_missing_outputs_is_a_sentence(tiny_project: TinyProject) -> None:
    from chromactl.errors import ConfigError
    from chromactl.output import Output
    from chromactl.stack.health import wait_stable

    with pytest.raises(ConfigError, match="have no cluster_name"):
        wait_stable(_env(), REGION, {"endpoint_url": "x"}, object(), 5, Output(json=True))


# ------------------------------------------------------------------ status


def _stubbed(fs_id: str, vault: str, now: datetime):  # type: ignore[no-untyped-def]
    import boto3
    from botocore.stub import Stubber

    efs = boto3.client("efs", region_name=REGION)
    backup = boto3.client("backup", region_name=REGION)
    s_efs, s_backup = Stubber(efs), Stubber(backup)
    s_efs.add_response(
        "describe_replication_configurations",
        {
            "Replications": [
                {
                    "SourceFileSystemId": fs_id,
                    "SourceFileSystemRegion": REGION,
                    "SourceFileSystemArn": f"arn:aws:elasticfilesystem:{REGION}:123456789012:file-system/{fs_id}",
                    "OriginalSourceFileSystemArn": f"arn:aws:elasticfilesystem:{REGION}:123456789012:file-system/{fs_id}",
                    "CreationTime": now - timedelta(days=3),
                    "Destinations": [
                        {"Status": "ENABLED", "FileSystemId": "fs-0replica", "Region": "us-west-2", "LastReplicatedTimestamp": now - timedelta(minutes=40)}
                    ],
                }
            ]
        },
        {"FileSystemId": fs_id},
    )
    s_backup.add_response(
        "list_recovery_points_by_backup_vault",
        {
            "RecoveryPoints": [
                {"RecoveryPointArn": "arn:aws:backup:us-east-1:123456789012:recovery-point:old", "CreationDate": now - timedelta(days=2), "Status": "COMPLETED"},
                {"RecoveryPointArn": "arn:aws:backup:us-east-1:123456789012:recovery-point:new", "CreationDate": now - timedelta(hours=5), "Status": "COMPLETED"},
                {"RecoveryPointArn": "arn:aws:backup:us-east-1:123456789012:recovery-point:running", "CreationDate": now - timedelta(minutes=1), "Status": "PARTIAL"},
            ]
        },
        {"BackupVaultName": vault, "MaxResults": 100},
    )
    s_efs.activate()
    s_backup.activate()
    return efs, backup, s_efs, s_backup


def test_status_reports_every_section(tiny_project: TinyProject, ecs_env: str) -> None:
    import boto3
    from chromactl.aws.session import ClientFactory
    from chromactl.workflows.status import collect_status

    now = datetime.now(UTC)
    outputs = make_stack(register=True)
    outputs.update(file_system_id="fs-0primary", backup_vault_name="chroma-dev", alarm_name_prefix="chroma-dev-")
    cw = boto3.client("cloudwatch", region_name=REGION)
    for name in ("chroma-dev-5xx", "chroma-dev-cpu", "other-app-5xx"):
        cw.put_metric_alarm(AlarmName=name, MetricName="X", Namespace="Y", Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold")
    cw.set_alarm_state(AlarmName="chroma-dev-5xx", StateValue="ALARM", StateReason="5xx above 1")
    cw.set_alarm_state(AlarmName="other-app-5xx", StateValue="ALARM", StateReason="not ours")
    efs, backup, s_efs, s_backup = _stubbed("fs-0primary", "chroma-dev", now)
    factory = ClientFactory(overrides={("efs", REGION): efs, ("backup", REGION): backup})
    data = collect_status(_env(), REGION, outputs, factory, now=now)
    s_efs.assert_no_pending_responses()
    s_backup.assert_no_pending_responses()
    assert data.endpoint == "https://chroma.example.com"
    assert data.service["stable"] is True and data.service["running"] == 1
    assert data.service["targets"][0]["state"] == "healthy"
    assert [a["name"] for a in data.alarms["in_alarm"]] == ["chroma-dev-5xx"]
    dest = data.replication["destinations"][0]
    assert dest["region"] == "us-west-2" and dest["status"] == "ENABLED" and 2390 < dest["lag_s"] < 2410
    assert data.recovery_point["newest"]["arn"].endswith(":new")
    assert data.healthy is False
    assert any("chroma-dev-5xx" in p for p in data.problems)
    assert any("exceeds the RPO" in p for p in data.problems)  # 40 min lag > 15 min RPO


def test_status_sections_fail_independently(tiny_project: TinyProject, ecs_env: str) -> None:
    import boto3
    from botocore.stub import Stubber
    from chromactl.aws.session import ClientFactory
    from chromactl.workflows.status import collect_status

    outputs = make_stack(register=True)
    outputs.update(file_system_id="fs-0primary", backup_vault_name="missing-vault")
    efs = boto3.client("efs", region_name=REGION)
    backup = boto3.client("backup", region_name=REGION)
    s_efs, s_backup = Stubber(efs), Stubber(backup)
    s_efs.add_client_error("describe_replication_configurations", "ReplicationNotFound", "no replication", 404)
    s_backup.add_client_error("list_recovery_points_by_backup_vault", "ResourceNotFoundException", "vault missing", 400)
    s_efs.activate()
    s_backup.activate()
    data = collect_status(_env(), REGION, outputs, ClientFactory(overrides={("efs", REGION): efs, ("backup", REGION): backup}))
    assert data.replication == {"file_system_id": "fs-0primary", "configured": False}
    assert "ResourceNotFoundException" in data.recovery_point["error"]
    assert data.service["stable"] is True and data.alarms["in_alarm"] == []
    assert data.healthy is True


def test_status_verb_exit_code_and_json(tiny_project: TinyProject, ecs_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The verb reads the stack's outputs (real Terraform, local state) and exits 1 when unhealthy."""
    outputs = make_stack(desired=2, register=True)
    import chromactl.stack.outputs as outs

    monkeypatch.setattr(outs, "read_outputs", lambda env, region, **kw: outputs)
    res = run_cli("status", "--env", "tiny", "--json")
    assert res.code == 1, res.err
    data = result_of(res.out)
    assert data["service"]["reason"] == "1 of 2 task(s) running"
    assert data["replication"]["configured"] is False
    res = run_cli("status", "--env", "tiny")
    assert res.code == 1 and "service: 1/2 running" in res.out and "problem:" in res.out


def test_doctor_backend_switch_and_missing_build_file(tiny_project: TinyProject, aws_env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # without the rotation function's source (installed package or checkout) plan cannot build the zip
    from chromactl.errors import ConfigError
    from chromactl.rotation import package

    def no_source() -> object:
        raise ConfigError("The rotation function's source is missing.", "Reinstall chromactl.")

    monkeypatch.setattr(package, "source_dir", no_source)
    main = tiny_project.env_dir("tiny") / "main.tf"
    main.write_text(main.read_text() + '\nlocals {\n  zip = "${path.root}/../../build/token-rotation.zip"\n}\n')
    res = run_cli("doctor", "--env", "tiny", "--json")
    checks = {c["name"]: c for c in result_of(res.out)["checks"]}
    assert checks["backend"]["status"] == "warn" and "CHROMACTL_BACKEND=local" in checks["backend"]["detail"]
    assert checks["tiny: build files"]["status"] == "fail" and "build/token-rotation.zip" in checks["tiny: build files"]["detail"]
    assert "make zip" in checks["tiny: build files"]["fix"]
    (tiny_project.root / "build").mkdir()
    (tiny_project.root / "build" / "token-rotation.zip").write_bytes(b"PK\x05\x06" + b"\0" * 18)
    checks = {c["name"]: c for c in result_of(run_cli("doctor", "--env", "tiny", "--json").out)["checks"]}
    assert "tiny: build files" not in checks
