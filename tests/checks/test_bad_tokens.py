"""A non-ASCII token is one sentence and exit 2 before any request (issue 20.9); before: "unexpected UnicodeEncodeError"."""

from __future__ import annotations

import pytest
from chromactl.checks.target import Target
from chromactl.errors import UsageError

from tests.checks.helpers import run_cli


@pytest.mark.parametrize("token", ["tökén-abc", "abc def", "abc\x07"])
def test_non_ascii_or_control_token_is_a_usage_error(token: str) -> None:
    for verb in (("smoke",), ("latency", "--queries", "2"), ("load", "--collection", "vectors", "--file", "/dev/null")):
        res = run_cli(*verb, "--endpoint", "http://127.0.0.1:9", "--token-env", "BAD_TOKEN", env={"BAD_TOKEN": token})
        assert res.returncode == 2, (verb, res.stdout, res.stderr)
        assert "characters an HTTP header cannot carry" in res.stderr and "BAD_TOKEN" in res.stderr
        assert token.strip() not in res.stderr + res.stdout and "Traceback" not in res.stderr and "unexpected" not in res.stderr
    with pytest.raises(UsageError, match="cannot carry"):
        Target("http://127.0.0.1:9", token)  # a token from Secrets Manager goes through the same check
