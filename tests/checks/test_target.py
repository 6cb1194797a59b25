"""resolve_target: --endpoint, --env local, and an AWS env (outputs + Secrets Manager in moto)."""

from __future__ import annotations

import secrets
import string

import boto3
import pytest
from chromactl.checks.target import Target
from chromactl.errors import ConfigError, UsageError
from chromactl.workflows.endpoint import resolve_target


def test_endpoint_and_token_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_TOKEN", "t" * 64)
    t = resolve_target(None, "https://chroma.example.com/", "MY_TOKEN", None, None, timeout_s=3)
    assert t.url == "https://chroma.example.com" and t.token == "t" * 64 and t.timeout_s == 3
    assert "t" * 64 not in repr(t)
    with pytest.raises(UsageError, match="exactly one"):
        resolve_target("local", "http://x:1", None, None, None)
    with pytest.raises(UsageError, match="exactly one"):
        resolve_target(None, None, None, None, None)
    with pytest.raises(UsageError, match="not set"):
        resolve_target(None, "http://127.0.0.1:1", "UNSET_VAR_XYZ", None, None)
    with pytest.raises(UsageError, match="not an http"):
        Target("ftp://x", None)


def test_local_env_uses_the_configured_port() -> None:
    t = resolve_target("local", None, None, None, None)
    assert t.url.startswith("http://127.0.0.1:") and t.token is None and t.env == "local"


def test_aws_env_reads_outputs_and_current_token(aws_env, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    token = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(64))
    sm = boto3.client("secretsmanager", region_name="us-east-1")
    arn = sm.create_secret(Name="chromactl/dev/token", SecretString=token)["ARN"]
    calls = []

    def fake_outputs(env, region, **kw):  # type: ignore[no-untyped-def]  # terraform output, tested by the lifecycle part
        calls.append((env.name, region))
        return {"endpoint_url": "https://chroma.dev.example.com", "token_secret_arn": arn}

    monkeypatch.setattr("chromactl.stack.outputs.read_outputs", fake_outputs)
    t = resolve_target("dev", None, None, None, None)
    assert calls == [("dev", "us-east-1")]  # the env's primary region
    assert t.url == "https://chroma.dev.example.com" and t.token == token and t.env == "dev" and t.region == "us-east-1"

    monkeypatch.setattr("chromactl.stack.outputs.read_outputs", lambda env, region, **kw: {})
    with pytest.raises(ConfigError, match="no endpoint_url output"):
        resolve_target("dev", None, None, "us-west-2", None)


def test_aws_env_on_the_albs_own_name_skips_tls_verification(aws_env, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    # An env without domain_name serves on the ALB's DNS name, which no ACM certificate covers:
    # verifying would fail every check (`up` ends in a failed smoke), so the stack says so.
    sm = boto3.client("secretsmanager", region_name="us-east-1")
    arn = sm.create_secret(Name="chromactl/dev/token2", SecretString="a" * 64)["ARN"]
    outs = {"endpoint_url": "https://chromactl-dev-1.us-east-1.elb.amazonaws.com", "token_secret_arn": arn,
            "endpoint_tls_verifiable": False}
    monkeypatch.setattr("chromactl.stack.outputs.read_outputs", lambda env, region, **kw: outs)
    assert resolve_target("dev", None, None, None, None).verify_tls is False
    outs["endpoint_tls_verifiable"] = True
    assert resolve_target("dev", None, None, None, None).verify_tls is True
