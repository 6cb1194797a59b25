"""A stand-in for what Terraform builds (ALB, HTTPS listener with its 401 default, the
heartbeat rule, target group, the secret with rotation on; not the token rules, which the
rotation function owns) in moto, and a driver that runs the real
rotation handler's steps against it the way Secrets Manager would."""

from __future__ import annotations

import importlib.util
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3

from tests.fixtures.nginx_proxy import UNAUTHORIZED_BODY

ROOT = Path(__file__).resolve().parents[2]
HANDLER_PATH = ROOT / "functions" / "token_rotation" / "handler.py"
REGION = "us-east-1"
SECRET_NAME = "chromactl-dev/alb-token"  # as terraform/stack names it
UNINITIALISED = {"authorization": "Bearer uninitialised", "x-chroma-token": "uninitialised"}


def load_handler() -> ModuleType:
    """The Lambda's handler.py, imported from its file as the runtime would."""
    name = "token_rotation_handler"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, HANDLER_PATH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@dataclass
class AlbStack:
    listener_arn: str
    target_group_arn: str
    heartbeat_rule_arn: str
    region: str = REGION

    def auth_rules(self) -> dict[str, dict[str, Any]]:
        """{"authorization"|"x-chroma-token": rule} as the rotation function left them (none at first)."""
        rules = boto3.client("elbv2", self.region).describe_rules(ListenerArn=self.listener_arn)["Rules"]
        found: dict[str, dict[str, Any]] = {}
        for rule in rules:
            for cond in rule.get("Conditions", []):
                name = str((cond.get("HttpHeaderConfig") or {}).get("HttpHeaderName", "")).lower()
                if cond.get("Field") == "http-header" and name in UNINITIALISED:
                    assert name not in found, f"two {name} rules on the listener"
                    found[name] = rule
        return found

    @property
    def bearer_rule_arn(self) -> str:
        return str(self.auth_rules()["authorization"]["RuleArn"])

    @property
    def header_rule_arn(self) -> str:
        return str(self.auth_rules()["x-chroma-token"]["RuleArn"])

    @property
    def rule_arns(self) -> list[str]:
        rules = self.auth_rules()
        return [str(rules[h]["RuleArn"]) for h in ("authorization", "x-chroma-token") if h in rules]


# The listener's default action and the rules' shape as terraform/modules/alb writes them.
UNAUTHORIZED = {
    "Type": "fixed-response",
    "FixedResponseConfig": {
        "StatusCode": "401",
        "ContentType": "application/json",
        "MessageBody": UNAUTHORIZED_BODY,
    },
}


def build_alb(region: str = REGION) -> AlbStack:
    """VPC, two subnets, an ALB, a target group, an HTTPS listener whose default action is 401
    and the open GET /api/v2/heartbeat rule: what Terraform creates. The token rules are not
    Terraform's: the rotation function creates them."""
    ec2 = boto3.client("ec2", region)
    elb = boto3.client("elbv2", region)
    acm = boto3.client("acm", region)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{region}{az}")["Subnet"]["SubnetId"]
        for i, az in ((1, "a"), (2, "b"))
    ]
    lb = elb.create_load_balancer(Name=f"chromactl-dev-{uuid.uuid4().hex[:6]}", Subnets=subnets, Scheme="internet-facing")["LoadBalancers"][0]
    tg = elb.create_target_group(Name=f"chromactl-dev-{uuid.uuid4().hex[:6]}", Protocol="HTTP", Port=8000, VpcId=vpc, TargetType="ip")
    tg_arn = tg["TargetGroups"][0]["TargetGroupArn"]
    cert = acm.request_certificate(DomainName="chroma.example.com")["CertificateArn"]
    listener = elb.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTPS", Port=443, Certificates=[{"CertificateArn": cert}],
        SslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06", DefaultActions=[UNAUTHORIZED],
    )["Listeners"][0]["ListenerArn"]
    heartbeat = elb.create_rule(
        ListenerArn=listener, Priority=1,
        Conditions=[
            {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/api/v2/heartbeat"]}},
            {"Field": "http-request-method", "HttpRequestMethodConfig": {"Values": ["GET"]}},
        ],
        Actions=[{"Type": "forward", "TargetGroupArn": tg_arn}],
    )["Rules"][0]["RuleArn"]
    return AlbStack(listener_arn=listener, target_group_arn=tg_arn, heartbeat_rule_arn=heartbeat, region=region)


def create_secret(region: str = REGION, name: str = SECRET_NAME) -> str:
    """The secret as Terraform creates it: no value, rotation on. (moto's RotateSecret without a
    function and RotateImmediately=False only switches rotation on for a secret with no versions.)"""
    sm = boto3.client("secretsmanager", region)
    arn = sm.create_secret(Name=name, Description="chromactl API token (value set by the rotation function only)")["ARN"]
    sm.rotate_secret(SecretId=arn, RotationRules={"AutomaticallyAfterDays": 30}, RotateImmediately=False)
    meta = sm.describe_secret(SecretId=arn)
    assert meta["RotationEnabled"] and not meta.get("VersionIdsToStages")
    return arn


@dataclass
class RuleState:
    action: str
    values: list[str]


def rule_state(rule_arn: str, region: str = REGION) -> RuleState:
    rule = boto3.client("elbv2", region).describe_rules(RuleArns=[rule_arn])["Rules"][0]
    (cond,) = [c for c in rule["Conditions"] if c["Field"] == "http-header"]
    return RuleState(action=rule["Actions"][0]["Type"], values=list(cond["HttpHeaderConfig"]["Values"]))


def accepted_tokens(stack: AlbStack) -> list[str]:
    """The tokens the (moto) ALB would let through, read from the two rules; they must agree.
    No rules (before the first rotation): none, the listener's 401 answers."""
    rules = stack.auth_rules()
    if not rules:
        return []
    assert set(rules) == {"authorization", "x-chroma-token"}, f"only one token rule exists: {sorted(rules)}"
    bearer = rule_state(rules["authorization"]["RuleArn"], stack.region)
    header = rule_state(rules["x-chroma-token"]["RuleArn"], stack.region)
    assert bearer.action == header.action == "forward"
    from_bearer = sorted(v[len("Bearer "):] for v in bearer.values)
    assert all(v.startswith("Bearer ") for v in bearer.values)
    assert from_bearer == sorted(header.values), "the two rules accept different tokens"
    return from_bearer


def stages(secret_arn: str, region: str = REGION) -> dict[str, list[str]]:
    meta = boto3.client("secretsmanager", region).describe_secret(SecretId=secret_arn)
    return {k: sorted(v) for k, v in (meta.get("VersionIdsToStages") or {}).items()}


def value(secret_arn: str, version: str | None = None, stage: str | None = None, region: str = REGION) -> str:
    """A version's value; with neither version nor stage, the AWSCURRENT one (always name the
    stage: moto's default version, unlike AWS's, follows the last PutSecretValue)."""
    if version is None and stage is None:
        stage = "AWSCURRENT"
    kwargs: dict[str, Any] = {"SecretId": secret_arn}
    if version:
        kwargs["VersionId"] = version
    if stage:
        kwargs["VersionStage"] = stage
    return str(boto3.client("secretsmanager", region).get_secret_value(**kwargs)["SecretString"])


STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")


@dataclass
class Rotator:
    """Runs the handler's steps as Secrets Manager would, then mirrors the rules into the proxy."""

    handler: ModuleType
    secret_arn: str
    stack: AlbStack
    set_tokens: Callable[[list[str]], None]
    calls: list[str] = field(default_factory=list)
    mirrored: list[str] | None = None

    def sync(self, tokens: list[str]) -> None:
        """Make the proxy accept exactly `tokens` (skipped when it already does)."""
        if self.mirrored != sorted(tokens):
            self.set_tokens(list(tokens))
            self.mirrored = sorted(tokens)

    def step(self, step: str, version: str) -> None:
        self.calls.append(step)
        try:
            self.handler.lambda_handler({"SecretId": self.secret_arn, "ClientRequestToken": version, "Step": step}, None)
        finally:
            self.sync(accepted_tokens(self.stack))

    def maintain(self) -> Any:
        """The scheduled reconcile, as EventBridge invokes it."""
        try:
            return self.handler.lambda_handler(dict(self.handler.MAINTAIN_EVENT), None)
        finally:
            self.sync(accepted_tokens(self.stack))

    def rotate(self, version: str | None = None, after_step: Callable[[str], None] | None = None) -> str:
        version = version or str(uuid.uuid4())
        for step in STEPS:
            self.step(step, version)
            if after_step:
                after_step(step)
        return version


def handler_mod_is_token(handler: ModuleType, value: str) -> bool:
    return bool(handler.is_token(value))
