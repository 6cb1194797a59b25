"""The plan `chromactl failover` applies: prod rebuilt in its failover region on an existing
file system (a promoted replica or an AWS Backup restore), nothing flowing back to the lost
region, no name colliding with what the primary region's stack owns."""

from __future__ import annotations

from typing import Any

import pytest

from tests.stack._tfplan import Plan

FS = "fs-0123456789abcdef0"
RESTORE_DIR = "/aws-backup-restore_2026-11-25T03-00-00-000Z/chroma"
REBUILD_VARS = {
    "region": "us-west-2",
    "failover_region": "us-east-1",
    "existing_file_system_id": FS,
    "existing_root_directory": RESTORE_DIR,
    "enable_cross_region_dr": False,
    "dns_zone_id": "",
}


@pytest.fixture(scope="module")
def rebuild(env_plan: Any) -> Plan:
    return Plan(env_plan("prod", vars=REBUILD_VARS))


def test_attaches_the_file_system_instead_of_creating_one(rebuild: Plan) -> None:
    types = rebuild.types()
    assert "aws_efs_file_system" not in types
    assert "aws_efs_replication_configuration" not in types
    ap = rebuild.values("aws_efs_access_point")
    assert ap["file_system_id"] == FS
    assert ap["root_directory"][0]["path"] == RESTORE_DIR
    assert ap["posix_user"][0] == {**ap["posix_user"][0], "uid": 1000, "gid": 1000}
    mounts = rebuild.of_type("aws_efs_mount_target")
    assert len(mounts) == 3 and all(m["values"]["file_system_id"] == FS for m in mounts)
    assert rebuild.values("aws_efs_file_system_policy")["file_system_id"] == FS
    td = rebuild.values("aws_ecs_task_definition")
    vol = next(v for v in td["volume"] if v["name"] == "chroma-data")["efs_volume_configuration"][0]
    assert vol["file_system_id"] == FS and vol["transit_encryption"] == "ENABLED"


def test_nothing_flows_back_to_the_lost_region(rebuild: Plan) -> None:
    assert {v["name"] for v in rebuild.of_type("aws_backup_vault")} == {"this"}
    assert rebuild.values("aws_backup_plan")["rule"][0]["copy_action"] == []
    assert {k["name"] for k in rebuild.of_type("aws_kms_key")} == {"logs", "alarms", "this", "backup", "token"}
    names = {a["values"]["alarm_name"] for a in rebuild.of_type("aws_cloudwatch_metric_alarm")}
    assert not any(n.endswith("replication-lag") for n in names)
    # the attached file system is still backed up, in the new region
    selection = rebuild.values("aws_backup_selection")
    assert selection["resources"] == [f"arn:aws:elasticfilesystem:us-west-2:123456789012:file-system/{FS}"]
    assert rebuild.values("aws_efs_backup_policy")["file_system_id"] == FS


def test_built_in_the_target_region_with_its_own_azs_and_certificate(rebuild: Plan) -> None:
    azs = sorted(s["values"]["availability_zone"] for s in rebuild.of_type("aws_subnet") if s["name"] == "private")
    assert azs == ["us-west-2a", "us-west-2b", "us-west-2c"]
    https = next(lst["values"] for lst in rebuild.of_type("aws_lb_listener") if lst["name"] == "https")
    assert https["certificate_arn"].startswith("arn:aws:acm:us-west-2:")
    lat = next(a["values"] for a in rebuild.of_type("aws_cloudwatch_metric_alarm") if a["name"] == "cli_latency_p95")
    assert lat["dimensions"] == {"Env": "prod", "Region": "us-west-2"}
    assert "aws_route53_record" not in rebuild.types()
    outputs = rebuild.data["planned_values"]["outputs"]
    assert outputs["file_system_id"]["value"] == FS
    assert outputs["file_system_root_directory"]["value"] == RESTORE_DIR
    assert outputs["region"]["value"] == "us-west-2"
    assert outputs["replica_file_system_id"]["value"] is None


def test_global_names_never_collide_with_the_primary(rebuild: Plan, plans: dict[str, Plan]) -> None:
    primary = plans["prod"]
    for type_name, attr in (("aws_iam_role", "name"), ("aws_s3_bucket", "bucket")):
        ours = {r["values"][attr] for r in rebuild.of_type(type_name)}
        theirs = {r["values"][attr] for r in primary.of_type(type_name)}
        assert ours and theirs and not ours & theirs, type_name
        assert all("us-west-2" in n for n in ours), ours
    # regional names in the target region must not collide with the DR resources the primary put there
    dr_names = {r["values"]["name"] for r in primary.of_type("aws_backup_vault") if r["name"] == "dr"}
    dr_names |= {r["values"]["name"] for r in primary.of_type("aws_kms_alias") if r["name"] == "dr"}
    ours = {r["values"]["name"] for r in rebuild.of_type("aws_backup_vault")}
    ours |= {r["values"]["name"] for r in rebuild.of_type("aws_kms_alias")}
    assert dr_names and not dr_names & ours
