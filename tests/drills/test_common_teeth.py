"""What every drill shares (chromactl.drills.common), pinned value by value with fast tests (the ones
`make mutate` runs): the bounded poll, the timeout and RTO-target inputs, the cleanup ledger's entries,
and the result's record (to_dict, line) that the JSON output and the drill log carry."""

from __future__ import annotations

import io
from types import SimpleNamespace
from typing import Any

import pytest
from chromactl.drills import common as C
from chromactl.errors import OperationFailed, UsageError
from chromactl.output import Output

from tests.drills.test_drills_teeth import FakeTime


def clock(t: FakeTime) -> C.Clock:
    return C.Clock(monotonic=t.monotonic, sleep=t.sleep)


# --- poll_until ---------------------------------------------------------------------------------------------


def test_poll_returns_the_value_and_the_seconds_it_took() -> None:
    t = FakeTime()
    t.now = 100.0
    seen: list[Any] = []
    answers = iter([(False, "a"), (False, "a"), (False, "b"), (True, "c")])
    value, seconds = C.poll_until(lambda: next(answers), timeout_s=60.0, poll_s=5.0, what="x", clock=clock(t),
                                  on_change=seen.append)
    assert value == "c" and seconds == 15.0 and t.now == 115.0
    assert seen == ["a", "b", "c"]  # each new observation once


def test_poll_reports_a_first_observation_of_none() -> None:
    seen: list[Any] = []
    C.poll_until(lambda: (True, None), timeout_s=1.0, poll_s=1.0, what="x", clock=clock(FakeTime()), on_change=seen.append)
    assert seen == [None]


def test_poll_done_at_once_does_not_sleep() -> None:
    t = FakeTime()
    assert C.poll_until(lambda: (True, 7), timeout_s=10.0, poll_s=5.0, what="x", clock=clock(t)) == (7, 0.0)
    assert t.now == 0.0


def test_poll_gives_up_at_its_deadline_with_the_last_observation() -> None:
    t = FakeTime()
    sleeps: list[float] = []

    def sleep(s: float) -> None:
        sleeps.append(s)
        t.sleep(s)

    calls = 0

    def check() -> tuple[bool, Any]:
        nonlocal calls
        calls += 1
        return False, {"why": f"still {calls}"}

    with pytest.raises(C.WaitTimedOut) as err:
        C.poll_until(check, timeout_s=12.0, poll_s=5.0, what="the service", clock=C.Clock(t.monotonic, sleep), hint="h")
    assert sleeps == [5.0, 5.0, 2.0]  # never past the deadline
    assert calls == 4 and t.now == 12.0  # one last look at the deadline
    assert err.value.last == {"why": "still 4"} and err.value.hint == "h"
    assert err.value.message == "Gave up waiting for the service after 12 s (last: still 4)."
    assert isinstance(err.value, OperationFailed)


def test_poll_with_the_default_hint_and_a_plain_observation() -> None:
    t = FakeTime()
    with pytest.raises(C.WaitTimedOut) as err:
        C.poll_until(lambda: (False, 3), timeout_s=0.5, poll_s=5.0, what="w", clock=clock(t))
    assert err.value.message == "Gave up waiting for w after 0.5 s (last: 3)."
    assert err.value.hint == "Raise --timeout if the service needs longer; see `chromactl status`."
    assert err.value.last == 3


def test_describe_uses_why_only_from_a_dict() -> None:
    assert C.describe({"why": "no task", "n": 1}) == "no task"
    assert C.describe({"n": 1}) == "{'n': 1}" and C.describe(["why"]) == "['why']" and C.describe(None) == "None"


# --- inputs --------------------------------------------------------------------------------------------------


def test_timeout_bounds_are_inclusive_at_the_top() -> None:
    assert C.check_timeout(C.MAX_TIMEOUT_S) == C.MAX_TIMEOUT_S
    assert C.check_timeout(0.5) == 0.5 and isinstance(C.check_timeout(900), float)
    for bad in (0.0, -1.0, C.MAX_TIMEOUT_S + 0.001):
        with pytest.raises(UsageError):
            C.check_timeout(bad)


def test_rto_target_from_the_flag_or_the_env() -> None:
    env: Any = SimpleNamespace(slo=SimpleNamespace(rto_minutes=7.5))
    assert C.rto_target(env, None) == (450.0, "env slo.rto_minutes = 7.5")
    assert C.rto_target(env, 120) == (120.0, "--target-seconds")
    assert isinstance(C.rto_target(env, 120)[0], float)
    assert C.rto_target(env, 0.001) == (0.001, "--target-seconds")
    for bad in (0.0, -3.0):
        with pytest.raises(UsageError, match="--target-seconds"):
            C.rto_target(env, bad)


def test_record_failure_keeps_message_and_hint_or_names_the_type() -> None:
    r = C.DrillResult("kill-task", "dev", "eu-west-1")
    C.record_failure(r, OperationFailed("ECS refused.", "Check permissions."))
    assert (r.error, r.hint) == ("ECS refused.", "Check permissions.")
    r = C.DrillResult("kill-task", "dev", "eu-west-1")
    C.record_failure(r, KeyError("taskArns"))
    assert r.error == "KeyError: 'taskArns'" and r.hint is None


# --- the protected-env guard: what the prompt asks -------------------------------------------------------------


class Confirm(Output):
    def __init__(self, answer: bool) -> None:
        super().__init__()
        self.answer = answer
        self.asked: list[tuple[str, str]] = []

    def confirm_text(self, prompt: str, expected: str) -> bool:  # type: ignore[override]
        self.asked.append((prompt, expected))
        return self.answer


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_prompt_names_the_env_and_the_drill(monkeypatch: pytest.MonkeyPatch) -> None:
    """The drill's guard is the one don't-ask policy (lifecycle/guard.py): on a protected env the name is
    needed (typed, or --confirm-env), --yes alone never; the prompt names the env and the drill."""
    env: Any = SimpleNamespace(protected=True, name="prod")
    out = Confirm(True)
    C.guard_protected(env, "az-loss", out, yes=True, confirm_env=None)  # --yes: the name is still asked for
    ((prompt, expected),) = out.asked
    assert expected == "prod" and "prod is a protected env" in prompt and "az-loss drill disrupts the env on purpose" in prompt
    assert prompt.endswith(":\nRehearse on a sandbox env first; `chromactl drill --dry-run` says what would change.")
    out = Confirm(True)
    C.guard_protected(env, "az-loss", out, yes=False, confirm_env="prod")  # the name given: nothing asked
    assert out.asked == []
    with pytest.raises(UsageError, match="the env's name was not given"):  # no terminal to ask, no name
        C.guard_protected(env, "az-loss", Confirm(False), yes=True, confirm_env=None)
    with pytest.raises(UsageError, match="does not match the env name"):
        C.guard_protected(env, "az-loss", Confirm(True), yes=True, confirm_env="staging")


# --- the cleanup ledger ----------------------------------------------------------------------------------------


def test_cleanup_entries_carry_detail_verdict_and_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    ticks = iter([10.0, 10.004, 20.0, 21.256, 30.0, 30.5, 40.0, 40.0])
    monkeypatch.setattr(C, "time", SimpleNamespace(monotonic=lambda: next(ticks)))  # common's clock only
    c = C.Cleanup()
    c.add("scale back", lambda: "desired count 2", verify=lambda: False, manual="aws ecs update-service ...")
    c.add("restore subnets", lambda: None, verify=lambda: True)
    c.add("stop probe", lambda: (_ for _ in ()).throw(OperationFailed("probe refused.", "hint")))
    c.add("untag", lambda: (_ for _ in ()).throw(ValueError("bad tag")), manual="")
    results = c.run(Output(json=True))
    assert [r["name"] for r in results] == ["untag", "stop probe", "restore subnets", "scale back"]
    assert results[0] == {"name": "untag", "ok": False, "detail": "ValueError: bad tag", "seconds": 0.0}
    assert results[1] == {"name": "stop probe", "ok": False, "detail": "probe refused.", "seconds": 1.26}
    assert results[2] == {"name": "restore subnets", "ok": True, "detail": "done", "verified": True, "seconds": 0.5}
    assert results[3] == {"name": "scale back", "ok": False, "verified": False, "seconds": 0.0,
                          "detail": "desired count 2; but the check afterwards says it is still there",
                          "manual": "aws ecs update-service ..."}
    assert c.ok is False and c.items == [] and c.ran


def test_cleanup_ok_only_when_every_entry_is() -> None:
    c = C.Cleanup()
    assert c.ok is True and c.ran is False  # nothing registered: nothing to undo
    c.add("a", lambda: "x")
    c.add("b", lambda: "y", verify=lambda: 1)  # type: ignore[arg-type,return-value]
    assert [r["ok"] for r in c.run(Output(json=True))] == [True, True] and c.ok
    assert c.results[0]["verified"] is True  # bool() of what verify said
    c.add("c", lambda: "z", verify=lambda: 0)  # type: ignore[arg-type,return-value]
    c.run(Output(json=True))
    assert len(c.results) == 3 and c.results[-1]["verified"] is False and c.ok is False


def test_a_verify_that_raises_is_a_failed_cleanup() -> None:
    """The undo ran, then its check afterwards raised: nothing says the change is gone, so it is a failure
    (it was reported ok: the entry was marked ok before the check ran and the except kept that)."""
    def verify() -> bool:
        raise OperationFailed("describe refused.")

    c = C.Cleanup()
    c.add("x", lambda: "undone", verify=verify, manual="by hand")
    (entry,) = c.run(Output(json=True))
    assert entry["ok"] is False and entry["detail"] == "describe refused." and entry["manual"] == "by hand"


# --- the result's record ----------------------------------------------------------------------------------------


def test_step_rounds_and_keeps_its_details() -> None:
    r = C.DrillResult("az-loss", "dev", "eu-west-1")
    r.step("block subnet", 1.23456, subnet="subnet-b", az="eu-west-1b")
    r.step("wait", 2.005)
    assert r.steps == [{"name": "block subnet", "seconds": 1.23, "subnet": "subnet-b", "az": "eu-west-1b"},
                       {"name": "wait", "seconds": round(2.005, 2)}]


def test_to_dict_and_line_of_a_passed_drill() -> None:
    r = C.DrillResult("kill-task", "dev", "eu-west-1", measured_s=42.25, target_s=900.0, target_source="env slo.rto_minutes = 15",
                      ok=True, steps=[{"name": "s"}], cleanup=[{"name": "c", "ok": True}], details={"task": "t1"},
                      checks={"smoke": True})
    assert r.to_dict() == {
        "scenario": "kill-task", "env": "dev", "region": "eu-west-1", "passed": True, "measured": "recovery",
        "measured_seconds": 42.2, "target_seconds": 900.0, "target_source": "env slo.rto_minutes = 15", "within_target": True,
        "checks": {"smoke": True}, "error": None, "hint": None, "steps": [{"name": "s"}], "cleanup": [{"name": "c", "ok": True}],
        "cleanup_ok": True, "details": {"task": "t1"},
    }
    assert r.line() == "kill-task on dev/eu-west-1: recovery 42.2 s (target 900 s, env slo.rto_minutes = 15): PASS"


def test_to_dict_and_line_of_a_failed_unmeasured_drill() -> None:
    r = C.DrillResult("restore-test", "prod", "us-east-1", measured_label="restore", error="boom", hint="h",
                      cleanup=[{"name": "c", "ok": True}, {"name": "d"}])
    d = r.to_dict()
    assert d["passed"] is False and d["measured"] == "restore" and d["measured_seconds"] is None and d["target_seconds"] is None
    assert d["within_target"] is None and d["cleanup_ok"] is False and d["error"] == "boom" and d["hint"] == "h"
    assert d["checks"] == {} and d["details"] == {} and d["steps"] == []
    assert r.line() == "restore-test on prod/us-east-1: restore not measured: FAIL"
    r.measured_s, r.target_s, r.target_source = 61.0, 60.0, "--target-seconds"
    assert r.line() == "restore-test on prod/us-east-1: restore 61.0 s (target 60 s, --target-seconds): FAIL"
    assert r.to_dict()["within_target"] is False


def test_poll_shows_its_progress_on_the_given_output_on_the_waits_clock(monkeypatch: pytest.MonkeyPatch,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """A line every CHROMACTL_PROGRESS_EVERY seconds of the wait's own (here fake) clock, with the last
    observation; without an output the wait is silent."""
    monkeypatch.setenv("CHROMACTL_PROGRESS_EVERY", "5")
    t = FakeTime()
    t.now = 100.0
    answers = iter([(False, "a"), (False, "a"), (False, "b"), (True, "c")])
    C.poll_until(lambda: next(answers), timeout_s=60.0, poll_s=5.0, what="the service", clock=clock(t), output=Output(json=False))
    assert capsys.readouterr().err.splitlines() == [
        "waiting for the service: started",
        "waiting for the service: 5/60 s (8 %), last: a (5 s)",
        "waiting for the service: 10/60 s (17 %), last: b (10 s)",
        "waiting for the service: 15/60 s (25 %), last: c (15 s)",
        "waiting for the service: done: 15/60 s (25 %), last: c (15 s)",
    ]
    answers = iter([(False, "a"), (False, "a"), (True, "b")])
    C.poll_until(lambda: next(answers), timeout_s=60.0, poll_s=5.0, what="the service", clock=clock(t))
    assert capsys.readouterr().err == ""
