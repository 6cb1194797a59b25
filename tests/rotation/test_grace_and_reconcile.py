"""Issue 14, proofs (b) and (c), and the reconcile: the real handler against moto (Secrets
Manager, ELBv2) with the real nginx proxy (mirroring the moto rules after every call) in front
of a real Chroma.

(b) a client keeps calling with the token it started with, through a whole rotation: zero
    refused; the previous token is accepted during the grace period and refused after it.
(c) the rules' condition-value count stays within AWS's limits (3 per condition, 5 per rule)
    in every CreateRule/ModifyRule call of every step, retries and failures included.
Reconcile: a re-created listener (no token rules) gets them back from the scheduled
maintenance with the current token; a version stuck in AWSPENDING is flagged for the alarm.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from typing import Any, Self

import boto3
import pytest

from tests.rotation import harness
from tests.rotation.conftest import heartbeat

CURRENT, PENDING, PREVIOUS = "AWSCURRENT", "AWSPENDING", "AWSPREVIOUS"


class FakeClock:
    """The handler's wall clock (grace deadlines), moved by the test."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


class RecordingElb:
    """The handler's ELBv2 client, recording the conditions of every rule write."""

    def __init__(self, inner: Any, writes: list[tuple[str, list[dict[str, Any]]]]):
        self._inner, self._writes = inner, writes

    def create_rule(self, **kwargs: Any) -> Any:
        self._writes.append(("CreateRule", kwargs["Conditions"]))
        return self._inner.create_rule(**kwargs)

    def modify_rule(self, **kwargs: Any) -> Any:
        self._writes.append(("ModifyRule", kwargs["Conditions"]))
        return self._inner.modify_rule(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@pytest.fixture
def clock(handler_mod: Any, monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    original = handler_mod.Rotation.__init__

    def init(self: Any, *a: Any, **k: Any) -> None:
        k["clock"] = fake
        original(self, *a, **k)

    monkeypatch.setattr(handler_mod.Rotation, "__init__", init)
    real_maintain = handler_mod.maintain
    monkeypatch.setattr(handler_mod, "maintain", lambda sm, elb, settings, sid, clock=None: real_maintain(sm, elb, settings, sid, fake))
    return fake


@pytest.fixture
def writes(handler_mod: Any, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, list[dict[str, Any]]]]:
    log: list[tuple[str, list[dict[str, Any]]]] = []
    real_client = handler_mod._client
    monkeypatch.setattr(handler_mod, "_client", lambda s: RecordingElb(real_client(s), log) if s == "elbv2" else real_client(s))
    return log


class Client:
    """Calls the endpoint with one token, alternating the two headers, until stopped."""

    def __init__(self, url: str, token: str):
        self.url, self.token = url, token
        self.statuses: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        i = 0
        while not self._stop.is_set() and i < 100_000:  # bounded
            self.statuses.append(heartbeat(self.url, self.token, "bearer" if i % 2 == 0 else "header"))
            i += 1
            time.sleep(0.01)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=15)
        assert not self._thread.is_alive()


def both(url: str, token: str | None) -> tuple[int, int]:
    return heartbeat(url, token, "bearer"), heartbeat(url, token, "header")


def check_limits(writes: list[tuple[str, list[dict[str, Any]]]], handler: Any) -> int:
    """Every write within AWS's condition-value limits; returns the largest count seen."""
    most = 0
    for call, conditions in writes:
        per_condition = [len(next(v for k, v in c.items() if k.endswith("Config"))["Values"]) for c in conditions]
        total = handler.condition_value_count(conditions)
        assert all(n <= 3 for n in per_condition), f"{call} with {per_condition} values in a condition (AWS: at most 3)"
        assert total <= 5, f"{call} with {total} condition values (AWS: at most 5 per rule)"
        most = max(most, total)
    return most


def test_previous_token_accepted_during_grace_refused_after(
    rig: harness.Rotator, endpoint_url: str, clock: FakeClock, writes: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRACE_SECONDS", "600")
    rig.rotate()
    first = harness.value(rig.secret_arn)
    with Client(endpoint_url, first) as client:
        version = rig.rotate()
        second = harness.value(rig.secret_arn)
        assert harness.stages(rig.secret_arn)[version] == [CURRENT]
        # Grace: both tokens accepted, by both rules, after the rotation finished.
        assert sorted(harness.accepted_tokens(rig.stack)) == sorted([first, second])
        assert both(endpoint_url, first) == (200, 200) and both(endpoint_url, second) == (200, 200)
        clock.now += 300
        rig.maintain()  # the schedule, mid-grace: nothing to drop
        assert both(endpoint_url, first) == (200, 200)
    refused = [s for s in client.statuses if s != 200]
    print(f"\nclient with the previous token: {len(client.statuses)} requests through rotation and grace, {len(refused)} refused")
    assert client.statuses and not refused, collections.Counter(client.statuses)

    clock.now += 301  # past the 600 s grace
    summary = rig.maintain()
    assert summary["accepted_tokens"] == 1
    assert harness.accepted_tokens(rig.stack) == [second]
    assert both(endpoint_url, first) == (401, 401)
    assert both(endpoint_url, second) == (200, 200)
    assert check_limits(writes, rig.handler) <= 2


def test_rotation_within_grace_keeps_three_values_at_most_retries_included(
    rig: harness.Rotator, endpoint_url: str, clock: FakeClock, writes: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second rotation during the first one's grace: previous, current and pending = 3 values
    (the per-condition maximum) in setSecret; finishSecret drops the oldest. Every step retried
    twice and a failed test step on the way: never more."""
    monkeypatch.setenv("GRACE_SECONDS", "600")
    rig.rotate()
    t1 = harness.value(rig.secret_arn)
    rig.rotate()
    t2 = harness.value(rig.secret_arn)
    version = "33333333-2222-4333-8444-555555555555"
    seen: dict[str, list[str]] = {}
    for step in harness.STEPS:
        for _attempt in range(3):
            rig.step(step, version)
        seen[step] = sorted(harness.accepted_tokens(rig.stack))
    t3 = harness.value(rig.secret_arn)
    assert seen["setSecret"] == sorted([t1, t2, t3])
    assert seen["finishSecret"] == sorted([t2, t3])
    # a failed testSecret (endpoint down) retried: nothing beyond the limits either
    version4 = "44444444-2222-4333-8444-555555555555"
    rig.step("createSecret", version4)
    rig.step("setSecret", version4)
    monkeypatch.setenv("ENDPOINT_URL", "http://127.0.0.1:9")
    for _ in range(2):
        with pytest.raises(rig.handler.RotationError, match="testSecret failed"):
            rig.step("testSecret", version4)
    rig.maintain()  # rotation in progress: rules left alone
    assert len(harness.accepted_tokens(rig.stack)) == 3
    assert both(endpoint_url, t3) == (200, 200)  # the current token keeps working
    most = check_limits(writes, rig.handler)
    print(f"\ncondition values per rule: at most {most} in {len(writes)} rule writes")
    assert most == 3 and len(writes) >= 6


def test_a_recreated_listener_gets_its_rules_back(rig: harness.Rotator, endpoint_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The listener is replaced (its rules die with it: ELB DeleteListener). Terraform recreates
    the listener with its 401 default; the next scheduled maintenance re-creates the two rules
    with the current token. Nothing rotates, no client needs a new token."""
    rig.rotate()
    token = harness.value(rig.secret_arn)
    elb = boto3.client("elbv2", harness.REGION)
    listener = elb.describe_listeners(ListenerArns=[rig.stack.listener_arn])["Listeners"][0]
    elb.delete_listener(ListenerArn=rig.stack.listener_arn)
    new = elb.create_listener(
        LoadBalancerArn=listener["LoadBalancerArn"], Protocol="HTTPS", Port=443,
        Certificates=listener["Certificates"], SslPolicy=listener["SslPolicy"], DefaultActions=[harness.UNAUTHORIZED],
    )["Listeners"][0]["ListenerArn"]
    rig.stack.listener_arn = new
    monkeypatch.setenv("LISTENER_ARN", new)  # Terraform updates the function's environment
    rig.sync(harness.accepted_tokens(rig.stack))
    assert rig.stack.auth_rules() == {} and both(endpoint_url, token) == (401, 401)  # closed, not open

    summary = rig.maintain()
    assert summary["rules"] == {"authorization": "created", "x-chroma-token": "created"}
    assert harness.accepted_tokens(rig.stack) == [token]
    assert both(endpoint_url, token) == (200, 200)
    assert rig.maintain()["rules"] == {"authorization": "unchanged", "x-chroma-token": "unchanged"}


def test_maintain_before_the_first_rotation_opens_nothing(rig: harness.Rotator, endpoint_url: str) -> None:
    summary = rig.maintain()
    assert summary["rules"] == "none (no token yet)" and summary["current_version"] is None
    assert rig.stack.auth_rules() == {}
    assert both(endpoint_url, None) == (401, 401)


def test_a_stuck_rotation_is_flagged_for_the_alarm(
    rig: harness.Rotator, clock: FakeClock, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STUCK_AFTER_SECONDS", "900")
    rig.rotate()
    stuck = "55555555-2222-4333-8444-555555555555"
    rig.step("createSecret", stuck)
    caplog.set_level(logging.INFO, logger="chromactl.token_rotation")
    first = rig.maintain()
    assert first["rotation_in_progress"] is True and not first.get("stuck"), first
    clock.now = time.time() + 960  # the version was created after the fake clock started
    summary = rig.maintain()
    assert summary.get("stuck") is True and summary["rotation_in_progress"] is True, summary
    marks = [r for r in caplog.records if r.getMessage().startswith(rig.handler.STUCK_MARK)]
    assert len(marks) == 1 and "chromactl token rotate --abandon-pending" in marks[0].getMessage()
    value = harness.value(rig.secret_arn, stuck, PENDING)
    assert all(value not in r.getMessage() for r in caplog.records)
