"""The drills' test world: the stack's AWS side in moto's server (VPC in three AZs,
ECS cluster and Fargate service, ALB with an HTTPS listener, target group, EFS,
the token secret), a real Chroma behind a real nginx that enforces the token
rule, and a simulated ECS control plane.

moto does not act like ECS: it never replaces a stopped task, never moves a task
after a new deployment, never marks a deployment COMPLETED and never changes a
target's health. `ControlPlane` plays that part, in a background thread, with
moto's own APIs: when the service has no RUNNING task (or a new deployment was
forced) it starts a replacement in the service's current subnets after
`start_delay`, registers its IP in the target group after `health_delay`, and
deregisters the old one. `SimulatedEcs` wraps the drills' ECS client so that
DescribeServices reports what that control plane did (running count and the
PRIMARY deployment's rollout state); every other call goes to moto unchanged.
"""

from __future__ import annotations

import copy
import io
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REGION = "us-east-1"
ACCOUNT = "123456789012"
TOKEN = "ab" * 32
NAME = "chromactl-dev"

ENV_TOML = """[env]
kind = "aws"
protected = {protected}
account_id = "{account}"

[regions]
primary = "{region}"
failover = ["us-west-2"]

[state]
bucket = "chromactl-state-{name}"
region = "us-east-2"

[slo]
p95_ms = 2000
p99_ms = 5000
rto_minutes = {rto}
"""


def write_env(root: Path, name: str, *, protected: bool, rto: float = 15) -> None:
    d = root / "envs" / name
    d.mkdir(parents=True, exist_ok=True)
    (d / "chromactl.toml").write_text(ENV_TOML.format(protected=str(protected).lower(), account=ACCOUNT, region=REGION, name=name, rto=rto))


@dataclass
class Stack:
    root: Path
    outputs: dict[str, Any]
    subnets: dict[str, str]  # subnet -> AZ
    security_group: str
    task_definition: str

    def boto(self, service: str) -> Any:
        import boto3

        return boto3.client(service, region_name=REGION)

    def running_tasks(self) -> list[dict[str, Any]]:
        ecs = self.boto("ecs")
        arns = ecs.list_tasks(cluster=NAME, desiredStatus="RUNNING")["taskArns"]
        if not arns:
            return []
        return [t for t in ecs.describe_tasks(cluster=NAME, tasks=arns)["tasks"] if t["lastStatus"] == "RUNNING"]

    def service_subnets(self) -> list[str]:
        svc = self.boto("ecs").describe_services(cluster=NAME, services=[NAME])["services"][0]
        return list(svc["networkConfiguration"]["awsvpcConfiguration"]["subnets"])

    def targets(self) -> list[tuple[str, str]]:
        th = self.boto("elbv2").describe_target_health(TargetGroupArn=self.outputs["target_group_arn"])
        return [(d["Target"]["Id"], d["TargetHealth"]["State"]) for d in th["TargetHealthDescriptions"]]


def _detail(task: dict[str, Any], name: str) -> str | None:
    for att in task.get("attachments") or []:
        for d in att.get("details") or []:
            if d["name"] == name:
                return str(d["value"])
    return None


def start_task(ecs: Any, subnets: list[str], sg: str, task_definition: str) -> dict[str, Any]:
    return ecs.run_task(cluster=NAME, taskDefinition=task_definition, launchType="FARGATE", group=f"service:{NAME}",
                        startedBy="ecs-svc/simulated",
                        networkConfiguration={"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [sg]}})["tasks"][0]


def build_stack(root: Path) -> Stack:
    """What the stack's Terraform creates, as far as the drills look at it, made in moto."""
    import boto3

    ec2 = boto3.client("ec2", region_name=REGION)
    ecs = boto3.client("ecs", region_name=REGION)
    elb = boto3.client("elbv2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})  # moto's task ENIs need it
    subnets = {}
    for i, z in ((1, "a"), (2, "b"), (3, "c")):
        sid = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{z}")["Subnet"]["SubnetId"]
        subnets[sid] = f"{REGION}{z}"
    sg = ec2.create_security_group(GroupName="tasks", Description="chroma tasks", VpcId=vpc)["GroupId"]
    ecs.create_cluster(clusterName=NAME)
    td = ecs.register_task_definition(
        family=NAME, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="1024", memory="4096",
        executionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/{NAME}-exec", taskRoleArn=f"arn:aws:iam::{ACCOUNT}:role/{NAME}-task",
        containerDefinitions=[{"name": "chroma", "image": "chromadb/chroma:1.5.9", "cpu": 1024, "memory": 4096,
                               "portMappings": [{"containerPort": 8000}],
                               "mountPoints": [{"sourceVolume": "chroma-data", "containerPath": "/data"}]}],
        volumes=[{"name": "chroma-data", "efsVolumeConfiguration": {"fileSystemId": "fs-placeholder", "transitEncryption": "ENABLED",
                                                                     "authorizationConfig": {"accessPointId": "fsap-placeholder", "iam": "ENABLED"}}}],
    )["taskDefinition"]["taskDefinitionArn"]
    lb = elb.create_load_balancer(Name=NAME, Subnets=list(subnets), SecurityGroups=[sg])["LoadBalancers"][0]
    tg = elb.create_target_group(Name=f"{NAME}-tg", Protocol="HTTP", Port=8000, VpcId=vpc, TargetType="ip",
                                 HealthCheckPath="/api/v2/heartbeat")["TargetGroups"][0]["TargetGroupArn"]
    cert = boto3.client("acm", region_name=REGION).request_certificate(DomainName="chroma.example.com")["CertificateArn"]
    listener = elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTPS", Port=443, Certificates=[{"CertificateArn": cert}],
                                   DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "401"}}])["Listeners"][0]["ListenerArn"]
    ecs.create_service(cluster=NAME, serviceName=NAME, taskDefinition=td, desiredCount=1, launchType="FARGATE",
                       networkConfiguration={"awsvpcConfiguration": {"subnets": list(subnets), "securityGroups": [sg], "assignPublicIp": "DISABLED"}},
                       loadBalancers=[{"targetGroupArn": tg, "containerName": "chroma", "containerPort": 8000}],
                       deploymentConfiguration={"maximumPercent": 100, "minimumHealthyPercent": 0})
    task = start_task(ecs, [next(iter(subnets))], sg, td)
    elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": _detail(task, "privateIPv4Address"), "Port": 8000}])
    secret = boto3.client("secretsmanager", region_name=REGION).create_secret(Name=f"{NAME}/static-token", SecretString=TOKEN)["ARN"]
    outputs = {
        "cluster_name": NAME, "service_name": NAME, "target_group_arn": tg, "https_listener_arn": listener, "vpc_id": vpc,
        "token_secret_arn": secret, "endpoint_url": "http://127.0.0.1:9", "private_subnet_ids": list(subnets),
    }
    return Stack(root=root, outputs=outputs, subnets=subnets, security_group=sg, task_definition=td)


class ControlPlane:
    """Plays ECS and the ALB health check against moto (see the module docstring)."""

    def __init__(self, stack: Stack, *, start_delay: float = 0.5, health_delay: float = 0.3):
        import boto3

        self.stack = stack
        self.start_delay, self.health_delay = start_delay, health_delay
        self.ecs = boto3.client("ecs", region_name=REGION)
        self.elb = boto3.client("elbv2", region_name=REGION)
        self.enabled = True
        self.transition = threading.Event()  # set while a replacement is under way
        self.replaced: list[dict[str, Any]] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._deployment = self._deployment_id()
        self._thread = threading.Thread(target=self._loop, daemon=True, name="control-plane")

    def _deployment_id(self) -> str:
        svc = self.ecs.describe_services(cluster=NAME, services=[NAME])["services"][0]
        return str(svc["deployments"][0]["id"])

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                if self.enabled:
                    self._tick()
            except Exception as exc:  # noqa: BLE001 - surfaced by the tests through .errors
                self.errors.append(repr(exc))
            self._stop.wait(0.05)

    def _tick(self) -> None:
        running = self.stack.running_tasks()
        deployment = self._deployment_id()
        forced = deployment != self._deployment
        if running and not forced:
            return
        self.transition.set()
        self._deployment = deployment
        old_ips = [_detail(t, "privateIPv4Address") for t in running]
        for t in running:  # a new deployment replaces the task (max 100 %, min 0 %: stop first)
            self.ecs.stop_task(cluster=NAME, task=t["taskArn"], reason="new deployment")
        tg = self.stack.outputs["target_group_arn"]
        for ip in set(old_ips + [tid for tid, _ in self.stack.targets()]):
            if ip:
                self.elb.deregister_targets(TargetGroupArn=tg, Targets=[{"Id": ip, "Port": 8000}])
        self._stop.wait(self.start_delay)
        task = start_task(self.ecs, self.stack.service_subnets()[:1], self.stack.security_group, self.stack.task_definition)
        self._stop.wait(self.health_delay)
        self.elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": _detail(task, "privateIPv4Address"), "Port": 8000}])
        self.replaced.append(task)
        self.transition.clear()

    def __enter__(self) -> ControlPlane:  # noqa: PYI034
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


class SimulatedEcs:
    """The drills' ECS client: moto for every call; DescribeServices reports the control plane's state."""

    def __init__(self, inner: Any, plane: ControlPlane | None, stack: Stack, fail_on: dict[str, int] | None = None):
        self._inner, self._plane, self._stack = inner, plane, stack
        self.fail_on = dict(fail_on or {})
        self.calls: list[str] = []

    def _maybe_fail(self, name: str) -> None:
        self.calls.append(name)
        if name in self.fail_on:
            self.fail_on[name] -= 1
            if self.fail_on[name] <= 0:
                del self.fail_on[name]
                from botocore.exceptions import EndpointConnectionError

                raise EndpointConnectionError(endpoint_url="https://ecs.us-east-1.amazonaws.com (injected failure)")

    def describe_services(self, **kw: Any) -> Any:
        self._maybe_fail("describe_services")
        resp = copy.deepcopy(self._inner.describe_services(**kw))
        running = len(self._stack.running_tasks())
        busy = self._plane is not None and self._plane.transition.is_set()
        for svc in resp.get("services", []):
            done = running >= svc["desiredCount"] and not busy
            svc["runningCount"], svc["pendingCount"] = running, 0 if done else 1
            for d in svc.get("deployments", [])[:1]:
                d.update(runningCount=running, pendingCount=svc["pendingCount"], rolloutState="COMPLETED" if done else "IN_PROGRESS")
        return resp

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if not callable(attr):
            return attr

        def call(*a: Any, **kw: Any) -> Any:
            self._maybe_fail(name)
            return attr(*a, **kw)

        return call


class FailingClient:
    """Any client, with the Nth call of a method raising a connection error (an injected failure)."""

    def __init__(self, inner: Any, fail_on: dict[str, int]):
        self._inner, self.fail_on = inner, dict(fail_on)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if not callable(attr):
            return attr

        def call(*a: Any, **kw: Any) -> Any:
            if name in self.fail_on:
                self.fail_on[name] -= 1
                if self.fail_on[name] <= 0:
                    del self.fail_on[name]
                    from botocore.exceptions import EndpointConnectionError

                    raise EndpointConnectionError(endpoint_url=f"https://{name} (injected failure)")
            return attr(*a, **kw)

        return call


@dataclass
class World:
    stack: Stack
    endpoint: str
    chroma: Any
    extras: dict[str, Any] = field(default_factory=dict)

    def factory(self, **overrides: Any) -> Any:
        from chromactl.aws.session import ClientFactory

        return ClientFactory(overrides={(svc, REGION): client for svc, client in overrides.items()})

    def outputs(self, **changes: Any) -> dict[str, Any]:
        return {**self.stack.outputs, "endpoint_url": self.endpoint, **changes}


@pytest.fixture(scope="session")
def drill_endpoint(chroma_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """nginx enforcing the token rule in front of the shared Chroma; accepts TOKEN."""
    from tests.fixtures.nginx_proxy import start_nginx

    proxy = start_nginx(tmp_path_factory.mktemp("drill-nginx"), chroma_server.url, [TOKEN])
    try:
        yield proxy
    finally:
        proxy.stop()


def _moto_api(url: str, path: str, body: dict[str, Any]) -> None:
    import json
    import urllib.request

    req = urllib.request.Request(f"{url}/moto-api/state-manager/{path}", data=json.dumps(body).encode(), method="POST")
    urllib.request.urlopen(req, timeout=10).read()


@pytest.fixture
def steady_tasks(aws_env: Any) -> Iterator[None]:
    """moto advances a task's status on every describe (RUNNING -> DEACTIVATING -> ...); real tasks stay
    RUNNING until stopped. Manual progression with a huge count keeps them RUNNING; StopTask still stops them."""
    _moto_api(aws_env.url, "set-transition", {"model_name": "ecs::task", "transition": {"progression": "manual", "times": 10**9}})
    try:
        yield
    finally:
        _moto_api(aws_env.url, "unset-transition", {"model_name": "ecs::task"})


@pytest.fixture
def world(aws_env: Any, steady_tasks: None, drill_endpoint: Any, chroma_server: Any, tmp_path: Path,
          monkeypatch: pytest.MonkeyPatch) -> World:
    root = tmp_path / "project"
    (root / "terraform").mkdir(parents=True)
    write_env(root, "dev", protected=False)
    write_env(root, "prod", protected=True)
    monkeypatch.setenv("CHROMACTL_ROOT", str(root))
    monkeypatch.setenv("NO_COLOR", "1")
    for var in ("CHROMACTL_BACKEND", "CHROMACTL_AWS_ENDPOINTS", "CHROMACTL_ENV", "CHROMACTL_JSON"):
        monkeypatch.delenv(var, raising=False)
    drill_endpoint.set_tokens([TOKEN])
    return World(stack=build_stack(root), endpoint=drill_endpoint.url, chroma=chroma_server)


@dataclass
class CliResult:
    code: int
    out: str
    err: str


class _NoTty(io.StringIO):
    def isatty(self) -> bool:
        return False


def run_cli(*args: str) -> CliResult:
    """chromactl in this process, stdin not a terminal."""
    from chromactl.cli.app import main

    out, err = io.StringIO(), io.StringIO()
    old = sys.stdin
    sys.stdin = _NoTty("")
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = main(list(args))
    finally:
        sys.stdin = old
    return CliResult(code, out.getvalue(), err.getvalue())


def quiet() -> Any:
    from chromactl.output import Output

    return Output(json=True)


def wait_for(check: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached")
