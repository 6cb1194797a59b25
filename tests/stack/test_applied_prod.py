"""prod applied offline: the policies and cross-references that a plan only knows after apply.

The offline provider fills every computed value deterministically, so the state holds the
real IAM and resource policy documents with ARNs filled in; these tests read them whole.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.stack._tfplan import State, as_list, flat, statements

pytestmark = pytest.mark.slow

# Actions AWS offers no resource-level permissions for: the only ones allowed on "*".
STAR_OK = {
    "ecr:GetAuthorizationToken",
    "ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel",
    "logs:DescribeLogGroups",
    "elasticloadbalancing:DescribeRules", "elasticloadbalancing:DescribeTags",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "xray:PutTraceSegments", "xray:PutTelemetryRecords",
}


def test_no_star_resource_where_aws_allows_narrower(prod_state: State) -> None:
    policies = prod_state.of_type("aws_iam_role_policy")
    assert {p["name"] for p in policies} == {"execution", "task", "rotation", "flow_logs"}
    for p in policies:
        for st in statements(json.loads(p["values"]["policy"])):
            assert st["Effect"] == "Allow"
            assert not any(a.endswith(":*") or a == "*" for a in as_list(st["Action"])), (p["address"], st)
            if "*" in as_list(st["Resource"]):
                assert set(as_list(st["Action"])) <= STAR_OK, (p["address"], st["Sid"])


def test_task_role_mounts_only_through_the_access_point(prod_state: State) -> None:
    fs = prod_state.values("aws_efs_file_system", "this")
    ap = prod_state.values("aws_efs_access_point", "this")
    (st,) = statements(prod_state.policy("aws_iam_role_policy", "task"))  # prod: no ECS Exec statements
    assert sorted(st["Action"]) == ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
    assert st["Resource"] == f"arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/{fs['id']}"
    assert st["Condition"] == {"StringEquals": {"elasticfilesystem:AccessPointArn": ap["arn"]}}


def test_file_system_policy_denies_plain_nfs_and_admits_only_the_task_role_via_the_access_point(prod_state: State) -> None:
    fs = prod_state.values("aws_efs_file_system", "this")
    ap = prod_state.values("aws_efs_access_point", "this")
    task_role = prod_state.values("aws_iam_role", "task")
    policy = prod_state.policy("aws_efs_file_system_policy", "this")
    assert prod_state.values("aws_efs_file_system_policy", "this")["file_system_id"] == fs["id"]
    by_sid = {st["Sid"]: st for st in statements(policy)}
    deny, allow = by_sid["DenyInsecureTransport"], by_sid["TaskMountsThroughAccessPoint"]
    assert deny["Effect"] == "Deny" and deny["Principal"] == {"AWS": "*"} and deny["Action"] == "*"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert allow["Effect"] == "Allow" and allow["Principal"] == {"AWS": [task_role["arn"]]}
    assert sorted(allow["Action"]) == ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
    assert allow["Condition"]["StringEquals"] == {"elasticfilesystem:AccessPointArn": ap["arn"]}
    assert ap["file_system_id"] == fs["id"]


def test_rotation_role_owns_only_this_listeners_rules_and_the_one_secret(prod_state: State) -> None:
    secret = prod_state.values("aws_secretsmanager_secret", "token")
    listener = next(r["values"] for r in prod_state.of_type("aws_lb_listener") if r["values"]["port"] == 443)
    token_key = prod_state.values("aws_kms_key", "token")
    by_sid = {st["Sid"]: st for st in statements(prod_state.policy("aws_iam_role_policy", "rotation"))}
    assert sorted(by_sid["OwnAuthRules"]["Action"]) == [
        "elasticloadbalancing:AddTags", "elasticloadbalancing:CreateRule", "elasticloadbalancing:ModifyRule"]
    rules_of_listener = listener["arn"].replace(":listener/", ":listener-rule/") + "/*"
    assert by_sid["OwnAuthRules"]["Resource"] == [listener["arn"], rules_of_listener]
    assert sorted(by_sid["ReadRules"]["Action"]) == ["elasticloadbalancing:DescribeRules", "elasticloadbalancing:DescribeTags"]
    assert by_sid["TokenSecret"]["Resource"] == secret["arn"]
    assert sorted(by_sid["TokenSecret"]["Action"]) == [
        "secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue", "secretsmanager:ListSecretVersionIds",
        "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"]
    assert by_sid["TokenKey"]["Resource"] == token_key["arn"]
    assert secret["kms_key_id"] == token_key["arn"]


def test_rotation_function_environment_names_the_listener_target_group_and_endpoint(prod_state: State) -> None:
    fn = prod_state.values("aws_lambda_function", "rotation")
    listener = next(r["values"] for r in prod_state.of_type("aws_lb_listener") if r["values"]["port"] == 443)
    tg = prod_state.values("aws_lb_target_group", "this")
    variables = fn["environment"][0]["variables"]
    assert variables["LISTENER_ARN"] == listener["arn"]
    assert variables["SECRET_ARN"] == prod_state.values("aws_secretsmanager_secret", "token")["arn"]
    assert (variables["GRACE_SECONDS"], variables["STUCK_AFTER_SECONDS"]) == ("3600", "3600")
    assert variables["TARGET_GROUP_ARN"] == tg["arn"]
    lb = prod_state.values("aws_lb", "this")
    # The ALB's own name, with the domain as TLS server name: the domain may not point at this ALB yet.
    assert variables == {**variables, "ENDPOINT_URL": f"https://{lb['dns_name']}", "VERIFY_TLS": "true",
                         "TLS_SERVER_NAME": "chroma.example.com"}
    role = prod_state.values("aws_iam_role", "rotation")
    assert fn["role"] == role["arn"]
    private = {s["values"]["id"] for s in prod_state.of_type("aws_subnet") if s["name"] == "private"}
    assert set(fn["vpc_config"][0]["subnet_ids"]) == private
    perm = prod_state.values("aws_lambda_permission", "rotation")
    secret = prod_state.values("aws_secretsmanager_secret", "token")
    assert (perm["source_arn"], perm["function_name"]) == (secret["arn"], fn["function_name"])


def test_rotation_waits_for_its_function_permission_listener_and_service(prod_state: State) -> None:
    rot = prod_state.one("aws_secretsmanager_secret_rotation", "token")
    deps = set(rot.get("depends_on", []))
    assert {"module.stack.aws_lambda_permission.rotation", "module.stack.aws_lambda_function.rotation"} <= deps
    # the listener and heartbeat rule (the function creates the token rules on the listener)
    assert "module.stack.module.alb.aws_lb_listener.https" in deps
    assert "module.stack.module.alb.aws_lb_listener_rule.heartbeat" in deps
    assert "module.stack.module.ecs.aws_ecs_service.this" in deps
    assert "aws_secretsmanager_secret_version" not in {r["type"] for r in prod_state.resources}


def test_service_runs_in_private_subnets_behind_the_alb_only(prod_state: State) -> None:
    svc = prod_state.values("aws_ecs_service", "this")
    task_sg = prod_state.values("aws_security_group", "task")
    alb_sg = prod_state.values("aws_security_group", "alb")
    efs_sg = prod_state.values("aws_security_group", "efs")
    private = {s["values"]["id"] for s in prod_state.of_type("aws_subnet") if s["name"] == "private"}
    net = svc["network_configuration"][0]
    assert set(net["subnets"]) == private and net["security_groups"] == [task_sg["id"]]
    rules = [r["values"] for r in prod_state.of_type("aws_vpc_security_group_ingress_rule")]
    into_task = [r for r in rules if r["security_group_id"] == task_sg["id"]]
    into_efs = [r for r in rules if r["security_group_id"] == efs_sg["id"]]
    assert [(r["referenced_security_group_id"], r["from_port"], r["cidr_ipv4"]) for r in into_task] == [(alb_sg["id"], 8000, None)]
    assert [(r["referenced_security_group_id"], r["from_port"], r["cidr_ipv4"]) for r in into_efs] == [(task_sg["id"], 2049, None)]
    mounts = prod_state.of_type("aws_efs_mount_target")
    assert {m["values"]["subnet_id"] for m in mounts} == private
    assert all(m["values"]["security_groups"] == [efs_sg["id"]] for m in mounts)


def test_task_definition_points_at_this_file_system_and_access_point(prod_state: State) -> None:
    td = prod_state.values("aws_ecs_task_definition", "this")
    fs = prod_state.values("aws_efs_file_system", "this")
    ap = prod_state.values("aws_efs_access_point", "this")
    vol = next(v for v in td["volume"] if v["name"] == "chroma-data")["efs_volume_configuration"][0]
    assert vol["file_system_id"] == fs["id"]
    assert vol["authorization_config"][0]["access_point_id"] == ap["id"]
    assert td["task_role_arn"] == prod_state.values("aws_iam_role", "task")["arn"]
    assert td["execution_role_arn"] == prod_state.values("aws_iam_role", "execution")["arn"]
    exec_policy = statements(prod_state.policy("aws_iam_role_policy", "execution"))
    app = next(g["values"] for g in prod_state.of_type("aws_cloudwatch_log_group") if g["index"] == "app")
    assert exec_policy[0]["Resource"] == f"arn:aws:logs:us-east-1:123456789012:log-group:{app['name']}:log-stream:*"


def test_keys_encrypt_what_they_should(prod_state: State) -> None:
    logs_key = prod_state.values("aws_kms_key", "logs")["arn"]
    alarms_key = prod_state.values("aws_kms_key", "alarms")["arn"]
    efs_key = prod_state.values("aws_kms_key", "this", "module.stack.module.efs")["arn"]
    backup_key = prod_state.values("aws_kms_key", "backup")["arn"]
    dr_key = prod_state.values("aws_kms_key", "dr")
    dr_backup_key = prod_state.values("aws_kms_key", "dr_backup")
    for g in prod_state.of_type("aws_cloudwatch_log_group"):
        assert g["values"]["kms_key_id"] == logs_key, g["address"]
    # issue 12: the topic, the vaults and the data each have their own key
    assert prod_state.values("aws_sns_topic", "alarms")["kms_master_key_id"] == alarms_key != logs_key
    assert prod_state.values("aws_efs_file_system", "this")["kms_key_id"] == efs_key
    assert prod_state.values("aws_backup_vault", "this")["kms_key_arn"] == backup_key != efs_key
    assert dr_key["region"] == "us-west-2" and ":us-west-2:" in dr_key["arn"]
    dr_vault = prod_state.values("aws_backup_vault", "dr")
    assert dr_vault["region"] == "us-west-2" and dr_vault["kms_key_arn"] == dr_backup_key["arn"] != dr_key["arn"]
    assert dr_backup_key["region"] == "us-west-2"
    repl = prod_state.values("aws_efs_replication_configuration", "this")
    assert repl["destination"][0]["kms_key_id"] == dr_key["arn"] and repl["destination"][0]["region"] == "us-west-2"
    plan = prod_state.values("aws_backup_plan", "this")
    assert plan["rule"][0]["copy_action"][0]["destination_vault_arn"] == dr_vault["arn"]
    selection = prod_state.values("aws_backup_selection", "this")
    assert selection["resources"] == [prod_state.values("aws_efs_file_system", "this")["arn"]]
    assert selection["iam_role_arn"] == prod_state.values("aws_iam_role", "backup")["arn"]


def test_access_log_bucket_policy_is_tls_only_and_admits_log_delivery(prod_state: State) -> None:
    bucket = prod_state.values("aws_s3_bucket", "logs")
    delivery, deny = statements(prod_state.policy("aws_s3_bucket_policy", "logs"))
    assert delivery["Principal"] == {"AWS": "arn:aws:iam::127311923021:root"}  # us-east-1's ELB log account
    assert delivery["Action"] == "s3:PutObject"
    assert delivery["Resource"] == f"{bucket['arn']}/alb/AWSLogs/123456789012/*"
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    lb = prod_state.values("aws_lb", "this")
    assert lb["access_logs"][0]["bucket"] == bucket["id"]


def test_dashboard_shows_the_alarmed_metrics(prod_state: State) -> None:
    body = json.loads(prod_state.values("aws_cloudwatch_dashboard", "this")["dashboard_body"])
    text = json.dumps(body)
    assert len(body["widgets"]) >= 6
    for metric in ("RequestCount", "TargetResponseTime", "CPUUtilization", "MemoryUtilization", "RunningTaskCount",
                   "UnHealthyHostCount", "PercentIOLimit", "LatencyP95", "TimeSinceLastSync"):
        assert metric in text, metric


def test_service_waits_for_a_listener_rule_to_forward_to_its_target_group(prod_state: State) -> None:
    """ECS rejects a service whose target group no listener uses; the heartbeat rule is the first that does."""
    svc = prod_state.one("aws_ecs_service", "this")
    assert "module.stack.module.alb.aws_lb_listener_rule.heartbeat" in svc.get("depends_on", [])
    hb = prod_state.values("aws_lb_listener_rule", "heartbeat")
    tg = prod_state.values("aws_lb_target_group", "this")
    assert hb["action"][0]["target_group_arn"] == tg["arn"]
    assert svc["values"]["load_balancer"][0]["target_group_arn"] == tg["arn"]


def test_replication_lag_alarm_and_dashboard_name_source_and_replica(prod_state: State) -> None:
    """Issue 12 item 3: TimeSinceLastSync is published per (FileSystemId, DestinationFileSystemId)."""
    fs = prod_state.values("aws_efs_file_system", "this")["id"]
    replica = prod_state.values("aws_efs_replication_configuration", "this")["destination"][0]["file_system_id"]
    alarm = prod_state.values("aws_cloudwatch_metric_alarm", "replication_lag")
    assert alarm["dimensions"] == {"FileSystemId": fs, "DestinationFileSystemId": replica}
    body = json.loads(prod_state.values("aws_cloudwatch_dashboard", "this")["dashboard_body"])
    rows = [m for w in body["widgets"] for m in w["properties"].get("metrics", []) if "TimeSinceLastSync" in m]
    assert rows and all(m[2:6] == ["FileSystemId", fs, "DestinationFileSystemId", replica] for m in rows)


def test_rotation_role_has_no_unused_grants_and_manages_only_its_own_enis(prod_state: State) -> None:
    """Issue 12 item 17: GetRandomPassword is not called (the function draws the token itself), and
    DeleteNetworkInterface and friends are limited to ENIs in the function's subnets."""
    by_sid = {st["Sid"]: st for st in statements(prod_state.policy("aws_iam_role_policy", "rotation"))}
    actions = {a for st in by_sid.values() for a in as_list(st["Action"])}
    assert "secretsmanager:GetRandomPassword" not in actions
    fn = prod_state.values("aws_lambda_function", "rotation")
    subnets = sorted(f"arn:aws:ec2:us-east-1:123456789012:subnet/{s}" for s in fn["vpc_config"][0]["subnet_ids"])
    eni = by_sid["VpcEniManage"]
    assert "ec2:DeleteNetworkInterface" in as_list(eni["Action"])
    assert sorted(eni["Condition"]["ArnEquals"]["ec2:Subnet"]) == subnets


CLIENT_ACTIONS = ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientRootAccess", "elasticfilesystem:ClientWrite"]


def _mount_denials(policy: dict[str, Any], ap_arn: str) -> tuple[list[str], dict[str, dict[str, Any]]]:
    by_sid = {st["Sid"]: st for st in statements(policy)}
    who, bypass = by_sid["DenyClientsButTheTaskAndBreakGlassRoles"], by_sid["DenyMountsBypassingTheAccessPoint"]
    for st in (who, bypass):
        assert st["Effect"] == "Deny" and st["Principal"] == {"AWS": "*"} and sorted(st["Action"]) == CLIENT_ACTIONS
    assert bypass["Condition"] == {"StringNotEquals": {"elasticfilesystem:AccessPointArn": ap_arn}}
    return sorted(who["Condition"]["ArnNotEquals"]["aws:PrincipalArn"]), by_sid


def test_file_system_policy_denies_every_other_principal_even_with_client_grants(prod_state: State) -> None:
    """Issue 12 item 13: an in-account identity policy with elasticfilesystem:Client* cannot mount."""
    task_role = prod_state.values("aws_iam_role", "task")["arn"]
    ap = prod_state.values("aws_efs_access_point", "this")["arn"]
    allowed, _ = _mount_denials(prod_state.policy("aws_efs_file_system_policy", "this"), ap)
    assert allowed == [task_role]


def test_break_glass_roles_may_mount_through_the_access_point_over_tls(tf_offline: Any) -> None:
    root = tf_offline.copy("envs/dev")
    glass = "arn:aws:iam::123456789012:role/chroma-break-glass"
    tf_offline.apply(root, vars={"efs_break_glass_role_arns": [glass]})
    state = State(tf_offline.state(root))
    task_role = state.values("aws_iam_role", "task")["arn"]
    ap = state.values("aws_efs_access_point", "this")["arn"]
    policy = state.policy("aws_efs_file_system_policy", "this")
    allowed, by_sid = _mount_denials(policy, ap)
    assert allowed == sorted([task_role, glass])
    assert sorted(by_sid["TaskMountsThroughAccessPoint"]["Principal"]["AWS"]) == sorted([task_role, glass])
    assert by_sid["DenyInsecureTransport"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    # dev is a sandbox (protect_data = false): no guard, and a destroy plans
    assert not state.of_type("terraform_data")
    proc = tf_offline.run(root, "plan", "-destroy", "-input=false", "-no-color", "-lock=false")
    assert proc.returncode == 0, flat(proc.stdout + proc.stderr)[-1500:]


# ---------------------------------------------------------------- issue 12 item 12: backups hard to lose


def test_vaults_are_locked_in_compliance_mode_at_the_plans_retention(prod_state: State) -> None:
    locks = {r["name"]: r["values"] for r in prod_state.of_type("aws_backup_vault_lock_configuration")}
    assert set(locks) == {"this", "dr"}
    assert locks["this"]["backup_vault_name"] == prod_state.values("aws_backup_vault", "this")["name"]
    assert locks["dr"]["backup_vault_name"] == prod_state.values("aws_backup_vault", "dr")["name"]
    rule = prod_state.values("aws_backup_plan", "this")["rule"][0]
    assert locks["this"]["min_retention_days"] == rule["lifecycle"][0]["delete_after"] == 35
    assert locks["dr"]["min_retention_days"] == rule["copy_action"][0]["lifecycle"][0]["delete_after"]
    assert locks["this"]["changeable_for_days"] == locks["dr"]["changeable_for_days"] == 7  # compliance, 7-day grace


def test_failed_backup_and_copy_jobs_reach_the_alarm_topic(prod_state: State) -> None:
    topic = prod_state.values("aws_sns_topic", "alarms")
    rule = prod_state.values("aws_cloudwatch_event_rule", "backup_failures")
    assert json.loads(rule["event_pattern"]) == {
        "source": ["aws.backup"],
        "detail-type": ["Backup Job State Change", "Copy Job State Change"],
        "detail": {"state": ["FAILED", "ABORTED", "EXPIRED"]},
    }
    target = prod_state.values("aws_cloudwatch_event_target", "backup_failures")
    assert (target["rule"], target["arn"]) == (rule["name"], topic["arn"])
    by_sid = {st["Sid"]: st for st in statements(prod_state.policy("aws_sns_topic_policy", "alarms"))}
    events = by_sid["BackupFailureEventsPublish"]
    assert events["Principal"] == {"Service": "events.amazonaws.com"} and events["Action"] == "sns:Publish"
    assert events["Condition"] == {"ArnEquals": {"aws:SourceArn": rule["arn"]}}
    # the topic is encrypted: its key must let EventBridge and CloudWatch publish
    key_policy = json.loads(prod_state.values("aws_kms_key", "alarms")["policy"])
    use = next(st for st in statements(key_policy) if st["Sid"] == "AlarmAndEventPublishersUse")
    assert sorted(use["Principal"]["Service"]) == ["cloudwatch.amazonaws.com", "events.amazonaws.com"]
    assert sorted(use["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]


def test_a_protected_env_refuses_any_plan_that_destroys_its_data(tf_offline: Any, prod_root: Any) -> None:
    state = State(tf_offline.state(prod_root))
    guard = state.values("terraform_data", "protect")
    keys = [state.values("aws_kms_key", n, "module.stack.module.efs")["arn"] for n in ("this", "backup", "dr", "dr_backup")]
    assert guard["triggers_replace"] == [state.values("aws_efs_file_system", "this")["id"], *keys]
    proc = tf_offline.run(prod_root, "plan", "-destroy", "-input=false", "-no-color", "-lock=false")
    out = flat(proc.stdout + proc.stderr)
    assert proc.returncode != 0 and "Instance cannot be destroyed" in out, out[-1500:]
    assert "terraform_data.protect" in out


def test_the_listener_goes_before_the_target_group_on_destroy(prod_state: State) -> None:
    """The function's token rules forward to the target group; they die with the listener (AWS
    deletes a listener's rules with it), so the listener must be destroyed first."""
    listener = next(r for r in prod_state.of_type("aws_lb_listener") if r["values"]["port"] == 443)
    assert "module.stack.module.alb.aws_lb_target_group.this" in listener.get("depends_on", [])
