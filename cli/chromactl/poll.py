"""One clock and one bounded poll-until for every wait in chromactl.

`Clock` is the time a wait runs on (monotonic + sleep, and the wall-clock `now` that
failover and day-2 stamp results with); tests pass a fake one so that a 15-minute wait
runs in no time. `poll_until` is the only loop that waits for a state: it checks, and
until the check says done it reports (`on_wait`), gives up at the bound and sleeps the
interval, the last sleep cut to what is left of the bound, so the last look happens
at the bound and never after it.

The Lambda (cli/chromactl/functions/) ships alone and keeps its own copy of its clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

T = TypeVar("T")


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Clock:
    """The clock a wait runs on; every field is replaceable (fake time in tests and drills)."""

    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], datetime] = _utc_now


class TimedOut(Exception):
    """The bound passed before the check said done; `last` is the last observation."""

    def __init__(self, last: object, seconds: float, polls: int):
        super().__init__(f"not done after {seconds:g} s and {polls} look(s)")
        self.last = last
        self.seconds = seconds
        self.polls = polls


@dataclass(frozen=True)
class Polled(Generic[T]):
    """What a finished wait saw last, how long it took and how many looks it needed."""

    value: T
    seconds: float
    polls: int


def poll_until(
    check: Callable[[], tuple[bool, T]],
    *,
    timeout_s: float,
    interval_s: float,
    clock: Clock,
    on_wait: Callable[[T], None] | None = None,
    on_timeout: Callable[[T], BaseException] | None = None,
    min_sleep_s: float = 0.0,
) -> Polled[T]:
    """Call `check` until it returns (True, value), at most `timeout_s` seconds on `clock`.

    After every look that is not done: `on_wait(value)`; then, when the bound has passed,
    raise `on_timeout(value)` (or TimedOut without one); else sleep `interval_s`, cut to the
    time left and never under `min_sleep_s`.
    """
    started = clock.monotonic()
    deadline = started + timeout_s
    polls = 0
    while True:
        polls += 1
        done, value = check()
        if done:
            return Polled(value, clock.monotonic() - started, polls)
        if on_wait is not None:
            on_wait(value)
        now = clock.monotonic()
        remaining = deadline - now
        if remaining <= 0:
            if on_timeout is not None:
                raise on_timeout(value)
            raise TimedOut(value, now - started, polls)
        clock.sleep(max(min_sleep_s, min(interval_s, remaining)))
