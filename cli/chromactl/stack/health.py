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
from chromactl.poll import Clock, poll_until
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
    once. Polled with chromactl.poll.poll_until (the last look at the bound), not botocore's
    `services_stable` waiter, which never settles on moto.
    """
    stack = StackOutputs.from_values(outputs, where=f"{env.name}/{region}")
    cluster, service, tg = stack.need("cluster_name"), stack.need("service_name"), stack.need("target_group_arn")
    ecs = factory.client("ecs", region)
    elbv2 = factory.client("elbv2", region)
    started = monotonic()
    said = [""]
    polls = [0]

    def look() -> tuple[bool, tuple[dict[str, Any], str]]:
        polls[0] += 1
        last = observe(ecs, elbv2, cluster, service, tg)
        ok, why = stable_reason(last)
        line = (
            f"service {last['running']}/{last['desired']} running, {last['pending']} pending, "
            f"{len(last['deployments'])} deployment(s); targets {last['healthy']}/{len(last['targets'])} healthy"
        )
        if line != said[0]:
            output.info(f"  [{monotonic() - started:5.0f}s] {line}")
            said[0] = line
        progress.observe(why)  # also when nothing changes: a CI log never goes quiet
        if ok:
            last.update(stable=True, seconds=round(monotonic() - started, 1), polls=polls[0])
        elif last.get("rollout_failed"):
            raise OperationFailed(
                f"The ECS deployment of {env.name}/{region} failed: {why}.",
                "The circuit breaker rolled it back; see `chromactl status` and the service's events and logs.",
            )
        return ok, (last, why)

    def late(seen: tuple[dict[str, Any], str]) -> OperationFailed:
        return OperationFailed(
            f"The service of {env.name}/{region} was not stable after {timeout_s:.0f} s: {seen[1]}.",
            f"Check `chromactl status --env {env.name} --region {region}`; raise --wait-timeout if tasks start slowly.",
        )

    with output.waiting(f"the service of {env.name}/{region} to be stable", timeout_s, clock=monotonic) as progress:
        polled = poll_until(look, timeout_s=timeout_s, interval_s=poll_s, clock=Clock(monotonic=monotonic, sleep=sleep), on_timeout=late)
    return polled.value[0]
