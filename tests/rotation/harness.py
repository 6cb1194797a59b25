"""A stand-in for what Terraform builds (ALB, HTTPS listener, target group, the two
auth rules, the secret with rotation on) in moto, and a driver that runs the real
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
    bearer_rule_arn: str
    header_rule_arn: str

    @property
    def rule_arns(self) -> list[str]:
        return [self.bearer_rule_arn, self.header_rule_arn]


def build_alb(region: str = REGION) -> AlbStack:
    """VPC, two subnets, an ALB, an HTTPS listener whose default action is 401, a target
    group, and the two auth rules as Terraform creates them (matching nothing useful)."""
    ec2 = boto3.client("ec2", region)
    elb = boto3.client("elbv2", region)
    acm = boto3.client("acm", region)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{region}{az}")["Subnet"]["SubnetId"]
        for i, az in ((1, "a"), (2, "b"))
    ]
    lb = elb.create_load_balancer(Name="chromactl-dev", Subnets=subnets, Scheme="internet-facing")["LoadBalancers"][0]
    tg = elb.create_target_group(Name="chromactl-dev", Protocol="HTTP", Port=8000, VpcId=vpc, TargetType="ip")
    tg_arn = tg["TargetGroups"][0]["TargetGroupArn"]
    cert = acm.request_certificate(DomainName="chroma.example.com")["CertificateArn"]
    unauthorised = {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "401", "ContentType": "text/plain", "MessageBody": "unauthorized"}}
    listener = elb.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTPS", Port=443, Certificates=[{"CertificateArn": cert}],
        SslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06", DefaultActions=[unauthorised],
    )["Listeners"][0]["ListenerArn"]
    not_initialised = {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "401", "ContentType": "text/plain", "MessageBody": "token not initialised"}}
    rules = []
    for priority, header in ((10, "Authorization"), (20, "X-Chroma-Token")):
        rule = elb.create_rule(
            ListenerArn=listener, Priority=priority,
            Conditions=[{"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": header, "Values": [UNINITIALISED[header.lower()]]}}],
            Actions=[not_initialised],
        )["Rules"][0]["RuleArn"]
        rules.append(rule)
    return AlbStack(listener_arn=listener, target_group_arn=tg_arn, bearer_rule_arn=rules[0], header_rule_arn=rules[1])


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


def accepted_tokens(stack: AlbStack, region: str = REGION) -> list[str]:
    """The tokens the (moto) ALB would let through, read from the two rules; they must agree."""
    bearer = rule_state(stack.bearer_rule_arn, region)
    header = rule_state(stack.header_rule_arn, region)
    if bearer.action != "forward" or header.action != "forward":
        assert bearer.action == header.action == "fixed-response"
        return []
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

    def rotate(self, version: str | None = None, after_step: Callable[[str], None] | None = None) -> str:
        version = version or str(uuid.uuid4())
        for step in STEPS:
            self.step(step, version)
            if after_step:
                after_step(step)
        return version


def handler_mod_is_token(handler: ModuleType, value: str) -> bool:
    return bool(handler.is_token(value))
