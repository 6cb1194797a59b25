"""The first rotation when Secrets Manager does NOT give the first version AWSCURRENT on its
own (moto always does, and its UpdateSecretVersionStage fails with no current version): set
and finish against botocore Stubbers, which check every call against the real API models."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.stub import ANY, Stubber

from tests.rotation.harness import load_handler

h = load_handler()
ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:chromactl-dev/alb-token-AbCdEf"
RULES = (
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/chromactl-dev/50dc6c495c0c9188/f2f7dc8efc522ab2/1111111111111111",
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/chromactl-dev/50dc6c495c0c9188/f2f7dc8efc522ab2/2222222222222222",
)
TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/chromactl-dev/73e2d6bc24d8a067"
VERSION = "0f8c2f7e-6f5a-4d2b-9f3e-1a2b3c4d5e6f"
TOKEN = "k" * 32 + "7" * 32
SETTINGS = h.Settings(rule_arns=RULES, target_group_arn=TG, endpoint_url="https://chroma.example.com")


def clients() -> tuple[Any, Any, Stubber, Stubber]:
    sm = boto3.client("secretsmanager", "us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    elb = boto3.client("elbv2", "us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    return sm, elb, Stubber(sm), Stubber(elb)


def uninitialised_rule(arn: str, header: str, value: str) -> dict[str, Any]:
    return {
        "RuleArn": arn, "Priority": "10", "IsDefault": False,
        "Conditions": [{"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": header, "Values": [value]}}],
        "Actions": [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "401", "ContentType": "application/json"}}],
    }


def expect_rules_set(elb: Stubber, values: dict[str, list[str]], before: dict[str, dict[str, Any]]) -> None:
    for arn, header in ((RULES[0], "Authorization"), (RULES[1], "X-Chroma-Token")):
        elb.add_response("describe_rules", {"Rules": [before[arn]]}, {"RuleArns": [arn]})
        elb.add_response(
            "modify_rule",
            {"Rules": []},
            {
                "RuleArn": arn,
                "Conditions": [{"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": header, "Values": values[arn]}}],
                "Actions": [{"Type": "forward", "TargetGroupArn": TG}],
            },
        )


def not_found(stub: Stubber, method: str, params: dict[str, Any]) -> None:
    stub.add_client_error(method, service_error_code="ResourceNotFoundException", http_status_code=400, expected_params=params)


def test_set_and_finish_with_no_current_version() -> None:
    sm, elb, sms, elbs = clients()
    pending_only = {"ARN": ARN, "RotationEnabled": True, "VersionIdsToStages": {VERSION: ["AWSPENDING"]}}
    before = {RULES[0]: uninitialised_rule(RULES[0], "Authorization", "Bearer uninitialised"),
              RULES[1]: uninitialised_rule(RULES[1], "X-Chroma-Token", "uninitialised")}
    wanted = {RULES[0]: [f"Bearer {TOKEN}"], RULES[1]: [TOKEN]}

    # setSecret: no AWSCURRENT anywhere -> the rules accept the pending token only.
    sms.add_response("describe_secret", pending_only, {"SecretId": ARN})
    sms.add_response("get_secret_value", {"ARN": ARN, "SecretString": TOKEN, "VersionId": VERSION},
                     {"SecretId": ARN, "VersionId": VERSION, "VersionStage": "AWSPENDING"})
    not_found(sms, "get_secret_value", {"SecretId": ARN, "VersionStage": "AWSCURRENT"})
    expect_rules_set(elbs, wanted, before)
    with sms, elbs:
        h.Rotation(ARN, VERSION, SETTINGS, sm, elb).run("setSecret")
        sms.assert_no_pending_responses()
        elbs.assert_no_pending_responses()

    # finishSecret: AWSCURRENT is attached with no version to remove it from.
    sm, elb, sms, elbs = clients()
    forwarding = {arn: {**before[arn], "Conditions": [{"Field": "http-header", "HttpHeaderConfig": {
        "HttpHeaderName": before[arn]["Conditions"][0]["HttpHeaderConfig"]["HttpHeaderName"], "Values": wanted[arn]}}],
        "Actions": [{"Type": "forward", "TargetGroupArn": TG}]} for arn in RULES}
    sms.add_response("describe_secret", pending_only, {"SecretId": ARN})
    sms.add_response("describe_secret", pending_only, {"SecretId": ARN})
    sms.add_response("update_secret_version_stage", {"ARN": ARN},
                     {"SecretId": ARN, "VersionStage": "AWSCURRENT", "MoveToVersionId": VERSION})
    sms.add_response("get_secret_value", {"ARN": ARN, "SecretString": TOKEN, "VersionId": VERSION},
                     {"SecretId": ARN, "VersionStage": "AWSCURRENT"})
    for arn in RULES:  # already exact: described, not modified
        elbs.add_response("describe_rules", {"Rules": [forwarding[arn]]}, {"RuleArns": [arn]})
    sms.add_response("update_secret_version_stage", {"ARN": ARN},
                     {"SecretId": ARN, "VersionStage": "AWSPENDING", "RemoveFromVersionId": VERSION})
    with sms, elbs:
        h.Rotation(ARN, VERSION, SETTINGS, sm, elb).run("finishSecret")
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
