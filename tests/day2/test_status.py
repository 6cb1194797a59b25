"""`status` shows the running image, its Chroma version, the highest version that opened the data and the newest
recovery point: ECS, ELBv2, S3 in moto's server; AWS Backup and EFS replication through Stubbers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from chromactl.config import load_env
from chromactl.day2 import version as V
from chromactl.day2.status import ChromaSection

from tests.day2.conftest import ACCOUNT, PRIMARY

IMAGE = "chromadb/chroma:1.6.0@sha256:" + "ab" * 32


def test_status_shows_image_version_record_and_newest_recovery_point(project: Path, aws_env: Any,
                                                                     capsys: Any, monkeypatch: Any) -> None:
    import boto3
    from botocore.stub import Stubber
    from chromactl.aws.session import ClientFactory
    from chromactl.cli.status_view import render_status
    from chromactl.workflows.status import collect_status
    from rich.console import Console

    ec2, elb, ecs = (boto3.client(s, region_name=PRIMARY) for s in ("ec2", "elbv2", "ecs"))
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    tg = elb.create_target_group(Name="chromactl-prod", Protocol="HTTP", Port=8000, VpcId=vpc, TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
    ecs.create_cluster(clusterName="chromactl-prod")
    ecs.register_task_definition(family="chromactl-prod", containerDefinitions=[{"name": "chroma", "image": IMAGE, "memory": 512}])
    ecs.create_service(cluster="chromactl-prod", serviceName="chromactl-prod", taskDefinition="chromactl-prod", desiredCount=1)
    s3 = boto3.client("s3", region_name="us-east-2")
    s3.create_bucket(Bucket="chromactl-state-test", CreateBucketConfiguration={"LocationConstraint": "us-east-2"})
    env = load_env("prod")
    factory = ClientFactory()
    V.record(env, "1.6.0", image=IMAGE, region=PRIMARY, factory=factory)
    V.record(env, "1.5.9", image=None, region=PRIMARY, factory=factory)  # an older one never lowers the record

    now = datetime.now(UTC)
    backup, efs = boto3.client("backup", region_name=PRIMARY), boto3.client("efs", region_name=PRIMARY)
    sb, se = Stubber(backup), Stubber(efs)
    sb.add_response("list_recovery_points_by_backup_vault", {"RecoveryPoints": [
        {"RecoveryPointArn": f"arn:aws:backup:{PRIMARY}:{ACCOUNT}:recovery-point:newest", "CreationDate": now - timedelta(hours=1),
         "Status": "COMPLETED"}]}, {"BackupVaultName": "chromactl-prod", "MaxResults": 100})
    se.add_client_error("describe_replication_configurations", "ReplicationNotFound", "none", 404)
    sb.activate()
    se.activate()
    factory = ClientFactory(overrides={("backup", PRIMARY): backup, ("efs", PRIMARY): efs})
    outputs = {"cluster_name": "chromactl-prod", "service_name": "chromactl-prod", "target_group_arn": tg, "file_system_id": "fs-0123456789abcdef0",
               "backup_vault_name": "chromactl-prod", "endpoint_url": "https://chroma.example.com"}
    data = collect_status(env, PRIMARY, outputs, factory, now=now)
    assert data.chroma == ChromaSection(image=IMAGE, chroma_version="1.6.0", highest_opened_data="1.6.0")  # no error
    assert data.recovery_point["newest"]["arn"].endswith(":newest")
    console = Console(width=400, no_color=True)
    with console.capture() as cap:
        render_status(console, data)
    assert f"chroma: {IMAGE} (Chroma 1.6.0); highest version that opened the data: 1.6.0" in cap.get()


def test_a_passing_check_records_the_configured_image_version(project: Path, aws_env: Any) -> None:
    """What `up` (after its smoke) and restore (after its gate) call: the env's configured image's version into the record;
    an image it cannot read a version from is a warning, never a failed `up`."""
    import boto3
    from chromactl.aws.session import ClientFactory
    from chromactl.output import Output

    boto3.client("s3", region_name="us-east-2").create_bucket(Bucket="chromactl-state-test",
                                                              CreateBucketConfiguration={"LocationConstraint": "us-east-2"})
    env = load_env("prod")
    factory = ClientFactory()
    (env.dir / "terraform.tfvars").write_text(f'# the image\nimage = "{IMAGE}"\n')
    assert V.record_after_check(env, PRIMARY, factory, Output(json=True)) == "1.6.0"
    assert V.read_record(env, factory)["highest"] == "1.6.0"
    (env.dir / "terraform.tfvars").write_text('image = "chromadb/chroma:latest"\n')
    warned: list[str] = []
    out = Output(json=True)
    out.warn = warned.append  # type: ignore[method-assign]
    assert V.record_after_check(env, PRIMARY, factory, out) is None
    assert warned and "could not record the Chroma version" in warned[0]
    assert V.read_record(env, factory)["highest"] == "1.6.0"


def test_the_configured_image_is_the_one_terraform_uses(project: Path) -> None:
    """An `image` set in a *.auto.tfvars file wins over terraform.tfvars (Terraform loads it later), so upgrade's
    "previous image" and the version a passing check records are that one (the old reader read only terraform.tfvars
    and chromactl.auto.tfvars.json); no file setting it leaves the variable's default."""
    from chromactl.day2 import tfvars
    from chromactl.day2.upgrade import configured_image

    env = load_env("prod")
    mirror = "chromadb/chroma:1.6.1@sha256:" + "cd" * 32
    (env.dir / "terraform.tfvars").write_text(f'image = "{IMAGE}"\n')
    (env.dir / "mirror.auto.tfvars").write_text(f'image = "{mirror}" # the team mirror pins this one\n')
    assert configured_image(env) == mirror
    (env.dir / "mirror.auto.tfvars").unlink()
    tfvars.update(env, {"image": mirror})  # chromactl.auto.tfvars.json, as an upgrade writes it
    assert configured_image(env) == mirror
    (env.dir / "terraform.tfvars").write_text("# no image here\n")
    tfvars.update(env, {"image": None})
    assert configured_image(env) is None  # the test env has no variables.tf, so no default either
    (env.dir / "variables.tf").write_text(f'variable "image" {{\n  type    = string\n  default = "{IMAGE}"\n}}\n')
    assert configured_image(env) == IMAGE
