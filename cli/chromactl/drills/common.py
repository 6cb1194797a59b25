"""What every drill shares: the protected-env guard, bounded polling, the cleanup
ledger and the result (measured recovery next to its target, pass or fail)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chromactl.aws.session import describe_aws_error
from chromactl.config import EnvConfig
from chromactl.errors import ChromactlError, OperationFailed, UsageError
from chromactl.lifecycle.guard import Change, confirm_change
from chromactl.output import Output
from chromactl.poll import Clock  # the drills' clock is the one clock (chromactl.poll)
from chromactl.poll import poll_until as _poll_until

DEFAULT_TIMEOUT_S = 900.0
DEFAULT_POLL_S = 5.0
MAX_TIMEOUT_S = 6 * 3600.0


# --- the guard -------------------------------------------------------------------------------------------


def guard_protected(env: EnvConfig, scenario: str, output: Output, *, yes: bool, confirm_env: str | None) -> None:
    """The one don't-ask policy (lifecycle/guard.py): a drill on a protected env needs its name, --yes alone never."""
    confirm_change(env, output, Change(
        where=env.name,
        what=f"{scenario} drill disrupts the env on purpose",
        details=("Rehearse on a sandbox env first; `chromactl drill --dry-run` says what would change.",),
    ), yes=yes, confirm_env=confirm_env)


def check_timeout(timeout_s: float) -> float:
    if not (timeout_s > 0 and timeout_s <= MAX_TIMEOUT_S):
        raise UsageError(f"--timeout must be between 1 and {MAX_TIMEOUT_S:.0f} seconds, not {timeout_s:g}.",
                         "e.g. --timeout 900 (15 minutes).")
    return float(timeout_s)


# --- time and polling ------------------------------------------------------------------------------------


class WaitTimedOut(OperationFailed):
    """A bounded wait ran out of time; `last` is the last observation."""

    def __init__(self, message: str, hint: str | None = None, *, last: Any = None):
        super().__init__(message, hint)
        self.last = last


def poll_until(
    check: Callable[[], tuple[bool, Any]],
    *,
    timeout_s: float,
    poll_s: float,
    what: str,
    clock: Clock,
    hint: str = "Raise --timeout if the service needs longer; see `chromactl status`.",
    on_change: Callable[[Any], None] | None = None,
    output: Output | None = None,
) -> tuple[Any, float]:
    """Call `check` until it returns (True, value); at most `timeout_s` seconds. Returns (value, seconds).

    With `output`: a progress line every few seconds (Output.waiting) saying what it waits for,
    elapsed of the bound and the last observation, also when that never changes.
    """
    shown: list[Any] = [object()]
    with (output or Output(json=True)).waiting(what, timeout_s, clock=clock.monotonic) as progress:

        def look() -> tuple[bool, Any]:
            done, last = check()
            if on_change is not None and last != shown[0]:
                on_change(last)
                shown[0] = last
            progress.observe(describe(last))  # every look, the final one too
            return done, last

        polled = _poll_until(look, timeout_s=timeout_s, interval_s=poll_s, clock=clock, on_timeout=lambda last: WaitTimedOut(
            f"Gave up waiting for {what} after {timeout_s:g} s (last: {describe(last)}).", hint, last=last))
        return polled.value, polled.seconds


def describe(value: Any) -> str:
    if isinstance(value, dict) and "why" in value:
        return str(value["why"])
    return str(value)


# --- cleanup ---------------------------------------------------------------------------------------------


@dataclass
class CleanupItem:
    name: str
    undo: Callable[[], str | None]
    verify: Callable[[], bool] | None = None
    manual: str = ""


@dataclass
class Cleanup:
    """Undo actions registered as the drill changes things; run newest first, every one attempted."""

    items: list[CleanupItem] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)
    ran: bool = False

    def add(self, name: str, undo: Callable[[], str | None], *, verify: Callable[[], bool] | None = None, manual: str = "") -> None:
        self.items.append(CleanupItem(name, undo, verify, manual))

    def run(self, output: Output) -> list[dict[str, Any]]:
        self.ran = True
        for item in reversed(self.items):
            entry: dict[str, Any] = {"name": item.name, "ok": False}
            started = time.monotonic()
            try:
                entry["detail"] = item.undo() or "done"
                entry["ok"] = True
                if item.verify is not None:
                    entry["verified"] = bool(item.verify())
                    entry["ok"] = entry["verified"]
                    if not entry["verified"]:
                        entry["detail"] = f"{entry['detail']}; but the check afterwards says it is still there"
            except Exception as exc:  # noqa: BLE001 - every undo is attempted, failures are reported
                entry["ok"] = False  # the undo or its check afterwards raised (ok was already set when only the check did)
                entry["detail"] = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
            entry["seconds"] = round(time.monotonic() - started, 2)
            if not entry["ok"] and item.manual:
                entry["manual"] = item.manual
            self.results.append(entry)
            if entry["ok"]:
                output.info(f"  cleanup: {item.name}: {entry['detail']}")
            else:
                output.warn(f"cleanup of {item.name} failed: {entry['detail']}" + (f" (by hand: {item.manual})" if item.manual else ""))
        self.items.clear()
        return self.results

    @property
    def ok(self) -> bool:
        return all(r["ok"] for r in self.results)


# --- the result ------------------------------------------------------------------------------------------


@dataclass
class DrillResult:
    scenario: str
    env: str
    region: str
    measured_s: float | None = None
    target_s: float | None = None
    target_source: str = ""
    measured_label: str = "recovery"
    ok: bool = False
    error: str | None = None
    hint: str | None = None
    steps: list[dict[str, Any]] = field(default_factory=list)
    cleanup: list[dict[str, Any]] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    checks: dict[str, bool] = field(default_factory=dict)

    @property
    def within_target(self) -> bool | None:
        if self.measured_s is None or self.target_s is None:
            return None
        return self.measured_s <= self.target_s

    @property
    def passed(self) -> bool:
        return (
            self.ok
            and self.error is None
            and self.within_target is not False
            and self.measured_s is not None
            and all(self.checks.values())
            and all(c.get("ok") for c in self.cleanup)
        )

    def step(self, name: str, seconds: float, **detail: Any) -> None:
        self.steps.append({"name": name, "seconds": round(seconds, 2), **detail})

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "env": self.env,
            "region": self.region,
            "passed": self.passed,
            "measured": self.measured_label,
            "measured_seconds": None if self.measured_s is None else round(self.measured_s, 1),
            "target_seconds": self.target_s,
            "target_source": self.target_source,
            "within_target": self.within_target,
            "checks": self.checks,
            "error": self.error,
            "hint": self.hint,
            "steps": self.steps,
            "cleanup": self.cleanup,
            "cleanup_ok": all(c.get("ok") for c in self.cleanup),
            "details": self.details,
        }

    def line(self) -> str:
        verdict = "PASS" if self.passed else "FAIL"
        measured = "not measured" if self.measured_s is None else f"{self.measured_s:.1f} s"
        target = "" if self.target_s is None else f" (target {self.target_s:g} s, {self.target_source})"
        return f"{self.scenario} on {self.env}/{self.region}: {self.measured_label} {measured}{target}: {verdict}"


def record_failure(result: DrillResult, exc: BaseException) -> None:
    if isinstance(exc, ChromactlError):
        result.error, result.hint = exc.message, exc.hint
    else:
        result.error = f"{type(exc).__name__}: {exc}"


def rto_target(env: EnvConfig, override_s: float | None) -> tuple[float, str]:
    if override_s is not None:
        if override_s <= 0:
            raise UsageError("--target-seconds must be positive.", "e.g. --target-seconds 300.")
        return float(override_s), "--target-seconds"
    return env.slo.rto_minutes * 60.0, f"env slo.rto_minutes = {env.slo.rto_minutes:g}"


def aws_call(what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """One AWS call; a botocore failure becomes OperationFailed naming `what`."""
    try:
        return fn(*args, **kwargs)
    except ChromactlError:
        raise
    except Exception as exc:
        import botocore.exceptions as bex

        if not isinstance(exc, (bex.ClientError, bex.BotoCoreError)):
            raise
        raise OperationFailed(f"AWS call failed while {what}: {describe_aws_error(exc)}.",
                              "Check credentials, permissions and region (`chromactl doctor`).") from None


