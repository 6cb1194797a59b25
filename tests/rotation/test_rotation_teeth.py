"""Two refusals of the token rotation, pinned with fast tests (the ones `make mutate` runs):

- the handler's testSecret passes only if the pending token opens the rule in BOTH headers AND a
  request without a token is refused with 401 (an endpoint that lets anonymous requests through
  must fail the rotation, or the new token would be promoted on an open door);
- `chromactl token rotate` (start_rotation_and_wait) returns only when the new version is
  AWSCURRENT and no longer AWSPENDING: the function moves AWSCURRENT first and drops AWSPENDING
  last, after the ALB rules accept only the new token (functions/token_rotation/handler.py,
  finish()), so "current but still pending" is a rotation still in progress.

Secrets Manager is a botocore Stubber (every call checked against the real API model,
botocore/data/secretsmanager/2017-10-17/service-2.json: DescribeSecretResponse.VersionIdsToStages,
RotateSecretResponse.VersionId, UpdateSecretVersionStageRequest); the endpoint is a stdlib HTTP
server on 127.0.0.1 playing the ALB's token rule. Staging labels: AWS docs, "How rotation works"
(https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_how.html)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from chromactl.aws.session import ClientFactory
from chromactl.errors import ConfigError, OperationFailed
from chromactl.rotation.token import start_rotation_and_wait

from tests.rotation.harness import load_handler

h = load_handler()
REGION = "us-east-1"
ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:chromactl-dev/alb-token-AbCdEf"
LISTENER = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/chromactl-dev/50dc6c495c0c9188/f2f7dc8efc522ab2"
TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/chromactl-dev/73e2d6bc24d8a067"
VERSION = "0f8c2f7e-6f5a-4d2b-9f3e-1a2b3c4d5e6f"
OLD = "11111111-2222-3333-4444-555555555555"
PENDING_TOKEN = "p" * 32 + "9" * 32


def sm_client() -> tuple[Any, Stubber]:
    sm = boto3.client("secretsmanager", REGION, aws_access_key_id="x", aws_secret_access_key="x")
    return sm, Stubber(sm)


# --- the handler's testSecret ------------------------------------------------------------------------


class Alb:
    """What the ALB answers per request: `decide(headers) -> status` (the test sets the policy)."""

    def __init__(self) -> None:
        self.seen: list[dict[str, str]] = []
        self.decide = self.enforcing
        alb = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                headers = {k.lower(): v for k, v in self.headers.items()}
                alb.seen.append(headers)
                status = alb.decide(headers)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @staticmethod
    def enforcing(headers: dict[str, str]) -> int:
        ok = headers.get("authorization") == f"Bearer {PENDING_TOKEN}" or headers.get("x-chroma-token") == PENDING_TOKEN
        return 200 if ok else 401

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def anonymous(headers: dict[str, str]) -> bool:
    return "authorization" not in headers and "x-chroma-token" not in headers


@pytest.fixture
def alb() -> Iterator[Alb]:
    a = Alb()
    try:
        yield a
    finally:
        a.stop()


def run_test_step(alb: Alb, attempts: int = 2) -> None:
    sm, stub = sm_client()
    stub.add_response("get_secret_value", {"ARN": ARN, "Name": "chromactl-dev/alb-token", "VersionId": VERSION,
                                               "SecretString": PENDING_TOKEN, "VersionStages": ["AWSPENDING"]},
                          {"SecretId": ARN, "VersionId": VERSION, "VersionStage": "AWSPENDING"})
    settings = h.Settings(listener_arn=LISTENER, target_group_arn=TG, endpoint_url=alb.url, http_timeout=3.0, test_attempts=attempts,
                          test_retry_delay=0.0)
    with stub:
        h.Rotation(ARN, VERSION, settings, sm, elb=None).test()
    stub.assert_no_pending_responses()


def test_test_step_passes_when_the_rule_enforces_the_pending_token(alb: Alb) -> None:
    run_test_step(alb)
    assert len(alb.seen) == 3  # one attempt: bearer, x-chroma-token, none
    assert [("authorization" in s, "x-chroma-token" in s) for s in alb.seen] == [(True, False), (False, True), (False, False)]
    assert all(s["user-agent"] == "chromactl-token-rotation" for s in alb.seen)


def test_test_step_fails_when_a_request_without_token_is_let_through(alb: Alb) -> None:
    alb.decide = lambda headers: 200  # the door is open: every request reaches Chroma
    with pytest.raises(h.RotationError) as err:
        run_test_step(alb, attempts=2)
    assert "no-token=200" in str(err.value) and "after 2 attempts" in str(err.value)
    assert "current token stays accepted" in str(err.value)
    assert PENDING_TOKEN not in str(err.value)  # never in an error message


def test_test_step_fails_when_no_token_gets_anything_but_401(alb: Alb) -> None:
    """Only the listener's default action answers 401; a 403 or a 5xx for an anonymous request
    does not prove the rule refused it (a WAF, a proxy, a failing target)."""
    for status in (403, 502):
        def decide(headers: dict[str, str], s: int = status) -> int:
            return s if anonymous(headers) else Alb.enforcing(headers)

        alb.decide = decide
        with pytest.raises(h.RotationError, match=f"no-token={status}"):
            run_test_step(alb, attempts=1)


@pytest.mark.parametrize("missing", ["authorization", "x-chroma-token"])
def test_test_step_fails_when_one_header_rule_refuses_the_pending_token(alb: Alb, missing: str) -> None:
    alb.decide = lambda headers: 401 if missing in headers else Alb.enforcing(headers)
    with pytest.raises(h.RotationError) as err:
        run_test_step(alb, attempts=1)
    name = "bearer" if missing == "authorization" else "x-chroma-token"
    assert f"{name}=401" in str(err.value)


def test_test_step_counts_a_starting_service_as_passing_the_rule(alb: Alb) -> None:
    """502/503/504 come from the ALB after the rule forwarded (the target is still starting)."""
    alb.decide = lambda headers: 503 if Alb.enforcing(headers) == 200 else 401
    run_test_step(alb)


def test_test_step_retries_until_the_rule_is_in_place(alb: Alb) -> None:
    """ModifyRule is eventually consistent: a first 401 for the pending token, then 200."""
    calls = {"n": 0}

    def decide(headers: dict[str, str]) -> int:
        calls["n"] += 1
        return 401 if calls["n"] <= 3 else Alb.enforcing(headers)

    alb.decide = decide
    run_test_step(alb, attempts=3)
    assert len(alb.seen) == 6  # two attempts of three requests


class HandlerTime:
    """The handler's `time` (monotonic + sleep): time moves only when the step sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def failing_test_step(alb: Alb, monkeypatch: pytest.MonkeyPatch, *, attempts: int, delay: float, budget: float,
                      spent: float = 0.0) -> tuple[str, HandlerTime]:
    """Run testSecret against an ALB that refuses the pending token; (its error, the handler's clock)."""
    t = HandlerTime()
    monkeypatch.setattr(h, "time", t)
    alb.decide = lambda headers: 401
    sm, stub = sm_client()
    stub.add_response("get_secret_value", {"ARN": ARN, "Name": "chromactl-dev/alb-token", "VersionId": VERSION,
                                               "SecretString": PENDING_TOKEN, "VersionStages": ["AWSPENDING"]},
                          {"SecretId": ARN, "VersionId": VERSION, "VersionStage": "AWSPENDING"})
    settings = h.Settings(listener_arn=LISTENER, target_group_arn=TG, endpoint_url=alb.url, http_timeout=3.0, test_attempts=attempts,
                          test_retry_delay=delay, test_budget=budget)
    rotation = h.Rotation(ARN, VERSION, settings, sm, elb=None)  # its test deadline: now + budget
    t.now += spent
    with stub, pytest.raises(h.RotationError) as err:
        rotation.test()
    return str(err.value), t


def test_test_step_makes_every_attempt_then_fails_naming_their_count(alb: Alb, monkeypatch: pytest.MonkeyPatch) -> None:
    """TEST_ATTEMPTS attempts of three requests, TEST_RETRY_DELAY between two attempts (none after the last)."""
    message, t = failing_test_step(alb, monkeypatch, attempts=3, delay=2.0, budget=40.0)
    assert message.startswith("testSecret failed after 3 attempts (bearer=401 x-chroma-token=401 no-token=401)")
    assert len(alb.seen) == 9 and t.sleeps == [2.0, 2.0]


@pytest.mark.parametrize(("budget", "attempts"), [
    (5.0, 2),  # after the 2nd attempt (t+2): t+2 + 2 s pause + 1 s = the deadline: no 3rd attempt
    (5.5, 3),  # half a second more: the 3rd attempt (t+4) still fits; after it, t+4 + 3 s is past the deadline
])
def test_test_step_stops_retrying_when_a_pause_and_a_second_no_longer_fit_its_budget(
        alb: Alb, monkeypatch: pytest.MonkeyPatch, budget: float, attempts: int) -> None:
    message, t = failing_test_step(alb, monkeypatch, attempts=10, delay=2.0, budget=budget)
    assert message.startswith(f"testSecret failed after {attempts} attempts")
    assert len(alb.seen) == 3 * attempts and t.sleeps == [2.0] * (attempts - 1)


def test_test_step_whose_budget_is_spent_sends_no_request(alb: Alb, monkeypatch: pytest.MonkeyPatch) -> None:
    """The probes are cut to the step's deadline: with the budget gone none is sent, and the step fails
    instead of running past its invocation's time."""
    message, _t = failing_test_step(alb, monkeypatch, attempts=1, delay=0.0, budget=5.0, spent=5.0)
    assert message.startswith("testSecret failed after 1 attempts (bearer=no answer x-chroma-token=no answer no-token=no answer)")
    assert alb.seen == []


# --- `chromactl token rotate`: the wait ----------------------------------------------------------------


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def describe(stages: dict[str, list[str]], *, enabled: bool = True) -> dict[str, Any]:
    return {"ARN": ARN, "Name": "chromactl-dev/alb-token", "RotationEnabled": enabled, "VersionIdsToStages": stages}


def expect_start(stub: Stubber, before: dict[str, list[str]]) -> None:
    stub.add_response("describe_secret", describe(before), {"SecretId": ARN})
    stub.add_response("rotate_secret", {"ARN": ARN, "Name": "chromactl-dev/alb-token", "VersionId": VERSION},
                      {"SecretId": ARN, "ClientRequestToken": ANY})


def wait(stub_client: Any, t: FakeTime, **kw: Any) -> Any:
    factory = ClientFactory(overrides={("secretsmanager", REGION): stub_client})
    progress: list[str] = []
    kw.setdefault("timeout", 60)
    res = start_rotation_and_wait(ARN, REGION, factory=factory, poll_interval=5.0, sleep=t.sleep, clock=t.clock,
                                  on_progress=progress.append, **kw)
    return res, progress


def test_rotate_waits_while_the_new_version_is_current_but_still_pending() -> None:
    sm, stub = sm_client()
    expect_start(stub, {OLD: ["AWSCURRENT"]})
    for stages in ({OLD: ["AWSCURRENT"], VERSION: ["AWSPENDING"]},
                   {OLD: ["AWSPREVIOUS"], VERSION: ["AWSCURRENT", "AWSPENDING"]},  # finishSecret half done
                   {OLD: ["AWSPREVIOUS"], VERSION: ["AWSCURRENT"]}):
        stub.add_response("describe_secret", describe(stages), {"SecretId": ARN})
    t = FakeTime()
    with stub:
        res, progress = wait(sm, t)
    stub.assert_no_pending_responses()  # it did not return on the half-done state
    assert res.version_id == VERSION and res.previous_version_id == OLD and res.abandoned_version_id is None
    assert t.sleeps == [5.0, 5.0] and res.seconds == 10.0
    assert progress[0] == f"rotation started: new version {VERSION}"
    assert progress[-1].startswith("rotation finished")


def test_rotate_times_out_within_its_bound_while_pending() -> None:
    sm, stub = sm_client()
    expect_start(stub, {OLD: ["AWSCURRENT"]})
    for _ in range(4):  # at 0, 5, 10 and 12 s
        stub.add_response("describe_secret", describe({OLD: ["AWSCURRENT"], VERSION: ["AWSCURRENT", "AWSPENDING"]}), {"SecretId": ARN})
    t = FakeTime()
    with stub, pytest.raises(OperationFailed) as err:
        wait(sm, t, timeout=12)
    assert "did not finish within 12 s" in err.value.message and "AWSCURRENT, AWSPENDING" in err.value.message
    assert "current token still works" in (err.value.hint or "")
    assert t.sleeps == [5.0, 5.0, 2.0] and t.now - 1000.0 == 12.0
    stub.assert_no_pending_responses()


def test_rotate_reports_an_abandoned_rotation() -> None:
    sm, stub = sm_client()
    expect_start(stub, {OLD: ["AWSCURRENT"]})
    stub.add_response("describe_secret", describe({OLD: ["AWSCURRENT"], VERSION: ["AWSPENDING"]}), {"SecretId": ARN})
    stub.add_response("describe_secret", describe({OLD: ["AWSCURRENT"]}), {"SecretId": ARN})  # pending dropped: failed
    t = FakeTime()
    with stub, pytest.raises(OperationFailed, match="was abandoned"):
        wait(sm, t)
    assert t.sleeps == [5.0]
    stub.assert_no_pending_responses()


def test_rotate_refuses_to_start_over_an_unfinished_rotation_unless_told() -> None:
    sm, stub = sm_client()
    stuck = "99999999-8888-7777-6666-555555555555"
    stub.add_response("describe_secret", describe({OLD: ["AWSCURRENT"], stuck: ["AWSPENDING"]}), {"SecretId": ARN})
    with stub, pytest.raises(OperationFailed) as err:
        wait(sm, FakeTime())
    assert f"version {stuck} is still AWSPENDING" in err.value.message and "--abandon-pending" in (err.value.hint or "")
    stub.assert_no_pending_responses()  # nothing rotated

    sm, stub = sm_client()
    stub.add_response("describe_secret", describe({OLD: ["AWSCURRENT"], stuck: ["AWSPENDING"]}), {"SecretId": ARN})
    stub.add_response("update_secret_version_stage", {"ARN": ARN, "Name": "chromactl-dev/alb-token"},
                      {"SecretId": ARN, "VersionStage": "AWSPENDING", "RemoveFromVersionId": stuck})
    stub.add_response("rotate_secret", {"ARN": ARN, "VersionId": VERSION}, {"SecretId": ARN, "ClientRequestToken": ANY})
    stub.add_response("describe_secret", describe({OLD: ["AWSPREVIOUS"], VERSION: ["AWSCURRENT"]}), {"SecretId": ARN})
    with stub:
        res, progress = wait(sm, FakeTime(), abandon_stuck=True)
    assert res.abandoned_version_id == stuck and res.version_id == VERSION
    assert f"abandoned the unfinished rotation (version {stuck})" in progress
    stub.assert_no_pending_responses()


def test_rotate_refuses_a_secret_without_rotation_and_bad_timeouts() -> None:
    sm, stub = sm_client()
    stub.add_response("describe_secret", describe({OLD: ["AWSCURRENT"]}, enabled=False), {"SecretId": ARN})
    with stub, pytest.raises(OperationFailed, match="has no rotation configured"):
        wait(sm, FakeTime())
    stub.assert_no_pending_responses()
    for bad in (0.5, 3601):
        with pytest.raises(ConfigError, match="--timeout must be between 1 and 3600"):
            wait(sm, FakeTime(), timeout=bad)
    for edge in (1, 3600):  # the bounds themselves are allowed (nothing is called: the stub is empty)
        with pytest.raises(Exception) as err:
            wait(sm, FakeTime(), timeout=edge)
        assert not isinstance(err.value, ConfigError)


def test_rotate_polls_every_five_seconds_by_default_and_never_spins() -> None:
    sm, stub = sm_client()
    expect_start(stub, {OLD: ["AWSCURRENT"]})
    stub.add_response("describe_secret", describe({OLD: ["AWSCURRENT"], VERSION: ["AWSPENDING"]}), {"SecretId": ARN})
    stub.add_response("describe_secret", describe({OLD: ["AWSCURRENT"], VERSION: ["AWSPENDING"]}), {"SecretId": ARN})
    stub.add_response("describe_secret", describe({OLD: ["AWSPREVIOUS"], VERSION: ["AWSCURRENT"]}), {"SecretId": ARN})
    t = FakeTime()
    factory = ClientFactory(overrides={("secretsmanager", REGION): sm})
    with stub:
        res = start_rotation_and_wait(ARN, REGION, factory=factory, timeout=5.01, sleep=t.sleep, clock=t.clock)
    assert t.sleeps == [5.0, pytest.approx(0.05)]  # the default poll, then at least 50 ms when 10 ms were left
    assert res.seconds == pytest.approx(5.05) and res.to_dict()["seconds"] == 5.0
    assert res.to_dict() == {"secret": ARN, "version_id": VERSION, "previous_version_id": OLD, "seconds": 5.0,
                             "abandoned_version_id": None}


# --- abandon_pending and the calls' failures -------------------------------------------------------------------


def test_abandon_pending_drops_only_a_pending_version_that_is_not_current() -> None:
    from chromactl.rotation.token import abandon_pending

    sm, stub = sm_client()
    with stub:  # nothing pending, or pending on the current version (a first rotation half done): no call
        assert abandon_pending(sm, ARN, {OLD: ["AWSCURRENT"]}) is None
        assert abandon_pending(sm, ARN, {OLD: ["AWSCURRENT", "AWSPENDING"]}) is None
    stub.add_response("update_secret_version_stage", {"ARN": ARN},
                      {"SecretId": ARN, "VersionStage": "AWSPENDING", "RemoveFromVersionId": VERSION})
    with stub:
        assert abandon_pending(sm, ARN, {OLD: ["AWSCURRENT"], VERSION: ["AWSPENDING"]}) == VERSION
    stub.assert_no_pending_responses()


@pytest.mark.parametrize(("code", "message"), [
    ("AccessDeniedException", f"AWS refused abandoning the pending version for {ARN} (AccessDeniedException)."),
    ("ResourceNotFoundException", f"Secret {ARN} was not found while abandoning the pending version."),
    ("InternalServiceError", f"AWS call failed while abandoning the pending version for {ARN}: "),
])
def test_abandon_pending_names_what_it_was_doing_when_aws_refuses(code: str, message: str) -> None:
    from chromactl.errors import ChromactlError
    from chromactl.rotation.token import abandon_pending

    sm, stub = sm_client()
    stub.add_client_error("update_secret_version_stage", code, "no", expected_params={
        "SecretId": ARN, "VersionStage": "AWSPENDING", "RemoveFromVersionId": VERSION})
    with stub, pytest.raises(ChromactlError) as err:
        abandon_pending(sm, ARN, {OLD: ["AWSCURRENT"], VERSION: ["AWSPENDING"]})
    assert err.value.message.startswith(message)


def test_rotate_names_the_start_when_rotate_secret_is_refused() -> None:
    sm, stub = sm_client()
    stub.add_response("describe_secret", describe({OLD: ["AWSCURRENT"]}), {"SecretId": ARN})
    stub.add_client_error("rotate_secret", "AccessDeniedException", "no", expected_params={"SecretId": ARN, "ClientRequestToken": ANY})
    with stub, pytest.raises(OperationFailed) as err:
        wait(sm, FakeTime())
    assert err.value.message == f"AWS refused starting a rotation for {ARN} (AccessDeniedException)."


def test_rotate_uses_the_described_arn_and_its_own_version_when_aws_names_none(monkeypatch: pytest.MonkeyPatch) -> None:
    import uuid

    import chromactl.rotation.token as tok

    mine = uuid.UUID(VERSION)
    monkeypatch.setattr(tok.uuid, "uuid4", lambda: mine)
    sm, stub = sm_client()
    name = "chromactl-dev/alb-token"
    stub.add_response("describe_secret", describe({OLD: ["AWSCURRENT"]}), {"SecretId": name})  # asked by name ...
    stub.add_response("rotate_secret", {"ARN": ARN}, {"SecretId": ARN, "ClientRequestToken": VERSION})  # ... then by its ARN
    stub.add_response("describe_secret", describe({OLD: ["AWSPREVIOUS"], VERSION: ["AWSCURRENT"]}), {"SecretId": ARN})
    t = FakeTime()
    factory = ClientFactory(overrides={("secretsmanager", REGION): sm})
    with stub:
        res = start_rotation_and_wait(name, REGION, factory=factory, timeout=60, sleep=t.sleep, clock=t.clock)
    stub.assert_no_pending_responses()
    assert res.secret == ARN and res.version_id == VERSION and res.previous_version_id == OLD and res.seconds == 0.0


def test_rotate_waits_while_the_new_version_is_not_visible_yet_and_polls_at_its_interval() -> None:
    """Right after RotateSecret the new version may not be listed yet (no stages): that is not an
    abandoned rotation (that is pending seen, then gone)."""
    sm, stub = sm_client()
    expect_start(stub, {OLD: ["AWSCURRENT"]})
    for stages in ({OLD: ["AWSCURRENT"]}, {OLD: ["AWSCURRENT"], VERSION: ["AWSPENDING"]},
                   {OLD: ["AWSPREVIOUS"], VERSION: ["AWSCURRENT"]}):
        stub.add_response("describe_secret", describe(stages), {"SecretId": ARN})
    t = FakeTime()
    factory = ClientFactory(overrides={("secretsmanager", REGION): sm})
    progress: list[str] = []
    with stub:
        res = start_rotation_and_wait(ARN, REGION, factory=factory, poll_interval=2.0, timeout=60, sleep=t.sleep, clock=t.clock,
                                      on_progress=progress.append)
    assert res.version_id == VERSION and t.sleeps == [2.0, 2.0]
    assert progress.count("new version is pending; the rotation function is setting and testing it") == 1


def test_rotate_timeout_names_a_version_without_stages() -> None:
    sm, stub = sm_client()
    expect_start(stub, {OLD: ["AWSCURRENT"]})
    for _ in range(3):
        stub.add_response("describe_secret", describe({OLD: ["AWSCURRENT"]}), {"SecretId": ARN})
    with stub, pytest.raises(OperationFailed) as err:
        wait(sm, FakeTime(), timeout=10)
    assert err.value.message == f"The rotation of {ARN} did not finish within 10 s (version {VERSION}: no stage)."
    assert err.value.hint == ("The current token still works. See the rotation function's log group "
                              "(/aws/lambda/<project>-<env>-token-rotation); wait and check `chromactl token age`, "
                              "or rotate again with --abandon-pending.")  # no log group named: the pattern of its name
    sm, stub = sm_client()
    expect_start(stub, {OLD: ["AWSCURRENT"]})
    for _ in range(3):
        stub.add_response("describe_secret", describe({OLD: ["AWSCURRENT"]}), {"SecretId": ARN})
    with stub, pytest.raises(OperationFailed) as err:
        wait(sm, FakeTime(), timeout=10, log_group="/aws/lambda/chromactl-dev-token-rotation")
    assert "See the rotation function's log group /aws/lambda/chromactl-dev-token-rotation; wait" in (err.value.hint or "")


@pytest.mark.parametrize("when", ["starting a rotation", "waiting for the rotation"])
def test_a_refused_describe_names_what_it_was_doing(when: str) -> None:
    sm, stub = sm_client()
    if when == "waiting for the rotation":
        expect_start(stub, {OLD: ["AWSCURRENT"]})
    stub.add_client_error("describe_secret", "AccessDeniedException", "no", expected_params={"SecretId": ARN})
    with stub, pytest.raises(OperationFailed) as err:
        wait(sm, FakeTime())
    assert err.value.message == f"AWS refused {when} for {ARN} (AccessDeniedException)."


def test_rotate_without_a_factory_builds_one_for_the_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    import chromactl.rotation.token as tok

    sm, stub = sm_client()
    stub.add_response("describe_secret", describe({OLD: ["AWSCURRENT"]}, enabled=False), {"SecretId": ARN})
    profiles: list[str | None] = []

    def factory_for(profile: str | None) -> ClientFactory:
        profiles.append(profile)
        return ClientFactory(overrides={("secretsmanager", REGION): sm})

    monkeypatch.setattr(tok, "_factory", factory_for)
    with stub, pytest.raises(OperationFailed, match="has no rotation configured"):
        start_rotation_and_wait(ARN, REGION, "ops", sleep=FakeTime().sleep, clock=FakeTime().clock)
    assert profiles == ["ops"]
