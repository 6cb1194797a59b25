"""The four rotation steps, run by the real handler against moto (Secrets Manager, ELBv2)
with testSecret calling a real Chroma through a real nginx that enforces the same rule
as the ALB; nginx's accepted values are synced from the moto rules after every step."""

from __future__ import annotations

import collections
import threading
import time
import urllib.error
from typing import Any, Self

import boto3
import pytest

from tests.fixtures.servers import hang_guard
from tests.rotation import harness
from tests.rotation.conftest import heartbeat

CURRENT, PENDING, PREVIOUS = "AWSCURRENT", "AWSPENDING", "AWSPREVIOUS"


def both(url: str, token: str | None) -> tuple[int, int]:
    return heartbeat(url, token, "bearer"), heartbeat(url, token, "header")


def test_first_rotation_with_no_current_version(rig: harness.Rotator, endpoint_url: str) -> None:
    """Terraform leaves an empty secret and a listener with no token rule (its default 401 and
    the GET heartbeat rule only): closed, no known value forwards. The first rotation creates
    the first token (AWSCURRENT from the start, as AWS does for a first version) and the rules."""
    stack, arn = rig.stack, rig.secret_arn
    assert stack.auth_rules() == {}
    for known in ("uninitialised", "Bearer uninitialised", "", "*"):
        assert heartbeat(endpoint_url, known) == 401 and heartbeat(endpoint_url, known, "header") == 401
    assert both(endpoint_url, None) == (401, 401)
    # Like the stack's ALB, the heartbeat is open: a probe of it would prove nothing.
    assert heartbeat(endpoint_url, None, path="/api/v2/heartbeat") == 200
    version = "11111111-2222-4333-8444-555555555555"

    rig.step("createSecret", version)
    token = harness.value(arn, version, PENDING)
    assert harness.handler_mod_is_token(rig.handler, token)
    assert harness.stages(arn) == {version: [CURRENT, PENDING]}
    assert stack.auth_rules() == {}  # nothing opened yet
    assert both(endpoint_url, token) == (401, 401)

    rig.step("setSecret", version)
    rules = stack.auth_rules()
    assert {h: r["Priority"] for h, r in rules.items()} == {"authorization": "10", "x-chroma-token": "20"}
    assert harness.rule_state(stack.bearer_rule_arn) == harness.RuleState("forward", [f"Bearer {token}"])
    assert harness.rule_state(stack.header_rule_arn) == harness.RuleState("forward", [token])
    assert both(endpoint_url, token) == (200, 200)

    rig.step("testSecret", version)
    rig.step("finishSecret", version)
    assert harness.stages(arn) == {version: [CURRENT]}
    assert harness.value(arn) == token
    assert harness.accepted_tokens(stack) == [token]
    assert both(endpoint_url, token) == (200, 200)
    assert both(endpoint_url, None) == (401, 401)


def test_a_failed_first_rotation_leaves_the_env_closed(rig: harness.Rotator, endpoint_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """createSecret ran, then setSecret failed (ELB API down): still no rule, still 401 for all;
    and the scheduled maintenance does not open anything while no token is current... nor after."""
    version = "21111111-2222-4333-8444-555555555555"
    rig.step("createSecret", version)
    real = rig.handler.AuthRules.ensure

    def down(*_a: Any, **_k: Any) -> Any:
        raise urllib.error.URLError("injected: ELB API unavailable")

    monkeypatch.setattr(rig.handler.AuthRules, "ensure", down)
    with pytest.raises(urllib.error.URLError):
        rig.step("setSecret", version)
    monkeypatch.setattr(rig.handler.AuthRules, "ensure", real)
    assert rig.stack.auth_rules() == {}
    assert both(endpoint_url, harness.value(rig.secret_arn, version, PENDING)) == (401, 401)
    assert both(endpoint_url, None) == (401, 401)


class OldTokenClient:
    """A client that keeps calling with one token in the background; records every status."""

    def __init__(self, url: str, token: str):
        self.url, self.token = url, token
        self.statuses: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        i = 0
        while not self._stop.is_set():
            self.statuses.append(heartbeat(self.url, self.token, "bearer" if i % 2 == 0 else "header"))
            i += 1
            time.sleep(0.01)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def test_zero_downtime_rotation(rig: harness.Rotator, endpoint_url: str) -> None:
    """Old token works through create/set/test; new token works from setSecret on;
    after finishSecret only the new one works."""
    rig.rotate()
    old = harness.value(rig.secret_arn)
    old_version = next(iter(harness.stages(rig.secret_arn)))
    new_version = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
    seen: dict[str, Any] = {}

    with OldTokenClient(endpoint_url, old) as client:
        for step in ("createSecret", "setSecret", "testSecret"):
            rig.step(step, new_version)
            new = harness.value(rig.secret_arn, new_version, PENDING)
            seen[step] = (both(endpoint_url, old), both(endpoint_url, new), sorted(harness.accepted_tokens(rig.stack)))
    assert client.statuses and set(client.statuses) == {200}, f"a client with the old token was refused mid-rotation: {collections.Counter(client.statuses)}"
    print(f"\nold-token client: {len(client.statuses)} requests during create/set/test, all 200")

    assert seen["createSecret"] == ((200, 200), (401, 401), [old])
    assert seen["setSecret"] == ((200, 200), (200, 200), sorted([old, new]))
    assert seen["testSecret"] == ((200, 200), (200, 200), sorted([old, new]))

    rig.step("finishSecret", new_version)
    assert both(endpoint_url, new) == (200, 200)
    assert both(endpoint_url, old) == (401, 401)
    assert both(endpoint_url, None) == (401, 401)
    assert harness.accepted_tokens(rig.stack) == [new]
    assert harness.stages(rig.secret_arn) == {old_version: [PREVIOUS], new_version: [CURRENT]}


class CountingElb:
    """Wraps the handler's ELBv2 client to count the calls that change a rule."""

    def __init__(self, inner: Any, log: list[str]):
        self._inner, self._log = inner, log

    def modify_rule(self, **kwargs: Any) -> Any:
        self._log.append(kwargs["RuleArn"])
        return self._inner.modify_rule(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def snapshot(rig: harness.Rotator) -> tuple[Any, ...]:
    arn = rig.secret_arn
    stages = harness.stages(arn)
    values = {v: harness.value(arn, v) for v in stages}
    return (stages, values, harness.rule_state(rig.stack.bearer_rule_arn), harness.rule_state(rig.stack.header_rule_arn))


def test_each_step_retried_twice_changes_nothing_twice(rig: harness.Rotator, handler_mod: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    modified: list[str] = []
    real_client = handler_mod._client
    monkeypatch.setattr(handler_mod, "_client", lambda s: CountingElb(real_client(s), modified) if s == "elbv2" else real_client(s))
    rig.rotate()  # a first token, so the retried rotation has an old one to keep
    old = harness.value(rig.secret_arn)
    version = "cccccccc-dddd-4eee-8fff-000000000000"
    expected_modifies = {"createSecret": 0, "setSecret": 2, "testSecret": 0, "finishSecret": 2}
    for step in harness.STEPS:
        modified.clear()
        rig.step(step, version)
        after_first = snapshot(rig)
        assert len(modified) == expected_modifies[step], step
        for _retry in range(2):
            rig.step(step, version)
            assert snapshot(rig) == after_first, f"retrying {step} changed something"
        assert len(modified) == expected_modifies[step], f"a retried {step} rewrote a rule"
    new = harness.value(rig.secret_arn)
    assert new != old
    assert harness.rule_state(rig.stack.bearer_rule_arn).values == [f"Bearer {new}"]
    assert harness.rule_state(rig.stack.header_rule_arn).values == [new]


def test_failure_in_test_step_keeps_old_token_and_pending_is_removable(
    rig: harness.Rotator, endpoint_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.fixtures.servers import free_port

    rig.rotate()
    old = harness.value(rig.secret_arn)
    failed = "dddddddd-eeee-4fff-8000-111111111111"
    rig.step("createSecret", failed)
    rig.step("setSecret", failed)
    pending = harness.value(rig.secret_arn, failed, PENDING)

    # The endpoint refuses connections: testSecret fails (bounded), nothing changes.
    monkeypatch.setenv("ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    t0 = time.monotonic()
    with pytest.raises(rig.handler.RotationError, match="testSecret failed after 3 attempts"):
        rig.step("testSecret", failed)
    assert time.monotonic() - t0 < hang_guard(1.5)
    assert harness.value(rig.secret_arn) == old
    assert both(endpoint_url, old) == (200, 200)

    # The endpoint answers but the pending token is refused (the rule did not take it): fails too.
    monkeypatch.setenv("ENDPOINT_URL", endpoint_url)
    rig.sync([old])
    with pytest.raises(rig.handler.RotationError, match="bearer=401"):
        rig.handler.lambda_handler({"SecretId": rig.secret_arn, "ClientRequestToken": failed, "Step": "testSecret"}, None)
    assert both(endpoint_url, old) == (200, 200)
    rig.sync(harness.accepted_tokens(rig.stack))

    # Removable: AWSPENDING comes off the failed version; its later steps then refuse to act...
    stages_before = harness.stages(rig.secret_arn)
    from chromactl.rotation.token import abandon_pending

    sm = boto3.client("secretsmanager", harness.REGION)
    assert abandon_pending(sm, rig.secret_arn, sm.describe_secret(SecretId=rig.secret_arn)["VersionIdsToStages"]) == failed
    assert PENDING not in harness.stages(rig.secret_arn)[failed]
    with pytest.raises(rig.handler.RotationError, match="not AWSPENDING"):
        rig.step("finishSecret", failed)
    with pytest.raises(rig.handler.RotationError, match="not AWSPENDING"):
        rig.step("setSecret", failed)
    assert harness.value(rig.secret_arn) == old and stages_before[failed] == [PENDING]
    # ...and the next rotation drops the abandoned value from the rules.
    rig.rotate()
    newest = harness.value(rig.secret_arn)
    assert harness.accepted_tokens(rig.stack) == [newest]
    assert both(endpoint_url, pending) == (401, 401)
    assert both(endpoint_url, old) == (401, 401)
    assert both(endpoint_url, newest) == (200, 200)


def test_failure_inside_finish_is_retried_to_completion(rig: harness.Rotator, handler_mod: Any, endpoint_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """AWSCURRENT moved but the rules not yet rewritten (ELB error): both tokens still work,
    and the retried finishSecret completes it."""
    rig.rotate()
    old = harness.value(rig.secret_arn)
    version = "eeeeeeee-ffff-4000-8111-222222222222"
    for step in ("createSecret", "setSecret", "testSecret"):
        rig.step(step, version)
    new = harness.value(rig.secret_arn, version, PENDING)
    real_ensure = handler_mod.AuthRules.ensure

    def flaky(*a: Any, **k: Any) -> Any:
        raise urllib.error.URLError("injected: ELB API unavailable")

    monkeypatch.setattr(handler_mod.AuthRules, "ensure", flaky)
    with pytest.raises(urllib.error.URLError):
        rig.step("finishSecret", version)
    assert harness.stages(rig.secret_arn)[version] == [CURRENT, PENDING]
    assert both(endpoint_url, old) == (200, 200) and both(endpoint_url, new) == (200, 200)
    monkeypatch.setattr(handler_mod.AuthRules, "ensure", real_ensure)
    rig.step("finishSecret", version)
    assert harness.stages(rig.secret_arn)[version] == [CURRENT]
    assert harness.accepted_tokens(rig.stack) == [new]
    assert both(endpoint_url, old) == (401, 401)


def test_stale_and_foreign_invocations_change_nothing(rig: harness.Rotator) -> None:
    first = rig.rotate()
    second = rig.rotate()
    before = snapshot(rig)
    # A late setSecret for the old (now AWSPREVIOUS) version must not re-admit its token.
    with pytest.raises(rig.handler.RotationError, match="not AWSPENDING"):
        rig.step("setSecret", first)
    # Steps for the finished version are no-ops; a version that does not exist is refused.
    for step in ("createSecret", "setSecret", "testSecret", "finishSecret"):
        rig.step(step, second)
    with pytest.raises(rig.handler.RotationError, match="does not exist"):
        rig.step("setSecret", "99999999-9999-4999-8999-999999999999")
    assert snapshot(rig) == before


def test_rotation_disabled_is_refused(rig: harness.Rotator) -> None:
    sm = boto3.client("secretsmanager", harness.REGION)
    other = sm.create_secret(Name="chromactl/dev/not-rotated")["ARN"]
    assert not sm.describe_secret(SecretId=other).get("RotationEnabled")
    event = {"SecretId": other, "ClientRequestToken": "12121212-3434-4565-8787-909090909090", "Step": "createSecret"}
    with pytest.raises(rig.handler.RotationError, match="does not have rotation enabled"):
        rig.handler.lambda_handler(event, None)
    assert harness.stages(other) == {}


def test_a_malformed_current_value_never_reaches_a_rule(rig: harness.Rotator, endpoint_url: str) -> None:
    """If someone stores a value by hand (here a `*`, which would make the ALB rule match
    any header), setSecret leaves it out of the rules rather than opening the endpoint."""
    sm = boto3.client("secretsmanager", harness.REGION)
    sm.put_secret_value(SecretId=rig.secret_arn, SecretString="*")  # first version: AWSCURRENT
    version = "13131313-2424-4353-8464-575757575757"
    rig.rotate(version)
    token = harness.value(rig.secret_arn)
    assert harness.accepted_tokens(rig.stack) == [token]
    assert all("*" not in v for v in harness.rule_state(rig.stack.bearer_rule_arn).values)
    assert both(endpoint_url, "anything") == (401, 401)


def test_test_step_is_bounded_by_its_budget_and_the_invocation_time(rig: harness.Rotator, monkeypatch: pytest.MonkeyPatch) -> None:
    """An endpoint that accepts connections and never answers: testSecret gives up within its
    budget (never later than the Lambda's remaining time less 5 s), with the reason."""
    import socket

    rig.rotate()
    version = "14141414-2525-4363-8474-585858585858"
    rig.step("createSecret", version)
    rig.step("setSecret", version)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        monkeypatch.setenv("ENDPOINT_URL", f"http://127.0.0.1:{silent.getsockname()[1]}")
        monkeypatch.setenv("HTTP_TIMEOUT_SECONDS", "1")
        monkeypatch.setenv("TEST_ATTEMPTS", "20")
        monkeypatch.setenv("TEST_RETRY_DELAY_SECONDS", "0.5")

        class Context:
            def get_remaining_time_in_millis(self) -> int:
                return 8000  # 8 s left: the budget becomes 3 s

        t0 = time.monotonic()
        with pytest.raises(rig.handler.RotationError, match="no answer"):
            rig.handler.lambda_handler({"SecretId": rig.secret_arn, "ClientRequestToken": version, "Step": "testSecret"}, Context())
        elapsed = time.monotonic() - t0
    assert elapsed < hang_guard(3), f"testSecret overran its 3 s budget: {elapsed:.1f} s"
    assert PENDING in harness.stages(rig.secret_arn)[version]
