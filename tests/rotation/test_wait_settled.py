"""chromactl.rotation.wait against moto's Secrets Manager: the wait `up` does (issue 12.2)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from chromactl.errors import OperationFailed
from chromactl.rotation.wait import rotation_log_group, wait_for_stack_token, wait_rotation_settled

from tests.rotation import harness


class FakeTime:
    def __init__(self) -> None:
        self.t = 0.0
        self.sleeps: list[float] = []
        self.on_sleep: list[Any] = []

    def clock(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.sleeps.append(s)
        self.t += s
        if self.on_sleep:
            self.on_sleep.pop(0)()


def test_waits_through_a_whole_first_rotation(rig: harness.Rotator) -> None:
    """From a secret with no version (Terraform's) to the first token: each step runs during one
    of the wait's sleeps; the wait reports each state once and ends when AWSPENDING is gone."""
    sm = boto3.client("secretsmanager", harness.REGION)
    version = "61111111-2222-4333-8444-555555555555"
    ft = FakeTime()
    ft.on_sleep = [lambda s=s: rig.step(s, version) for s in harness.STEPS]
    lines: list[str] = []
    settled = wait_rotation_settled(sm, rig.secret_arn, timeout_s=60, poll_s=3, on_progress=lines.append,
                                    sleep=ft.sleep, clock=ft.clock)
    assert settled.current_version == version and settled.polls == 5
    assert [ln.split("] ", 1)[1] for ln in lines] == [
        "waiting for the first token (no AWSCURRENT yet)",
        f"token rotation in progress (version {version} is AWSPENDING)",
        f"token rotation finished (version {version} is current)",
    ]
    assert ft.sleeps == [3, 3, 3, 3]


def test_times_out_naming_the_log_group(rig: harness.Rotator) -> None:
    sm = boto3.client("secretsmanager", harness.REGION)
    rig.step("createSecret", "71111111-2222-4333-8444-555555555555")  # then the function dies
    ft = FakeTime()
    group = rotation_log_group("chromactl-dev-token-rotation")
    with pytest.raises(OperationFailed) as info:
        wait_rotation_settled(sm, rig.secret_arn, timeout_s=10, poll_s=3, log_group=group, sleep=ft.sleep, clock=ft.clock)
    assert "did not finish within 10 s" in str(info.value) and "/aws/lambda/chromactl-dev-token-rotation" in str(info.value)
    assert "--abandon-pending" in info.value.hint
    assert sum(ft.sleeps) == pytest.approx(10) and len(ft.sleeps) == 4  # bounded: 3 + 3 + 3 + 1


def test_no_token_output_means_no_wait() -> None:
    class NoClients:
        def client(self, *_a: Any) -> Any:
            raise AssertionError("no AWS call for a stack without a token")

    assert wait_for_stack_token({"endpoint_url": "https://x"}, "us-east-1", NoClients(), 10) is None
