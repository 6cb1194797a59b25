"""Drift check of the ALB token rules (issue 14).

The token rules are the rotation function's, not Terraform's, so `terraform plan` cannot see
them drift. This check reads the HTTPS listener's rules (DescribeRules) and the secret's stages
and says whether the listener is in the state the function keeps it in: exactly one
`Authorization` rule (priority 10) and one `X-Chroma-Token` rule (priority 20), each forwarding
to the stack's target group and accepting the current token, plus at most the previous token (in
its grace period) and a pending one (a rotation in progress), never anything else. Token values
are compared, never printed: findings name rules and counts only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chromactl.aws.session import error_code

CURRENT, PENDING, PREVIOUS = "AWSCURRENT", "AWSPENDING", "AWSPREVIOUS"
RULES = {"authorization": (10, "Authorization"), "x-chroma-token": (20, "X-Chroma-Token")}


@dataclass
class RulesReport:
    listener_arn: str
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {"listener_arn": self.listener_arn, "ok": self.ok, "rules": self.rules, "problems": list(self.problems)}


def _token_values(sm: Any, secret_id: str) -> dict[str, str | None]:
    from botocore.exceptions import ClientError

    out: dict[str, str | None] = {}
    for stage in (CURRENT, PENDING, PREVIOUS):
        try:
            out[stage] = sm.get_secret_value(SecretId=secret_id, VersionStage=stage).get("SecretString")
        except ClientError as exc:
            if error_code(exc) != "ResourceNotFoundException":
                raise
            out[stage] = None
    return out


def check_rules(elb: Any, sm: Any, listener_arn: str, target_group_arn: str, secret_id: str) -> RulesReport:
    """Compare the listener's token rules with the secret; a report, never a token value."""
    report = RulesReport(listener_arn=listener_arn)
    rules = elb.describe_rules(ListenerArn=listener_arn).get("Rules") or []
    tokens = _token_values(sm, secret_id)
    current = tokens[CURRENT]
    allowed = {t for t in tokens.values() if t}
    found: dict[str, list[dict[str, Any]]] = {h: [] for h in RULES}
    for rule in rules:
        for cond in rule.get("Conditions") or []:
            name = str((cond.get("HttpHeaderConfig") or {}).get("HttpHeaderName", "")).lower()
            if cond.get("Field") == "http-header" and name in RULES:
                found[name].append(rule)
    for header, (priority, label) in RULES.items():
        got = found[header]
        if not got:
            report.rules[header] = {"present": False}
            if current:
                report.problems.append(f"the {label} rule is missing (the listener refuses every token; the scheduled maintenance re-creates it)")
            continue
        if len(got) > 1:
            report.problems.append(f"{len(got)} {label} rules on the listener (expected one, at priority {priority})")
        rule = got[0]
        values: list[str] = []
        for cond in rule.get("Conditions") or []:
            values += list((cond.get("HttpHeaderConfig") or {}).get("Values") or [])
        plain = [v[len("Bearer "):] if header == "authorization" and v.lower().startswith("bearer ") else v for v in values]
        actions = rule.get("Actions") or []
        forwards = len(actions) == 1 and actions[0].get("Type") == "forward" and (
            actions[0].get("TargetGroupArn") == target_group_arn
            or [t.get("TargetGroupArn") for t in (actions[0].get("ForwardConfig") or {}).get("TargetGroups") or []] == [target_group_arn]
        )
        report.rules[header] = {"present": True, "priority": str(rule.get("Priority")), "values": len(values), "forwards": forwards}
        if str(rule.get("Priority")) != str(priority):
            report.problems.append(f"the {label} rule is at priority {rule.get('Priority')}, not {priority}")
        if not forwards:
            report.problems.append(f"the {label} rule does not forward to the stack's target group")
        if len(rule.get("Conditions") or []) != 1:
            report.problems.append(f"the {label} rule has {len(rule.get('Conditions') or [])} conditions (expected the one header condition)")
        if current and current not in plain:
            report.problems.append(f"the {label} rule does not accept the current token")
        foreign = [v for v in plain if v not in allowed]
        if foreign:
            report.problems.append(f"the {label} rule accepts {len(foreign)} value(s) that are no version of the secret")
        if any("*" in v or "?" in v for v in values):
            report.problems.append(f"the {label} rule holds a wildcard (* or ?): it matches more than the token")
    return report
