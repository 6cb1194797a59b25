"""The rotation handler's pure parts: token shape, event and settings validation, rule values."""

from __future__ import annotations

import collections

import pytest

from tests.rotation.harness import load_handler

h = load_handler()

ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:chromactl/dev/api-token-AbCdEf"
RULE = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/chromactl-dev/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee"
LISTENER = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/chromactl-dev/50dc6c495c0c9188/f2f7dc8efc522ab2"
TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/chromactl-dev/73e2d6bc24d8a067"
VERSION = "0f8c2f7e-6f5a-4d2b-9f3e-1a2b3c4d5e6f"


def test_tokens_are_64_lowercase_alphanumerics_and_uniform() -> None:
    tokens = [h.new_token() for _ in range(2000)]
    assert all(h.is_token(t) for t in tokens)
    assert len(set(tokens)) == len(tokens)
    counts = collections.Counter("".join(tokens))
    assert set(counts) == set("abcdefghijklmnopqrstuvwxyz0123456789")
    expected = 2000 * 64 / 36  # ~3556 per character
    assert all(abs(n - expected) < 0.1 * expected for n in counts.values()), counts
    # Case folding and wildcards cannot widen what a rule matches.
    assert not any(c in t for t in tokens for c in "*?ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def test_is_token_rejects_wildcards_and_wrong_shapes() -> None:
    good = "a" * 64
    assert h.is_token(good)
    for bad in ("a" * 63, "a" * 65, "*" + "a" * 63, "?" * 64, "A" * 64, "a" * 62 + "-_", None, 42):
        assert not h.is_token(bad)


@pytest.mark.parametrize(
    "event",
    [
        None,
        [],
        {"ClientRequestToken": VERSION, "Step": "createSecret"},
        {"SecretId": "chromactl/dev/api-token", "ClientRequestToken": VERSION, "Step": "createSecret"},
        {"SecretId": ARN, "ClientRequestToken": "short", "Step": "createSecret"},
        {"SecretId": ARN, "ClientRequestToken": VERSION + "/../x", "Step": "createSecret"},
        {"SecretId": ARN, "ClientRequestToken": VERSION, "Step": "deleteSecret"},
        {"SecretId": ARN, "ClientRequestToken": VERSION},
    ],
)
def test_bad_events_are_refused(event: object) -> None:
    with pytest.raises(h.RotationError):
        h.validate_event(event)


def test_good_event() -> None:
    assert h.validate_event({"SecretId": ARN, "ClientRequestToken": VERSION, "Step": "testSecret"}) == (ARN, VERSION, "testSecret")


def _env(**over: str) -> dict[str, str]:
    base = {"LISTENER_ARN": LISTENER, "TARGET_GROUP_ARN": TG, "ENDPOINT_URL": "https://chroma.example.com/", "VERIFY_TLS": "true"}
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def test_settings_from_env() -> None:
    s = h.Settings.from_env(_env(VERIFY_TLS="false", TEST_ATTEMPTS="2"))
    assert s.listener_arn == LISTENER
    assert s.grace_seconds == 3600 and s.stuck_after_seconds == 3600 and s.secret_arn is None
    assert s.endpoint_url == "https://chroma.example.com"
    assert s.verify_tls is False and s.test_attempts == 2 and s.http_timeout == 5.0
    # Not the heartbeat: the stack forwards GET /api/v2/heartbeat without a token.
    assert s.test_path == "/api/v2/version" and s.test_budget == 40.0


@pytest.mark.parametrize(
    "over, fragment",
    [
        ({"LISTENER_ARN": ""}, "LISTENER_ARN"),
        ({"LISTENER_ARN": RULE}, "listener ARN"),
        ({"LISTENER_ARN": TG}, "listener ARN"),
        ({"SECRET_ARN": "chromactl-dev/alb-token"}, "SECRET_ARN"),
        ({"GRACE_SECONDS": "-1"}, "GRACE_SECONDS"),
        ({"GRACE_SECONDS": str(8 * 86400)}, "GRACE_SECONDS"),
        ({"TARGET_GROUP_ARN": RULE}, "target group"),
        ({"ENDPOINT_URL": "http://chroma.example.com"}, "https"),
        ({"ENDPOINT_URL": "ftp://chroma.example.com"}, "http(s)"),
        ({"VERIFY_TLS": "maybe"}, "VERIFY_TLS"),
        ({"HTTP_TIMEOUT_SECONDS": "0"}, "HTTP_TIMEOUT_SECONDS"),
        ({"TEST_ATTEMPTS": "lots"}, "TEST_ATTEMPTS"),
        ({"TEST_PATH": "/api/v2/heartbeat"}, "TEST_PATH"),
        ({"TEST_PATH": "/../etc"}, "TEST_PATH"),
    ],
)
def test_bad_settings_are_refused(over: dict[str, str], fragment: str) -> None:
    with pytest.raises(h.RotationError, match=None) as info:
        h.Settings.from_env(_env(**over))
    assert fragment in str(info.value)


def test_plain_http_only_on_loopback() -> None:
    assert h.Settings.from_env(_env(ENDPOINT_URL="http://127.0.0.1:8080")).endpoint_url == "http://127.0.0.1:8080"


def test_rule_values_are_whole_header_values() -> None:
    t1, t2 = "a" * 64, "b" * 64
    assert h.rule_values("Authorization", [t1, t2]) == [f"Bearer {t1}", f"Bearer {t2}"]
    assert h.rule_values("x-chroma-token", [t1]) == [t1]
    assert len(h.rule_values("Authorization", [t1])[0]) == 71
    with pytest.raises(h.RotationError):
        h.rule_values("Cookie", [t1])
    with pytest.raises(h.RotationError):
        h.rule_values("X-Chroma-Token", ["*"])
    with pytest.raises(h.RotationError):
        h.rule_values("Authorization", ["a" * 125])


def test_handler_refuses_a_bad_event_before_any_aws_call(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_a: object, **_k: object) -> None:
        raise AssertionError("no AWS client may be created for a bad event")

    monkeypatch.setattr(h, "_client", boom)
    with pytest.raises(h.RotationError):
        h.lambda_handler({"SecretId": ARN, "ClientRequestToken": VERSION, "Step": "rotateEverything"}, None)


def test_condition_values_are_counted_as_the_alb_counts_them() -> None:
    """ELB quotas: 5 condition values per rule; rule-condition-types: 3 per condition."""
    header = {"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-Chroma-Token", "Values": ["a", "b"]}}
    path = {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/x"]}}
    legacy = {"Field": "path-pattern", "Values": ["/y", "/z"]}
    assert h.condition_value_count([header, path]) == 3
    assert h.condition_value_count([legacy]) == 2
    assert h.ALB_CONDITION_VALUES_MAX == 5 and h.ALB_VALUES_PER_CONDITION_MAX == 3


def test_a_fourth_token_is_refused_before_any_call() -> None:
    class NoCalls:
        def __getattr__(self, name: str) -> object:
            if name == "describe_rules":
                return lambda **_k: {"Rules": []}
            raise AssertionError(f"{name} must not be called")

    rules = h.AuthRules(NoCalls(), LISTENER, TG)
    with pytest.raises(h.RotationError, match="at most 3"):
        rules.ensure([c * 64 for c in "abcd"])
