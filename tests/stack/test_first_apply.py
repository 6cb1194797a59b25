"""Issue 12, first real apply: what AWS would refuse (or quietly get wrong) on the first apply,
checked on every env's plan against AWS's own rules. Each test names the item it pins."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.stack._tfplan import ENVS, REPO, Plan, flat, tfvars


@pytest.fixture(params=ENVS)
def env(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def plan(plans: dict[str, Plan], env: str) -> Plan:
    return plans[env]


# ---------------------------------------------------------------- item 1: EC2 descriptions


def _ec2_model() -> dict[str, Any]:
    import botocore.loaders

    loader = botocore.loaders.Loader()
    model: dict[str, Any] = loader.load_service_model("ec2", "service-2")
    return model


def _allowed_chars(shape: str) -> re.Pattern[str]:
    """The character set botocore's ec2 model documents on <shape>.Description
    (botocore/data/ec2/2016-11-15/service-2.json), as a regex for a whole description."""
    doc = html.unescape(_ec2_model()["shapes"][shape]["members"]["Description"]["documentation"])
    found = re.search(r"(?:Allowed|Valid) characters(?: are|:) a-z, A-Z, 0-9, spaces, and (\S+?)</p>", doc)
    assert found, f"{shape}.Description: no character set in {doc!r}"
    assert "Up to 255 characters" in doc, doc
    return re.compile(r"[a-zA-Z0-9 " + re.escape(found.group(1)) + r"]{0,255}")


# What EC2 validates each kind of description against. Rules that reference a security group
# (UserIdGroupPair) or a prefix list allow fewer characters than CIDR rules: no '&'.
def _rule_shape(values: dict[str, Any]) -> str:
    if values.get("referenced_security_group_id") is not None or values.get("security_groups"):
        return "UserIdGroupPair"
    if values.get("prefix_list_id") or values.get("prefix_list_ids"):
        return "PrefixListId"
    if values.get("cidr_ipv6") or values.get("ipv6_cidr_blocks"):
        return "Ipv6Range"
    return "IpRange"


def _ec2_descriptions(plan: Plan) -> Iterator[tuple[str, str, Any]]:
    """(address, shape, description) for every description EC2 checks in the plan: security groups,
    their inline rules, the standalone rule resources, and any other EC2 resource that has one."""
    for r in plan.resources:
        t, v, addr = r["type"], r["values"], r["address"]
        if t in ("aws_security_group", "aws_default_security_group"):
            if "description" in v:
                yield addr, "CreateSecurityGroupRequest", v["description"]
            for direction in ("ingress", "egress"):
                for rule in v.get(direction) or []:
                    yield f"{addr}.{direction}", _rule_shape(rule), rule.get("description")
        elif t in ("aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule", "aws_security_group_rule"):
            yield addr, _rule_shape(v), v.get("description")
        elif t in ("aws_network_interface", "aws_ec2_managed_prefix_list", "aws_vpc_endpoint_service", "aws_ec2_transit_gateway"):
            yield addr, "CreateSecurityGroupRequest", v.get("description")


def test_item1_the_character_sets_come_from_botocore() -> None:
    assert _allowed_chars("IpRange").pattern == r"[a-zA-Z0-9 \._\-:/\(\)\#,@\[\]\+=\&;\{\}!\$\*]{0,255}"
    assert "&" not in _allowed_chars("UserIdGroupPair").pattern
    assert not _allowed_chars("IpRange").fullmatch("the function's test step")


def test_item1_every_ec2_description_is_one_ec2_accepts(plan: Plan) -> None:
    found = list(_ec2_descriptions(plan))
    assert len([f for f in found if f[1] == "CreateSecurityGroupRequest"]) >= 4  # alb, task, efs, rotation (+ endpoints)
    assert len([f for f in found if f[1] != "CreateSecurityGroupRequest"]) >= 6
    bad = []
    for address, shape, description in found:
        if description is None:
            continue
        assert isinstance(description, str), (address, description)  # known at plan, so checkable
        if not _allowed_chars(shape).fullmatch(description):
            bad.append((address, shape, description))
    assert not bad, bad


# ---------------------------------------------------------------- item 3: replication lag


def test_item3_replication_lag_alarm_names_both_file_systems(plans: dict[str, Plan]) -> None:
    p = plans["prod"]
    (alarm,) = [a for a in p.of_type("aws_cloudwatch_metric_alarm") if a["name"] == "replication_lag"]
    # TimeSinceLastSync carries FileSystemId and DestinationFileSystemId (EFS metrics docs); the
    # destination is the replica, known once the replication configuration exists.
    dims = {**alarm["values"].get("dimensions", {}), **p.unknown(alarm["address"]).get("dimensions", {})}
    assert set(dims) == {"FileSystemId", "DestinationFileSystemId"}
    assert p.unknown(alarm["address"])["dimensions"]["DestinationFileSystemId"] is True


# ---------------------------------------------------------------- item 9: trust policies


def test_item9_only_the_task_role_trust_carries_source_conditions(plan: Plan, env: str) -> None:
    roles = {r["name"]: json.loads(r["values"]["assume_role_policy"]) for r in plan.of_type("aws_iam_role")}
    (task,) = roles["task"]["Statement"]
    assert set(task["Condition"]) == {"StringEquals", "ArnLike"}
    assert task["Condition"]["StringEquals"] == {"aws:SourceAccount": tfvars(env)["account_id"]}
    (execution,) = roles["execution"]["Statement"]
    assert execution == {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}


# ---------------------------------------------------------------- item 4: account-global names

# A failover rebuild: the env built in its failover region on an attached file system, nothing
# flowing back (what `chromactl failover` plans; see test_failover_rebuild.py).
REBUILD_VARS = {
    "region": "us-west-2",
    "failover_region": "us-east-1",
    "existing_file_system_id": "fs-0123456789abcdef0",
    "existing_root_directory": "/aws-backup-restore_2026-11-25T03-00-00-000Z/chroma",
    "enable_cross_region_dr": False,
    "dns_zone_id": "",
}

# Names in one namespace per account, whatever the region (AWS "global services":
# https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/global-services.html, and
# "all dashboards in your account are global": CloudWatch_Dashboards.html). S3 bucket names are even
# global across accounts. Route 53 records live in a global zone.
GLOBAL_NAMES = {
    "aws_iam_role": "name",
    "aws_iam_policy": "name",
    "aws_iam_instance_profile": "name",
    "aws_s3_bucket": "bucket",
    "aws_cloudwatch_dashboard": "dashboard_name",
    "aws_route53_record": "name",
}
# Names unique per account and region: they collide only with what the other stack put in the same region
# (the primary's DR vault and key alias live in the failover region).
REGIONAL_NAMES = {
    "aws_lb": "name",
    "aws_lb_target_group": "name",
    "aws_ecs_cluster": "name",
    "aws_ecs_task_definition": "family",
    "aws_cloudwatch_log_group": "name",
    "aws_cloudwatch_metric_alarm": "alarm_name",
    "aws_cloudwatch_event_rule": "name",
    "aws_sns_topic": "name",
    "aws_kms_alias": "name",
    "aws_secretsmanager_secret": "name",
    "aws_lambda_function": "function_name",
    "aws_backup_vault": "name",
    "aws_backup_plan": "name",
    "aws_efs_file_system": "creation_token",
    "aws_ecr_pull_through_cache_rule": "ecr_repository_prefix",
}
# Named inside a parent that is itself checked above, or not named at all (IDs chosen by AWS).
SCOPED_OR_UNNAMED = {
    "aws_iam_role_policy", "aws_iam_role_policy_attachment", "aws_ecs_service", "aws_backup_selection",
    "aws_security_group", "aws_cloudwatch_query_definition", "aws_lambda_permission", "aws_cloudwatch_event_target",
    "aws_backup_vault_notifications", "aws_backup_vault_lock_configuration", "aws_sns_topic_policy",
    "aws_sns_topic_subscription", "aws_s3_bucket_lifecycle_configuration", "aws_s3_bucket_ownership_controls",
    "aws_s3_bucket_policy", "aws_s3_bucket_public_access_block", "aws_s3_bucket_server_side_encryption_configuration",
    "aws_s3_bucket_versioning", "aws_secretsmanager_secret_rotation", "aws_kms_key", "aws_efs_access_point",
    "aws_efs_backup_policy", "aws_efs_file_system_policy", "aws_efs_mount_target", "aws_efs_replication_configuration",
    "aws_ecs_cluster_capacity_providers", "aws_lb_listener", "aws_lb_listener_rule", "aws_default_security_group",
    "aws_eip", "aws_flow_log", "aws_internet_gateway", "aws_nat_gateway", "aws_route", "aws_route_table",
    "aws_route_table_association", "aws_subnet", "aws_vpc", "aws_vpc_endpoint", "aws_vpc_security_group_egress_rule",
    "aws_vpc_security_group_ingress_rule", "aws_wafv2_web_acl_association", "terraform_data",
    # A metric filter's name is unique only within its log group (PutMetricFilter takes logGroupName and
    # filterName; https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutMetricFilter.html),
    # and the log group's name is checked above as regional.
    "aws_cloudwatch_log_metric_filter",
}


def _provider_keys(plan: Plan) -> dict[str, str]:
    """Resource address (no index) -> provider config key, from the plan's configuration."""
    keys: dict[str, str] = {}

    def walk(module: dict[str, Any], prefix: str) -> None:
        for r in module.get("resources", []):
            keys[prefix + r["address"]] = r.get("provider_config_key", "aws")
        for name, call in module.get("module_calls", {}).items():
            walk(call["module"], f"{prefix}module.{name}.")

    walk(plan.data["configuration"]["root_module"], "")
    return keys


def _names(plan: Plan) -> set[tuple[str, str, str]]:
    """(namespace, type, name) of every named resource; namespace is "global" or the resource's region."""
    variables = plan.data["variables"]
    region, failover = variables["region"]["value"], variables["failover_region"]["value"]
    keys = _provider_keys(plan)
    out = set()
    for r in plan.resources:
        t = r["type"]
        if t in GLOBAL_NAMES:
            namespace, attr = "global", GLOBAL_NAMES[t]
        elif t in REGIONAL_NAMES:
            key = keys[re.sub(r"\[[^\]]*\]$", "", r["address"])]
            namespace, attr = (failover if key.endswith("aws.failover") else region), REGIONAL_NAMES[t]
        else:
            assert t in SCOPED_OR_UNNAMED, f"{t}: say whether its name is account-global, regional, or scoped"
            continue
        name = r["values"].get(attr)
        assert isinstance(name, str) and name, (r["address"], attr, name)  # known at plan, so comparable
        out.add((namespace, t, name))
    return out


def test_item4_primary_and_failover_stacks_share_no_name(env_plan: Any, env: str, plans: dict[str, Plan]) -> None:
    primary = plans[env]
    rebuild = Plan(env_plan(env, vars=REBUILD_VARS))
    ours, theirs = _names(rebuild), _names(primary)
    assert {n for n in ours if n[0] == "global"} and {n for n in theirs if n[0] == "global"}
    assert {n[1] for n in theirs} >= {"aws_iam_role", "aws_s3_bucket", "aws_cloudwatch_dashboard"}
    assert not ours & theirs, sorted(ours & theirs)


# ---------------------------------------------------------------- item 11: one backup plan


def test_item11_efs_automatic_backups_are_off_beside_the_stacks_plan(plan: Plan) -> None:
    # ENABLED would add EFS automatic backups: a second daily plan, AWS managed key, no copy.
    assert plan.values("aws_efs_backup_policy")["backup_policy"] == [{"status": "DISABLED"}]
    assert len(plan.of_type("aws_backup_plan")) == 1


# ---------------------------------------------------------------- item 17: the smaller ones


def test_item17_flow_logs_have_their_own_retention_and_interval(plan: Plan, env: str) -> None:
    v = tfvars(env)
    flow_group = next(g for g in plan.of_type("aws_cloudwatch_log_group") if g["index"] == "flow_logs")
    assert flow_group["values"]["retention_in_days"] == v["flow_logs_retention_days"] < v["log_retention_days"]
    assert plan.values("aws_flow_log")["max_aggregation_interval"] == v["flow_logs_max_aggregation_interval"]
    assert {tfvars(e)["flow_logs_max_aggregation_interval"] for e in ENVS} == {60, 600}  # per env, not one value


def test_item17_listener_uses_the_post_quantum_policy_aws_recommends(plan: Plan) -> None:
    https = next(lst["values"] for lst in plan.of_type("aws_lb_listener") if lst["name"] == "https")
    assert https["ssl_policy"] == "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"


def test_item17_efs_throughput_alarm_measures_writes_against_the_elastic_ceiling(plan: Plan) -> None:
    alarms = {a["name"]: a["values"] for a in plan.of_type("aws_cloudwatch_metric_alarm")}
    assert "efs_throughput" not in alarms  # MeteredIOBytes vs PermittedThroughput: no meaning under Elastic
    queries = {q["id"]: q for q in alarms["efs_write_throughput"]["metric_query"]}
    assert queries["written"]["metric"][0]["metric_name"] == "DataWriteIOBytes"
    assert queries["permitted"]["metric"][0]["metric_name"] == "PermittedThroughput"
    assert queries["utilisation"]["expression"] == "100 * (written / PERIOD(written)) / permitted"


def test_item17_log_bucket_expires_its_delete_markers(plan: Plan) -> None:
    rules = {r["id"]: r for r in plan.values("aws_s3_bucket_lifecycle_configuration")["rule"]}
    assert rules["expire-delete-markers"]["status"] == "Enabled"
    assert rules["expire-delete-markers"]["expiration"][0]["expired_object_delete_marker"] is True
    # S3 refuses ExpiredObjectDeleteMarker beside Days in one expiration: the markers have a rule of their own
    assert rules["expire-access-logs"]["expiration"][0].get("expired_object_delete_marker") in (None, False)


def test_item17_tmp_is_mounted_noexec(plan: Plan) -> None:
    c = json.loads(plan.values("aws_ecs_task_definition", "this")["container_definitions"])[0]
    (tmp,) = c["linuxParameters"]["tmpfs"]
    assert tmp["containerPath"] == "/tmp" and {"noexec", "nosuid", "nodev"} <= set(tmp["mountOptions"])


# ---------------------------------------------------------------- item 12: backups hard to lose


def test_item12_vault_lock_and_data_guard_follow_the_env(plan: Plan, env: str) -> None:
    v = tfvars(env)
    locks = plan.of_type("aws_backup_vault_lock_configuration")
    if v["backup_vault_lock_mode"] == "none":
        assert not locks
    else:
        assert {lk["name"] for lk in locks} == ({"this", "dr"} if v["enable_backup_copy"] else {"this"})
        for lk in locks:
            governance = v["backup_vault_lock_mode"] == "governance"
            assert lk["values"].get("changeable_for_days") == (None if governance else v["backup_vault_lock_changeable_days"])
    assert v["backup_vault_lock_mode"] == {"dev": "none", "staging": "governance", "prod": "compliance"}[env]
    guards = plan.of_type("terraform_data")
    assert [g["name"] for g in guards] == (["protect"] if v["protect_data"] else [])
    assert v["protect_data"] is (env != "dev")
    # the vaults have keys of their own, apart from the data's
    assert {k["name"] for k in plan.of_type("aws_kms_key")} >= {"this", "backup", "alarms", "logs"}
    assert plan.of_type("aws_cloudwatch_event_rule") and plan.of_type("aws_cloudwatch_event_target")


# ---------------------------------------------------------------- items 14 and 10: interface endpoints

README_VPC = REPO / "terraform" / "modules" / "vpc" / "README.md"


def _interface_endpoints(plan: Plan) -> dict[str, dict[str, Any]]:
    region = plan.data["variables"]["region"]["value"]
    return {e["values"]["service_name"].split(f".{region}.", 1)[1]: e for e in plan.of_type("aws_vpc_endpoint")
            if e["values"]["vpc_endpoint_type"] == "Interface"}


def test_item14_interface_endpoints_are_the_services_the_stack_calls(plan: Plan, env: str) -> None:
    v = tfvars(env)
    found = set(_interface_endpoints(plan))
    if not v["enable_vpc_endpoints"]:
        assert not found
        return
    want = {"logs", "secretsmanager", "elasticloadbalancing"}  # awslogs; the rotation function's two APIs
    if v.get("image_pull_through_cache"):
        want |= {"ecr.api", "ecr.dkr"}  # the image comes from ECR
    assert found == want
    assert not found & {"sts", "kms", "elasticfilesystem"}  # nothing in the VPC calls them (no ECS Exec here)
    gateways = [e for e in plan.of_type("aws_vpc_endpoint") if e["values"]["vpc_endpoint_type"] == "Gateway"]
    assert [g["values"]["service_name"] for g in gateways] == ["com.amazonaws.us-east-1.s3"]


def test_item14_ecs_exec_adds_ssmmessages_and_kms(env_plan: Any) -> None:
    p = Plan(env_plan("staging", vars={"enable_execute_command": True}))
    assert {"ssmmessages", "kms"} <= set(_interface_endpoints(p))


def test_item14_readme_prices_the_endpoints_each_env_plans(plans: dict[str, Plan]) -> None:
    """The vpc README's cost table states, per env, endpoints x AZs and the monthly hours cost they imply
    at $0.01 per endpoint per AZ-hour and 730 hours (AWS PrivateLink pricing, us-east-1)."""
    text = README_VPC.read_text(encoding="utf-8")
    assert "https://aws.amazon.com/privatelink/pricing/" in text
    for env in ENVS:
        p = plans[env]
        n = len(_interface_endpoints(p))
        azs = len(tfvars(env)["azs_by_region"][tfvars(env)["region"]])
        monthly = n * azs * 0.01 * 730
        row = re.search(rf"^\| `{env}` \| (\d+) \| (\d+) \| \$([0-9.,]+) \|", text, re.MULTILINE)
        assert row, f"no cost row for {env}"
        assert (int(row.group(1)), int(row.group(2))) == (n, azs), env
        assert float(row.group(3).replace(",", "")) == pytest.approx(monthly, abs=0.01), env


def test_item10_endpoints_only_in_zones_where_the_service_is_offered(env_plan: Any) -> None:
    """The zones come from the account (DescribeVpcEndpointServices) or endpoint_service_azs; a subnet in a
    zone without the service would fail CreateVpcEndpoint."""
    p = Plan(env_plan("prod", vars={"endpoint_service_azs": {"elasticloadbalancing": ["us-east-1a", "us-east-1c"]}}))
    elb = _interface_endpoints(p)["elasticloadbalancing"]
    subnets = {s["index"]: s for s in p.of_type("aws_subnet") if s["name"] == "private"}
    assert [subnets[i]["values"]["availability_zone"] for i in (0, 2)] == ["us-east-1a", "us-east-1c"]
    # two subnets (the a and c ones), each known only after apply
    unknown = p.unknown(elb["address"]).get("subnet_ids")
    assert unknown == [True, True] or (isinstance(unknown, list) and len(unknown) == 2), unknown
    logs = _interface_endpoints(p)["logs"]
    assert len(p.unknown(logs["address"]).get("subnet_ids") or []) == 3  # offered everywhere: all three zones


def test_item10_a_service_offered_in_none_of_the_zones_fails_the_plan(tf_offline: Any, scratch_dev: Any) -> None:
    from tfoffline import harness

    with pytest.raises(harness.TerraformFailed) as failed:
        tf_offline.plan(scratch_dev, vars={"enable_vpc_endpoints": True, "endpoint_service_azs": {"logs": ["us-east-1f"]}})
    assert "The logs interface endpoint service is offered in none of us-east-1a, us-east-1b" in flat(failed.value.output)


# ---------------------------------------------------------------- item 15: the image


def test_item15_image_is_pinned_by_tag_and_digest_and_pulled_through_ecr(plan: Plan, env: str) -> None:
    v = tfvars(env)
    assert re.fullmatch(r"chromadb/chroma:1\.5\.9@sha256:[0-9a-f]{64}", v["image"])
    c = json.loads(plan.values("aws_ecs_task_definition", "this")["container_definitions"])[0]
    rules = plan.of_type("aws_ecr_pull_through_cache_rule")
    if env == "dev":
        assert not rules and c["image"] == v["image"]
        return
    (rule,) = rules
    prefix = f"chromactl-{env}-dockerhub"
    assert rule["values"]["ecr_repository_prefix"] == prefix
    assert rule["values"]["upstream_registry_url"] == "registry-1.docker.io"
    assert plan.is_set(rule, "credential_arn")  # Docker Hub needs a credential
    assert c["image"] == f"123456789012.dkr.ecr.us-east-1.amazonaws.com/{prefix}/{v['image']}"
    policy = json.loads(plan.values("aws_iam_role_policy", "execution")["policy"])
    by_sid = {st["Sid"]: st for st in policy["Statement"]}
    repo = f"arn:aws:ecr:us-east-1:123456789012:repository/{prefix}/*"
    assert by_sid["EcrPull"]["Resource"] == [repo]
    assert sorted(by_sid["EcrPullThroughCacheImport"]["Action"]) == ["ecr:BatchImportUpstreamImage", "ecr:CreateRepository"]
    assert by_sid["EcrPullThroughCacheImport"]["Resource"] == [repo]


def test_item15_a_mirrored_repository_per_region_is_pulled_with_its_own_grant(env_plan: Any) -> None:
    mirror = "111122223333.dkr.ecr.{region}.amazonaws.com/mirror/chroma:1.5.9@sha256:" + "a" * 64
    p = Plan(env_plan("dev", vars={"image": mirror, "enable_vpc_endpoints": True}))
    c = json.loads(p.values("aws_ecs_task_definition", "this")["container_definitions"])[0]
    assert c["image"] == mirror.replace("{region}", "us-east-1")
    policy = json.loads(p.values("aws_iam_role_policy", "execution")["policy"])
    pull = next(st for st in policy["Statement"] if st["Sid"] == "EcrPull")
    assert pull["Resource"] == ["arn:aws:ecr:us-east-1:111122223333:repository/mirror/chroma"]
    assert {"ecr.api", "ecr.dkr"} <= set(_interface_endpoints(p))
    assert not p.of_type("aws_ecr_pull_through_cache_rule")
