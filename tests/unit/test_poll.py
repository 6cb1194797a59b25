"""chromactl.poll: the one clock and the one bounded poll-until every wait in chromactl runs on
(failover promote and DNS, token rotate and settle, drills, day-2 backup), on a fake clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from chromactl.poll import Clock, Polled, TimedOut, poll_until


@dataclass
class FakeTime:
    t: float = 1000.0  # not 0: a start of 0 would hide a wrong sign in `now - started`
    sleeps: list[float] = field(default_factory=list)

    def monotonic(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.sleeps.append(s)
        assert len(self.sleeps) < 50, "hang guard: the wait did not stop at its bound"
        self.t += s

    def clock(self) -> Clock:
        return Clock(monotonic=self.monotonic, sleep=self.sleep)


def test_returns_the_value_the_seconds_and_the_looks() -> None:
    ft = FakeTime(t=100.0)
    answers = iter([(False, "a"), (False, "b"), (True, "c")])
    polled = poll_until(lambda: next(answers), timeout_s=60, interval_s=5, clock=ft.clock())
    assert polled == Polled(value="c", seconds=10.0, polls=3)
    assert ft.sleeps == [5, 5]


def test_done_at_the_first_look_never_sleeps_nor_reports() -> None:
    ft = FakeTime()
    seen: list[Any] = []
    polled = poll_until(lambda: (True, 1), timeout_s=60, interval_s=5, clock=ft.clock(), on_wait=seen.append)
    assert polled.value == 1 and polled.polls == 1 and ft.sleeps == [] and seen == []


def test_times_out_at_the_bound_with_a_last_look_at_it() -> None:
    ft = FakeTime()
    looks: list[float] = []

    def check() -> tuple[bool, float]:
        looks.append(ft.t - 1000)
        assert len(looks) < 50, "hang guard: the wait did not stop at its bound"
        return False, ft.t - 1000

    with pytest.raises(TimedOut) as exc:
        poll_until(check, timeout_s=12, interval_s=5, clock=ft.clock())
    # 0, 5, 10, then the last sleep is cut to the 2 s left: a look at the bound, none after it
    assert looks == [0, 5, 10, 12] and ft.sleeps == [5, 5, 2]
    assert exc.value.last == 12 and exc.value.seconds == 12 and exc.value.polls == 4


def test_the_cut_last_sleep_may_be_short() -> None:
    ft = FakeTime()
    with pytest.raises(TimedOut):
        poll_until(lambda: (False, None), timeout_s=10.5, interval_s=5, clock=ft.clock())
    assert ft.sleeps == [5, 5, 0.5]  # no floor by default


def test_on_timeout_builds_the_callers_error_from_the_last_value() -> None:
    ft = FakeTime()
    states = iter(["CREATING", "RUNNING", "RUNNING"])
    with pytest.raises(RuntimeError, match="^late: RUNNING$"):
        poll_until(lambda: (False, next(states)), timeout_s=10, interval_s=5, clock=ft.clock(),
                   on_timeout=lambda last: RuntimeError(f"late: {last}"))
    assert ft.t == 1010


def test_progress_is_called_after_every_look_that_is_not_done() -> None:
    ft = FakeTime()
    answers = iter([(False, "a"), (False, "b"), (True, "c")])
    seen: list[tuple[str, float]] = []
    poll_until(lambda: next(answers), timeout_s=60, interval_s=5, clock=ft.clock(), on_wait=lambda v: seen.append((v, ft.t)))
    assert seen == [("a", 1000), ("b", 1005)]


def test_min_sleep_floors_the_cut_last_sleep() -> None:
    ft = FakeTime()
    with pytest.raises(TimedOut):
        poll_until(lambda: (False, None), timeout_s=10.01, interval_s=5, clock=ft.clock(), min_sleep_s=0.05)
    assert ft.sleeps[:2] == [5, 5] and ft.sleeps[2] == 0.05  # 0.01 s left, slept the floor


def test_an_error_in_the_check_ends_the_wait() -> None:
    ft = FakeTime()

    def check() -> tuple[bool, None]:
        raise ValueError("FAILED")

    with pytest.raises(ValueError, match="FAILED"):
        poll_until(check, timeout_s=60, interval_s=5, clock=ft.clock())
    assert ft.sleeps == []


def test_the_clock_defaults_to_real_time() -> None:
    c = Clock()
    assert c.monotonic() <= c.monotonic()
    assert c.now().tzinfo is UTC and abs((datetime.now(UTC) - c.now()).total_seconds()) < 60
