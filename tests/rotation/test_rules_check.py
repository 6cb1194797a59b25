"""`chromactl token check`'s core: drift of the function-owned token rules, against moto."""

from __future__ import annotations

import boto3
from chromactl.rotation.rules import check_rules

from tests.rotation import harness


def _check(rig: harness.Rotator):  # type: ignore[no-untyped-def]
    elb = boto3.client("elbv2", harness.REGION)
    sm = boto3.client("secretsmanager", harness.REGION)
    return check_rules(elb, sm, rig.stack.listener_arn, rig.stack.target_group_arn, rig.secret_arn)


def test_in_shape_before_and_after_rotations(rig: harness.Rotator) -> None:
    assert _check(rig).ok  # no token yet, no rule: closed, as designed
    rig.rotate()
    report = _check(rig)
    assert report.ok, report.problems
    assert report.rules["authorization"] == {"present": True, "priority": "10", "values": 1, "forwards": True}


def test_drift_is_found_and_no_value_is_shown(rig: harness.Rotator) -> None:
    rig.rotate()
    token = harness.value(rig.secret_arn)
    elb = boto3.client("elbv2", harness.REGION)
    bearer, header = rig.stack.bearer_rule_arn, rig.stack.header_rule_arn
    foreign = "z" * 64
    elb.modify_rule(RuleArn=bearer, Conditions=[{"Field": "http-header", "HttpHeaderConfig": {
        "HttpHeaderName": "Authorization", "Values": [f"Bearer {token}", f"Bearer {foreign}", "Bearer *"]}}])
    elb.delete_rule(RuleArn=header)
    report = _check(rig)
    text = " ".join(report.problems)
    assert not report.ok
    assert "X-Chroma-Token rule is missing" in text
    assert "accepts 2 value(s) that are no version of the secret" in text
    assert "wildcard" in text
    assert token not in str(report.to_dict()) and foreign not in str(report.to_dict())
    # the scheduled maintenance repairs it
    rig.maintain()
    assert _check(rig).ok
