"""Waiting (bounded) until a stack's ECS service is stable and every target healthy.

`up` waits here after an apply, and so do the failover's rebuild and the drills; what one poll
observes and what counts as stable are chromactl/aws/wait.py's (observe, stable_reason).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from chromactl.aws.wait import observe, stable_reason
from chromactl.config import EnvConfig
from chromactl.errors import OperationFailed
from chromactl.output import Output
from chromactl.stack.outputs import StackOutputs


def wait_stable(
    env: EnvConfig,
    region: str,
    outputs: Any,
    factory: Any,
    timeout_s: float,
    output: Output,
    *,
    poll_s: float = 5.0,
    monotonic: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Wait (bounded) until the ECS service is stable and every target healthy.

    Stable = running == desired (>= 1), exactly one deployment, PRIMARY with
    rolloutState COMPLETED; and the target group has at least `desired`
    targets, all healthy. A FAILED rollout (circuit breaker) stops the wait at
    once. Own polling, because moto's `services_stable` waiter never settles.
    """
    stack = StackOutputs.from_values(outputs, where=f"{env.name}/{region}")
    cluster, service, tg = stack.need("cluster_name"), stack.need("service_name"), stack.need("target_group_arn")
    ecs = factory.client("ecs", region)
    elbv2 = factory.client("elbv2", region)
    started = monotonic()
    deadline = started + timeout_s
    last: dict[str, Any] = {}
    last_line = ""
    polls = 0
    with output.waiting(f"the service of {env.name}/{region} to be stable", timeout_s, clock=monotonic) as progress:
        while True:
            polls += 1
            last = observe(ecs, elbv2, cluster, service, tg)
            ok, why = stable_reason(last)
            line = (
                f"service {last['running']}/{last['desired']} running, {last['pending']} pending, "
                f"{len(last['deployments'])} deployment(s); targets {last['healthy']}/{len(last['targets'])} healthy"
            )
            if line != last_line:
                output.info(f"  [{monotonic() - started:5.0f}s] {line}")
                last_line = line
            progress.observe(why)  # also when nothing changes: a CI log never goes quiet
            if ok:
                last.update(stable=True, seconds=round(monotonic() - started, 1), polls=polls)
                return last
            if last.get("rollout_failed"):
                raise OperationFailed(
                    f"The ECS deployment of {env.name}/{region} failed: {why}.",
                    "The circuit breaker rolled it back; see `chromactl status` and the service's events and logs.",
                )
            if monotonic() + poll_s > deadline:
                raise OperationFailed(
                    f"The service of {env.name}/{region} was not stable after {timeout_s:.0f} s: {why}.",
                    f"Check `chromactl status --env {env.name} --region {region}`; raise --wait-timeout if tasks start slowly.",
                )
            sleep(poll_s)
