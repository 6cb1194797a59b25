"""Wait, bounded and with progress, until the token's rotation has settled (issue 12.2).

`RotateSecret` (and Terraform's `rotate_immediately`) returns before the rotation runs:
Secrets Manager invokes the function asynchronously, a VPC Lambda cold start plus four steps,
seconds to tens of seconds ("RotateSecret ... starts an asynchronous process": Secrets Manager
API reference, RotateSecret; https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RotateSecret.html).
Anything that needs the token (the smoke check after `up`) waits until a version carries
AWSCURRENT and no version carries AWSPENDING (the function removes it as its very last action,
after the ALB rules accept the new token). The very first version has both labels until then.

Never reads or returns a token value: only `DescribeSecret`'s version stages.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from chromactl.aws.session import describe_aws_error
from chromactl.errors import OperationFailed
from chromactl.output import Output
from chromactl.poll import Clock, poll_until
from chromactl.stack.outputs import StackOutputs

CURRENT = "AWSCURRENT"
PENDING = "AWSPENDING"
DEFAULT_TIMEOUT_S = 300.0
DEFAULT_POLL_S = 3.0


def rotation_log_group(function_name: str) -> str:
    """The log group Lambda writes the function's logs to (the stack names it so)."""
    return f"/aws/lambda/{function_name}"


@dataclass(frozen=True)
class Settled:
    current_version: str
    seconds: float
    polls: int

    def to_dict(self) -> dict[str, Any]:
        return {"current_version": self.current_version, "seconds": round(self.seconds, 1), "polls": self.polls}


def _state(stages: dict[str, list[str]]) -> tuple[str | None, str | None]:
    current = next((v for v, s in stages.items() if CURRENT in s), None)
    pending = next((v for v, s in stages.items() if PENDING in s), None)
    return current, pending


def wait_rotation_settled(
    sm: Any,
    secret_id: str,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    poll_s: float = DEFAULT_POLL_S,
    log_group: str | None = None,
    on_progress: Callable[[str], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    output: Output | None = None,
) -> Settled:
    """Poll DescribeSecret until AWSCURRENT is set and no AWSPENDING is left, at most timeout_s.

    With `output`: periodic progress lines of the wait (Output.waiting), also while nothing changes.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    say = on_progress or (lambda _m: None)
    where = f" Read the rotation function's log group {log_group}." if log_group else " Read the rotation function's logs."
    start = clock()
    said: list[str] = [""]

    def settled() -> tuple[bool, tuple[str | None, str | None]]:
        try:
            stages: dict[str, list[str]] = sm.describe_secret(SecretId=secret_id).get("VersionIdsToStages") or {}
        except (ClientError, BotoCoreError) as exc:
            raise OperationFailed(
                f"Could not read the rotation state of {secret_id}: {describe_aws_error(exc)}.",
                "Check credentials (secretsmanager:DescribeSecret) and network, then retry.",
            ) from None
        current, pending = _state(stages)
        return current is not None and pending is None, (current, pending)

    def line(state: tuple[str | None, str | None]) -> str:
        current, pending = state
        return ("waiting for the first token (no AWSCURRENT yet)" if current is None and pending is None
                else f"token rotation in progress (version {pending} is AWSPENDING)")

    def late(state: tuple[str | None, str | None]) -> OperationFailed:
        current, pending = state
        left = "no version is AWSCURRENT yet" if current is None else f"version {pending} is still AWSPENDING"
        return OperationFailed(
            f"The token rotation of {secret_id} did not finish within {timeout_s:.0f} s ({left}).{where}",
            "The stack is applied; rerun when the rotation has finished, or retry it with "
            "`chromactl token rotate --abandon-pending`.",
        )

    with (output or Output(json=True)).waiting(f"the token rotation of {secret_id}", timeout_s, clock=clock) as progress:

        def waiting(state: tuple[str | None, str | None]) -> None:
            now = line(state)
            if now != said[0]:
                say(f"  [{clock() - start:5.0f}s] {now}")
                said[0] = now
            progress.observe(now)

        polled = poll_until(settled, timeout_s=timeout_s, interval_s=poll_s, clock=Clock(monotonic=clock, sleep=sleep),
                            on_wait=waiting, on_timeout=late, min_sleep_s=0.05)
        current = str(polled.value[0])
        if polled.polls > 1:
            say(f"  [{clock() - start:5.0f}s] token rotation finished (version {current} is current)")
        return Settled(current_version=current, seconds=clock() - start, polls=polled.polls)


def wait_for_stack_token(
    outputs: Mapping[str, Any] | StackOutputs,
    region: str,
    factory: Any,
    timeout_s: float,
    on_progress: Callable[[str], None] | None = None,
    **kwargs: Any,
) -> dict[str, Any] | None:
    """`up`'s wait: the stack's token secret (output token_secret_arn) settled, or None when the
    stack has no token (no such output). The timeout names the rotation function's log group."""
    stack = StackOutputs.from_values(outputs)
    secret = stack.token_secret_arn
    if not secret:
        return None
    log_group = stack.token_rotation_log_group_name
    if not log_group and stack.token_rotation_function_name:
        log_group = rotation_log_group(stack.token_rotation_function_name)
    if on_progress:
        on_progress(f"Waiting (up to {timeout_s:.0f} s) for the token rotation to finish...")
    sm = factory.client("secretsmanager", region)
    return wait_rotation_settled(
        sm, str(secret), timeout_s=timeout_s, log_group=log_group, on_progress=on_progress, **kwargs
    ).to_dict()
