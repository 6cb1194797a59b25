"""The live suite's offline target: the same orchestration as against AWS, with

- Terraform: real (chromactl's lifecycle: plan, apply, destroy), the offline AWS
  provider, a local backend, in a temporary copy of the project;
- AWS: moto's server. The offline provider creates nothing in moto and fills
  computed attributes (ARNs) with placeholders, so the resources the waits and
  checks read are made in moto from the names Terraform planned (cluster and
  service `chromactl-dev`); the outputs the suite uses are Terraform's, with the
  moto ARNs (target group, secret, listener rules) and the local endpoint put in;
- ECS's control plane: the simulated one from tests/drills (starts the service's
  task, registers it healthy; DescribeServices reports it);
- the endpoint: a real Chroma behind a real nginx enforcing the ALB's token rule;
- the rotation: the real rotation handler's four steps against moto's Secrets
  Manager and ELBv2 rules, the accepted tokens mirrored into nginx after each.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

from chromactl.config import EnvConfig
from chromactl.drills.context import DrillContext
from chromactl.output import Output

from tests.drills.conftest import NAME, REGION, ControlPlane, SimulatedEcs, build_stack
from tests.fixtures.filled import fill_placeholders
from tests.rotation import harness as rotation

TINY_DEV = """\
# A stand-in root for envs/dev with built-in resources only (fast); same names as the stack's outputs.
terraform {
  required_version = ">= 1.10"
  backend "s3" {
    use_lockfile = true
    encrypt      = true
  }
}

variable "region" {
  type        = string
  description = "The region of this stack."
}

variable "failover_region" {
  type        = string
  description = "Where DR copies go."
  default     = ""
}

resource "terraform_data" "service" {
  input = "chromactl-dev"
}

output "endpoint_url" {
  value       = "https://chromactl-dev.${var.region}.example.com"
  description = "The endpoint."
}

output "cluster_name" {
  value       = terraform_data.service.output
  description = "ECS cluster."
}

output "service_name" {
  value       = terraform_data.service.output
  description = "ECS service."
}
"""


def mark_sandbox(env_dir: Path) -> None:
    """`sandbox = true` under [env], and no placeholder left: up/apply refuse them, sandbox or not, so the
    example env's are filled (tests/fixtures/filled.py) and its account_id dropped, since moto answers STS
    as 123456789012, a documentation id nothing may compare with."""
    toml = env_dir / "chromactl.toml"
    text = toml.read_text(encoding="utf-8")
    assert "\n[env]\n" in text and "sandbox" not in text
    text = re.sub(r'(?m)^account_id = .*\n', "", text.replace("\n[env]\n", "\n[env]\nsandbox = true\n", 1))
    toml.write_text(text, encoding="utf-8")
    fill_placeholders(env_dir)


def make_tiny_project(tmp: Path) -> tuple[Path, Path]:
    """A project whose dev env is TINY_DEV (for orchestration tests that need an apply, not the whole stack)."""
    from tfoffline import harness

    root = tmp / "proj"
    env_dir = root / "envs" / "dev"
    env_dir.mkdir(parents=True)
    (root / "terraform").mkdir()
    (env_dir / "main.tf").write_text(TINY_DEV)
    (env_dir / "chromactl.toml").write_text((harness.REPO / "envs" / "dev" / "chromactl.toml").read_text())
    mark_sandbox(env_dir)
    return root, harness.write_cli_config(tmp / "tfrc")


def make_project(tmp: Path) -> tuple[Path, Path]:
    """A temp copy of the project (terraform/ + envs/dev) and the offline CLI config; returns (root, cli config)."""
    from tfoffline import harness

    root = tmp / "proj"
    harness.copy_root("envs/dev", root)
    mark_sandbox(root / "envs" / "dev")
    zip_path = root / "build" / "token-rotation.zip"
    if not zip_path.is_file():  # `make zip` builds the real one; a stand-in is enough for the offline provider
        zip_path.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(zip_path, "w") as zf:
            zf.writestr("handler.py", "def lambda_handler(event, context):\n    return None\n")
    return root, harness.write_cli_config(tmp / "tfrc")


class OfflineTarget:
    kind = "offline"

    def __init__(self, env: EnvConfig, output: Output, *, chroma_url: str, nginx_dir: Path, monkeypatch: Any,
                 start_delay: float = 0.6, health_delay: float = 0.3):
        self.env, self.output, self.region = env, output, REGION
        self.chroma_url, self.nginx_dir, self.mp = chroma_url, nginx_dir, monkeypatch
        self.start_delay, self.health_delay = start_delay, health_delay
        self.plane: ControlPlane | None = None
        self.proxy: Any = None
        self.terraform_outputs: dict[str, Any] = {}
        self.calls: list[str] = []

    # -- the AWS side -------------------------------------------------------------------------
    def _factory(self, ecs: Any = None) -> Any:
        from chromactl.aws.session import ClientFactory

        return ClientFactory(overrides={("ecs", REGION): ecs} if ecs is not None else {})

    def up(self) -> dict[str, Any]:
        from chromactl.stack.outputs import read_outputs
        from chromactl.workflows.up import up

        from tests.fixtures.nginx_proxy import start_nginx

        self.calls.append("up")
        up(self.env, self.region, self.output, auto_approve=True, skip_checks=True)
        self.terraform_outputs = read_outputs(self.env, self.region, output=self.output)
        assert self.terraform_outputs["cluster_name"] == NAME and self.terraform_outputs["service_name"] == NAME
        self.stack = build_stack(self.env.dir.parent.parent)
        for task in self.stack.running_tasks():  # the service starts with no task: the control plane starts it
            self.stack.boto("ecs").stop_task(cluster=NAME, task=task["taskArn"], reason="offline suite: cold start")
        for ip, _ in self.stack.targets():
            self.stack.boto("elbv2").deregister_targets(TargetGroupArn=self.stack.outputs["target_group_arn"], Targets=[{"Id": ip, "Port": 8000}])
        self.proxy = start_nginx(self.nginx_dir, self.chroma_url, [])
        alb = rotation.build_alb()
        secret = rotation.create_secret()
        for key, value in {"LISTENER_ARN": alb.listener_arn, "SECRET_ARN": secret, "GRACE_SECONDS": "0", "TARGET_GROUP_ARN": alb.target_group_arn,
                           "ENDPOINT_URL": self.proxy.url, "VERIFY_TLS": "false", "HTTP_TIMEOUT_SECONDS": "3",
                           "TEST_ATTEMPTS": "3", "TEST_RETRY_DELAY_SECONDS": "0.2"}.items():
            self.mp.setenv(key, value)
        self.rotator = rotation.Rotator(handler=rotation.load_handler(), secret_arn=secret, stack=alb, set_tokens=self.proxy.set_tokens)
        self.rotator.rotate()  # the first token, as the stack's creation-time rotation leaves it
        self.plane = ControlPlane(self.stack, start_delay=self.start_delay, health_delay=self.health_delay).__enter__()
        self.ecs = SimulatedEcs(self.stack.boto("ecs"), self.plane, self.stack)
        return {**self.terraform_outputs, "target_group_arn": self.stack.outputs["target_group_arn"], "token_secret_arn": secret,
                "https_listener_arn": alb.listener_arn, "endpoint_url": self.proxy.url}

    def wait(self, outputs: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        from chromactl.stack.health import wait_stable

        self.calls.append("wait")
        return wait_stable(self.env, self.region, outputs, self._factory(self.ecs), timeout_s, self.output, poll_s=0.1)

    def status(self, outputs: dict[str, Any]) -> dict[str, Any]:
        from chromactl.workflows.status import collect_status

        self.calls.append("status")
        return collect_status(self.env, self.region, outputs, self._factory(self.ecs)).to_dict()

    def context(self, outputs: dict[str, Any]) -> DrillContext:
        return DrillContext(env=self.env, region=self.region, outputs=outputs, factory=self._factory(self.ecs), output=self.output,
                            poll_s=0.1, rotate=lambda ctx: {"version": self.rotator.rotate()})

    def destroy(self) -> dict[str, Any]:
        from chromactl.lifecycle.apply import destroy

        self.calls.append("destroy")
        try:
            return destroy(self.env, self.region, self.output, auto_approve=True).to_dict()
        finally:
            self.close()

    def close(self) -> None:
        if self.plane is not None:
            self.plane.__exit__(None, None, None)
            self.plane = None
        if self.proxy is not None:
            self.proxy.stop()
            self.proxy = None
