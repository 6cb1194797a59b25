"""What a drill runs against: the env, its region, the stack's outputs, an AWS client
factory, the endpoint, and the ports a test (or a rehearsal) may swap."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chromactl.checks import smoke as smoke_check
from chromactl.checks.target import Target
from chromactl.config import EnvConfig
from chromactl.drills.common import DEFAULT_POLL_S, DEFAULT_TIMEOUT_S, Clock
from chromactl.output import Output
from chromactl.rotation.token import read_current_token
from chromactl.stack.outputs import StackOutputs


def default_smoke(target: Any) -> tuple[bool, dict[str, Any]]:
    report = smoke_check.run_smoke(target)  # looked up per call: a test patches checks.smoke.run_smoke
    return report.ok, report.to_dict()


@dataclass
class DrillContext:
    env: EnvConfig
    region: str
    outputs: dict[str, Any]
    factory: Any
    output: Output
    timeout_s: float = DEFAULT_TIMEOUT_S
    poll_s: float = DEFAULT_POLL_S
    target_override_s: float | None = None
    profile: str | None = None
    clock: Clock = field(default_factory=Clock)
    endpoint_override: str | None = None
    verify_tls: bool = True
    smoke: Callable[[Any], tuple[bool, dict[str, Any]]] = default_smoke
    # token-rotation: starts a rotation and waits for it (default: RotateSecret + wait on the version stages)
    rotate: Callable[[DrillContext], dict[str, Any]] | None = None
    # restore-test: serves a temporary endpoint on the restored data (default: temporary ECS task behind the ALB)
    data_endpoint: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # endpoint_url is the ALB's own DNS name (env without domain_name): no certificate covers it.
        if self.endpoint_override is None and self.outputs.get("endpoint_tls_verifiable") is False:
            self.verify_tls = False

    @property
    def stack(self) -> StackOutputs:
        """The outputs, typed (one name per output, no alternatives guessed)."""
        return StackOutputs.from_values(self.outputs, where=f"{self.env.name}/{self.region}")

    def need(self, key: str) -> str:
        """Output `key`, or a ConfigError naming it."""
        return self.stack.need(key)

    def client(self, service: str) -> Any:
        return self.factory.client(service, self.region)

    @property
    def endpoint(self) -> str:
        return (self.endpoint_override or self.need("endpoint_url")).rstrip("/")

    def read_token(self) -> str | None:
        """The current token (AWSCURRENT), read fresh each call; never printed."""
        arn = self.outputs.get("token_secret_arn")
        if not arn:
            return None
        return read_current_token(str(arn), self.region, self.profile, factory=self.factory)

    def target(self, *, timeout_s: float = 10.0) -> Any:
        return Target(url=self.endpoint, token=self.read_token(), timeout_s=timeout_s, verify_tls=self.verify_tls,
                      env=self.env.name, region=self.region)

    def cluster_service_tg(self) -> tuple[str, str, str]:
        return self.need("cluster_name"), self.need("service_name"), self.need("target_group_arn")
