"""The live suite's guards: it never runs on a protected env, and stays skipped without opt-in and credentials."""

from __future__ import annotations

import pytest
from chromactl.errors import UsageError
from chromactl.output import Output
from chromactl_dev.live import AwsTarget, live_enabled


def test_refuses_protected_env(monkeypatch: pytest.MonkeyPatch) -> None:
    from chromactl.config import load_env, project_root

    monkeypatch.delenv("CHROMACTL_ROOT", raising=False)
    root = project_root()
    with pytest.raises(UsageError) as err:
        AwsTarget(load_env("prod", root), None, Output(json=True), factory=object())
    assert "protected env 'prod'" in err.value.message and "destroy" in err.value.message
    assert AwsTarget(load_env("dev", root), None, Output(json=True), factory=object()).region == "us-east-1"


def test_enabled_only_with_opt_in_env_and_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHROMACTL_LIVE", raising=False)
    ok, why = live_enabled()
    assert not ok and "CHROMACTL_LIVE=1" in why
    monkeypatch.setenv("CHROMACTL_LIVE", "1")
    monkeypatch.delenv("CHROMACTL_LIVE_ENV", raising=False)
    ok, why = live_enabled()
    assert not ok and "CHROMACTL_LIVE_ENV" in why
    monkeypatch.setenv("CHROMACTL_LIVE_ENV", "dev")
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    ok, why = live_enabled()
    assert not ok and "credentials" in why
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "example")
    assert live_enabled() == (True, "")
