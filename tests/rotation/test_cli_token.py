"""`chromactl token rotate|age` end to end: the CLI calls RotateSecret and waits on the version
stages; moto cannot run a Lambda, so Secrets Manager's part (invoke the function's four steps,
asynchronously) is played in-process by a botocore hook on the CLI's own client, running the
real handler against moto and the real nginx+Chroma endpoint. Token values never appear in
the CLI's output or in any log record."""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import boto3
import pytest
from chromactl.cli.app import main
from chromactl.rotation import token as tok

from tests.fixtures.envelope import result_of
from tests.fixtures.servers import free_port, hang_guard
from tests.rotation import harness
from tests.rotation.conftest import heartbeat


class _Http:
    status_code = 200
    headers: ClassVar[dict[str, str]] = {}


class SecretsManagerPart:
    """Answers RotateSecret like AWS (a version id at once) and runs the rotation function's
    steps in a background thread; `mode="stall"` plays a function that never runs."""

    def __init__(self, rig: harness.Rotator):
        self.rig = rig
        self.mode = "run"
        self.calls: list[str] = []
        self.errors: list[BaseException] = []
        self.threads: list[threading.Thread] = []

    def install(self, client: Any) -> Any:
        client.meta.events.register("before-call.secrets-manager.RotateSecret", self._rotate_secret)
        return client

    def _rotate_secret(self, params: dict[str, Any], **_: Any) -> tuple[_Http, dict[str, Any]]:
        body = json.loads(params["body"])
        version = body.get("ClientRequestToken") or str(uuid.uuid4())
        self.calls.append(version)
        if self.mode == "run":
            t = threading.Thread(target=self._run, args=(version,), daemon=True)
            self.threads.append(t)
            t.start()
        return _Http(), {"ARN": self.rig.secret_arn, "Name": harness.SECRET_NAME, "VersionId": version, "ResponseMetadata": {"HTTPStatusCode": 200}}

    def _run(self, version: str) -> None:
        time.sleep(0.3)  # asynchronous, as in AWS: the CLI is already polling
        try:
            self.rig.rotate(version)
        except BaseException as exc:  # noqa: BLE001 - a failed step ends the run, as in AWS
            self.errors.append(exc)

    def join(self) -> None:
        for t in self.threads:
            t.join(timeout=60)


@pytest.fixture
def cli(rig: harness.Rotator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SecretsManagerPart]:
    root = tmp_path / "project"
    envs = {
        "dev": '[env]\nkind = "aws"\n[regions]\nprimary = "us-east-1"\n[state]\nbucket = "chromactl-state-123456789012"\nregion = "us-west-2"\n',
        "prod": '[env]\nkind = "aws"\nprotected = true\n[regions]\nprimary = "us-east-1"\n[state]\nbucket = "chromactl-state-123456789012"\nregion = "us-west-2"\n',
        "local": '[env]\nkind = "local"\n',
    }
    for name, text in envs.items():
        (root / "envs" / name).mkdir(parents=True)
        (root / "envs" / name / "chromactl.toml").write_text(text)
    monkeypatch.setenv("CHROMACTL_ROOT", str(root))
    monkeypatch.setenv("NO_COLOR", "1")
    for var in ("CHROMACTL_JSON", "CHROMACTL_ENV", "CHROMACTL_REGION", "CHROMACTL_TOKEN_SECRET_ID", "CHROMACTL_AWS_ENDPOINTS"):
        monkeypatch.delenv(var, raising=False)
    part = SecretsManagerPart(rig)
    real_factory = tok._factory

    def factory(profile: str | None) -> Any:
        f = real_factory(profile)
        f.overrides[("secretsmanager", harness.REGION)] = part.install(f.client("secretsmanager", harness.REGION))
        return f

    monkeypatch.setattr(tok, "_factory", factory)
    monkeypatch.setattr(tok, "DEFAULT_POLL_S", 0.2)
    # No Terraform state here: the token_secret_arn output is unreadable, so the CLI
    # falls back to the name the stack gives the secret (test_secret_from_outputs covers the other path).
    monkeypatch.setattr(tok, "_outputs_secret", lambda env, region, profile: None)
    yield part
    part.join()


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def all_values(arn: str) -> list[str]:
    sm = boto3.client("secretsmanager", harness.REGION)
    versions = sm.list_secret_version_ids(SecretId=arn, IncludeDeprecated=True)["Versions"]
    return [sm.get_secret_value(SecretId=arn, VersionId=v["VersionId"])["SecretString"] for v in versions]


def assert_no_token_anywhere(arn: str, texts: list[str], caplog: pytest.LogCaptureFixture) -> None:
    values = [v for v in all_values(arn) if len(v) >= 16]
    assert values, "the test must have tokens to look for"
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for value in values:
        for text in texts + [logged]:
            assert value not in text and value.upper() not in text


def test_rotate_first_and_second_then_age(cli: SecretsManagerPart, rig: harness.Rotator, endpoint_url: str, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    texts: list[str] = []

    code, out, err = run(capsys, "token", "rotate", "--env", "dev", "--json", "--timeout", "60")
    texts += [out, err]
    assert code == 0, err
    cli.join()  # the proxy mirrors the rules once the in-process function returns
    first = result_of(out)
    assert first["previous_version_id"] is None and first["env"] == "dev" and first["region"] == "us-east-1"
    assert harness.stages(rig.secret_arn) == {first["version_id"]: ["AWSCURRENT"]}
    token1 = tok.read_current_token(rig.secret_arn, harness.REGION)
    assert heartbeat(endpoint_url, token1) == 200 and heartbeat(endpoint_url, None) == 401

    t0 = time.monotonic()
    code, out, err = run(capsys, "token", "rotate", "--env", "dev", "--timeout", "60")
    texts += [out, err]
    assert code == 0, err
    assert "token rotated for dev (us-east-1)" in out and f"version {first['version_id']} -> " in out
    second_seconds = time.monotonic() - t0
    cli.join()
    token2 = tok.read_current_token(rig.secret_arn, harness.REGION)
    assert token2 != token1
    assert heartbeat(endpoint_url, token2) == 200 and heartbeat(endpoint_url, token1) == 401
    assert cli.errors == [] and len(cli.calls) == 2

    code, out, err = run(capsys, "--json", "token", "age", "--env", "dev")
    texts += [out, err]
    assert code == 0, err
    age = result_of(out)
    assert age["version_id"] == cli.calls[1] and 0 <= age["age_days"] < 0.01
    assert age["rotation_enabled"] is True and age["rotation_in_progress"] is False and age["too_old"] is False

    code, out, err = run(capsys, "token", "age", "--env", "dev", "--max-age-days", "0.000000001")
    texts += [out, err]
    assert code == 1 and "days old" in out and "over the 1e-09-day limit" in err and "hint: Rotate it" in err

    code, out, err = run(capsys, "--verbose", "token", "age", "--env", "dev")
    texts += [out, err]
    assert code == 0 and "rotation enabled" in out
    assert_no_token_anywhere(rig.secret_arn, texts, caplog)
    with capsys.disabled():
        print(f"\ntoken rotate, second rotation (function in-process, 0.2 s polls): {second_seconds:.1f} s")


def test_stuck_rotation_times_out_then_is_abandoned(cli: SecretsManagerPart, rig: harness.Rotator, endpoint_url: str, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    caplog.set_level(logging.INFO)
    rig.rotate()
    old = tok.read_current_token(rig.secret_arn, harness.REGION)
    texts: list[str] = []

    # The function fails its test step (endpoint refusing): the CLI waits, bounded, and says so.
    monkeypatch.setenv("ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    t0 = time.monotonic()
    code, out, err = run(capsys, "token", "rotate", "--env", "dev", "--timeout", "3")
    elapsed = time.monotonic() - t0
    texts += [out, err]
    cli.join()
    assert code == 1 and "did not finish within 3 s" in err and "AWSPENDING" in err and "hint:" in err
    assert "/aws/lambda/chromactl-dev-token-rotation" in err  # issue 14: says where to look
    assert "Traceback" not in err
    assert elapsed < hang_guard(3), f"the wait overran its bound: {elapsed:.1f} s"
    assert len(cli.errors) == 1 and "testSecret failed" in str(cli.errors[0])
    stuck = cli.calls[-1]
    stuck_value = harness.value(rig.secret_arn, stuck, "AWSPENDING")
    assert heartbeat(endpoint_url, old) == 200  # the current token kept working

    # The next rotation refuses to start over an unfinished one ...
    monkeypatch.setenv("ENDPOINT_URL", endpoint_url)
    code, out, err = run(capsys, "token", "rotate", "--env", "dev", "--timeout", "30")
    texts += [out, err]
    assert code == 1 and f"version {stuck} is still AWSPENDING" in err and "--abandon-pending" in err
    assert len(cli.calls) == 1

    # ... unless told to abandon it: the pending value is dropped and the rule ends with the new token only.
    code, out, err = run(capsys, "token", "rotate", "--env", "dev", "--timeout", "30", "--abandon-pending", "--json")
    texts += [out, err]
    assert code == 0, err
    cli.join()  # the proxy mirrors the rules once the in-process function returns
    result = result_of(out)
    assert result["abandoned_version_id"] == stuck and result["previous_version_id"] != stuck
    new = tok.read_current_token(rig.secret_arn, harness.REGION)
    assert heartbeat(endpoint_url, new) == 200
    assert heartbeat(endpoint_url, stuck_value) == 401 and heartbeat(endpoint_url, old) == 401
    assert harness.accepted_tokens(rig.stack) == [new]
    assert_no_token_anywhere(rig.secret_arn, texts, caplog)


def test_function_that_never_runs_times_out_within_bound(cli: SecretsManagerPart, rig: harness.Rotator, capsys: pytest.CaptureFixture[str]) -> None:
    rig.rotate()
    cli.mode = "stall"
    t0 = time.monotonic()
    code, _out, err = run(capsys, "token", "rotate", "--env", "dev", "--timeout", "1")
    assert code == 1 and "did not finish within 1 s" in err
    assert time.monotonic() - t0 < hang_guard(1)


def test_protected_env_needs_confirmation(cli: SecretsManagerPart, capsys: pytest.CaptureFixture[str]) -> None:
    for yes in ((), ("--yes",)):  # --yes alone is not enough on a protected env (lifecycle/guard.py)
        code, _out, err = run(capsys, "token", "rotate", "--env", "prod", *yes)
        assert code == 2 and "protected env prod" in err and "--confirm-env prod" in err
    assert cli.calls == []


@pytest.mark.parametrize(
    "args, code, fragment",
    [
        (("token", "rotate", "--env", "local"), 2, "local env"),
        (("token", "age", "--env", "nosuch"), 2, "Unknown env"),
        (("token", "rotate", "--env", "dev", "--timeout", "0"), 2, "--timeout must be between"),
        (("token", "age", "--env", "dev", "--max-age-days", "0"), 2, "--max-age-days must be positive"),
        (("token", "age", "--env", "dev", "--secret-id", "chromactl-dev/missing"), 2, "was not found"),
        (("token", "rotate", "--env", "dev", "--secret-id", " "), 2, "--secret-id is empty"),
        (("token", "age", "--env", "dev"), 1, "no current token yet"),
        (("token", "rotate", "--env", "dev", "--region", "moon-1"), 2, "Unknown AWS region"),
        # --confirm-env passes the protected-env gate; the prod secret does not exist in this moto.
        (("token", "rotate", "--env", "prod", "--confirm-env", "prod"), 2, "chromactl-prod/alb-token was not found"),
    ],
)
def test_bad_input_is_a_sentence_and_an_exit_code(cli: SecretsManagerPart, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], code: int, fragment: str) -> None:
    got, _out, err = run(capsys, *args)
    assert got == code, err
    lines = err.splitlines()
    assert fragment in err and "Traceback" not in err
    assert sum(line.startswith("error: ") for line in lines) == 1 and sum(line.startswith("hint: ") for line in lines) == 1
    assert cli.calls == []


def test_read_current_token_and_its_errors(rig: harness.Rotator) -> None:
    with pytest.raises(tok.OperationFailed, match="no current token yet"):
        tok.read_current_token(rig.secret_arn, harness.REGION)
    rig.rotate()
    value = tok.read_current_token(rig.secret_arn, harness.REGION)
    assert value == harness.value(rig.secret_arn) and len(value) == 64
    sm = boto3.client("secretsmanager", harness.REGION)
    sm.put_secret_value(SecretId=rig.secret_arn, SecretString="Not-A-Token*", VersionStages=["AWSCURRENT"])
    with pytest.raises(tok.OperationFailed) as info:
        tok.read_current_token(rig.secret_arn, harness.REGION)
    assert "not a chromactl token" in info.value.message and "Not-A-Token" not in str(info.value)
    with pytest.raises(tok.ConfigError, match="was not found"):
        tok.read_current_token("chromactl/dev/absent", harness.REGION)


def test_token_age_counts_days_from_the_current_version(rig: harness.Rotator) -> None:
    from datetime import UTC, datetime, timedelta

    t0 = datetime.now(UTC).replace(microsecond=0)
    rig.rotate()
    # (moto's ListSecretVersionIds reports CreatedDate as "now"; AWS reports the version's
    # creation. Either way the age is measured from that date to `now`.)
    later = tok.token_age(rig.secret_arn, harness.REGION, now=t0 + timedelta(days=10, hours=12))
    assert t0 - timedelta(seconds=1) <= later.created <= datetime.now(UTC)
    assert later.age_days == pytest.approx(10.5, abs=60 / 86400)
    assert later.to_dict()["created"] == later.created.isoformat() and later.version_id in harness.stages(rig.secret_arn)


def test_secret_from_outputs_wins_over_the_name(cli: SecretsManagerPart, rig: harness.Rotator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The stack's token_secret_arn output names the secret when the state is readable."""
    sm = boto3.client("secretsmanager", harness.REGION)
    other = sm.create_secret(Name="custom-project-dev/alb-token")["ARN"]
    seen: list[tuple[str, str]] = []

    def outputs(env: Any, region: str, profile: str | None) -> str:
        seen.append((env.name, region))
        return other

    monkeypatch.setattr(tok, "_outputs_secret", outputs)
    code, _out, err = run(capsys, "token", "age", "--env", "dev")
    assert seen == [("dev", "us-east-1")]
    assert code == 1 and other in err and "no current token yet" in err  # it looked at the output's secret
    code, _out, err = run(capsys, "token", "age", "--env", "dev", "--secret-id", rig.secret_arn)
    assert "no current token yet" in err and seen == [("dev", "us-east-1")]  # --secret-id skips the outputs
