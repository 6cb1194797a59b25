"""The first rotation when Secrets Manager does NOT give the first version AWSCURRENT on its
own (moto always does, and its UpdateSecretVersionStage fails with no current version): set
and finish against botocore Stubbers, which check every call against the real API models
(botocore/data/secretsmanager/2017-10-17/service-2.json, elbv2/2015-12-01/service-2.json).

Before the first rotation the listener holds only its default 401 and the heartbeat rule:
setSecret creates the two token rules (CreateRule at priorities 10 and 20)."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.stub import ANY, Stubber

from tests.rotation.harness import load_handler

h = load_handler()
ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:chromactl-dev/alb-token-AbCdEf"
LISTENER = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/chromactl-dev/50dc6c495c0c9188/f2f7dc8efc522ab2"
RULE_PREFIX = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/chromactl-dev/50dc6c495c0c9188/f2f7dc8efc522ab2/"
TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/chromactl-dev/73e2d6bc24d8a067"
VERSION = "0f8c2f7e-6f5a-4d2b-9f3e-1a2b3c4d5e6f"
TOKEN = "k" * 32 + "7" * 32
SETTINGS = h.Settings(listener_arn=LISTENER, target_group_arn=TG, endpoint_url="https://chroma.example.com")
NOW = 1_800_000_000.0
FORWARD = [{"Type": "forward", "TargetGroupArn": TG}]


def clients() -> tuple[Any, Any, Stubber, Stubber]:
    sm = boto3.client("secretsmanager", "us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    elb = boto3.client("elbv2", "us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    return sm, elb, Stubber(sm), Stubber(elb)


def default_and_heartbeat() -> list[dict[str, Any]]:
    return [
        {"RuleArn": RULE_PREFIX + "0000000000000001", "Priority": "1", "IsDefault": False,
         "Conditions": [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/api/v2/heartbeat"]}},
                        {"Field": "http-request-method", "HttpRequestMethodConfig": {"Values": ["GET"]}}],
         "Actions": FORWARD},
        {"RuleArn": RULE_PREFIX + "000000000000dfdf", "Priority": "default", "IsDefault": True, "Conditions": [],
         "Actions": [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "401", "ContentType": "application/json"}}]},
    ]


def token_rule(n: int, header: str, values: list[str]) -> dict[str, Any]:
    return {"RuleArn": RULE_PREFIX + f"{n:016x}", "Priority": str(n), "IsDefault": False,
            "Conditions": [{"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": header, "Values": values}}],
            "Actions": FORWARD}


def not_found(stub: Stubber, method: str, params: dict[str, Any]) -> None:
    stub.add_client_error(method, service_error_code="ResourceNotFoundException", http_status_code=400, expected_params=params)


def describe(elb: Stubber, rules: list[dict[str, Any]]) -> None:
    elb.add_response("describe_rules", {"Rules": rules}, {"ListenerArn": LISTENER, "PageSize": 400})


def test_set_creates_the_rules_and_finish_completes_with_no_current_version() -> None:
    sm, elb, sms, elbs = clients()
    pending_only = {"ARN": ARN, "RotationEnabled": True, "VersionIdsToStages": {VERSION: ["AWSPENDING"]}}
    wanted = {10: ("Authorization", [f"Bearer {TOKEN}"]), 20: ("X-Chroma-Token", [TOKEN])}

    # setSecret: no AWSCURRENT anywhere -> the rules, created now, accept the pending token only.
    sms.add_response("describe_secret", pending_only, {"SecretId": ARN})
    sms.add_response("get_secret_value", {"ARN": ARN, "SecretString": TOKEN, "VersionId": VERSION},
                     {"SecretId": ARN, "VersionId": VERSION, "VersionStage": "AWSPENDING"})
    not_found(sms, "get_secret_value", {"SecretId": ARN, "VersionStage": "AWSCURRENT"})
    sms.add_response("describe_secret", pending_only, {"SecretId": ARN})
    describe(elbs, default_and_heartbeat())
    for priority, (header, values) in wanted.items():
        elbs.add_response(
            "create_rule", {"Rules": [token_rule(priority, header, values)]},
            {"ListenerArn": LISTENER, "Priority": priority, "Actions": FORWARD,
             "Conditions": [{"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": header, "Values": values}}]},
        )
    with sms, elbs:
        h.Rotation(ARN, VERSION, SETTINGS, sm, elb, clock=lambda: NOW).run("setSecret")
        sms.assert_no_pending_responses()
        elbs.assert_no_pending_responses()

    # finishSecret: AWSCURRENT is attached with no version to remove it from; there is no
    # previous token, so the rules keep the one token; the grace tags are written all the same.
    sm, elb, sms, elbs = clients()
    created = [token_rule(p, hv[0], hv[1]) for p, hv in wanted.items()] + default_and_heartbeat()
    sms.add_response("describe_secret", pending_only, {"SecretId": ARN})
    sms.add_response("describe_secret", pending_only, {"SecretId": ARN})
    sms.add_response("update_secret_version_stage", {"ARN": ARN},
                     {"SecretId": ARN, "VersionStage": "AWSCURRENT", "MoveToVersionId": VERSION})
    describe(elbs, created)  # the grace record: none yet
    elbs.add_response("describe_tags", {"TagDescriptions": []}, {"ResourceArns": ANY})
    not_found(sms, "get_secret_value", {"SecretId": ARN, "VersionStage": "AWSPREVIOUS"})
    sms.add_response("get_secret_value", {"ARN": ARN, "SecretString": TOKEN, "VersionId": VERSION},
                     {"SecretId": ARN, "VersionStage": "AWSCURRENT"})
    describe(elbs, created)  # already exact: described, not modified
    elbs.add_response("add_tags", {}, {"ResourceArns": [RULE_PREFIX + f"{10:016x}", RULE_PREFIX + f"{20:016x}"],
                                       "Tags": [{"Key": "chromactl:grace-until", "Value": str(int(NOW + 3600))},
                                                {"Key": "chromactl:grace-for", "Value": VERSION}]})
    sms.add_response("update_secret_version_stage", {"ARN": ARN},
                     {"SecretId": ARN, "VersionStage": "AWSPENDING", "RemoveFromVersionId": VERSION})
    with sms, elbs:
        h.Rotation(ARN, VERSION, SETTINGS, sm, elb, clock=lambda: NOW).run("finishSecret")
        sms.assert_no_pending_responses()
        elbs.assert_no_pending_responses()


def test_create_makes_the_first_version_without_a_current_one() -> None:
    sm, elb, sms, _ = clients()
    sms.add_response("describe_secret", {"ARN": ARN, "RotationEnabled": True}, {"SecretId": ARN})
    not_found(sms, "get_secret_value", {"SecretId": ARN, "VersionId": VERSION, "VersionStage": "AWSPENDING"})
    sms.add_response("put_secret_value", {"ARN": ARN, "VersionId": VERSION},
                     {"SecretId": ARN, "ClientRequestToken": VERSION, "SecretString": ANY, "VersionStages": ["AWSPENDING"]})
    with sms:
        h.Rotation(ARN, VERSION, SETTINGS, sm, elb).run("createSecret")
        sms.assert_no_pending_responses()
