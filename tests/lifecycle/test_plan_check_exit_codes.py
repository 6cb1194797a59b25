"""Review of issue 17, item 2: under `plan --check` exit 2 means only "changes present".

Terraform's -detailed-exitcode is 0 no changes, 1 error, 2 changes present
(https://developer.hashicorp.com/terraform/cli/commands/plan#detailed-exitcode), and README, docs/ci.md
and `--check`'s help promise the same; a drift job that takes 2 for drift must not page on a
missing credential as if the infrastructure had drifted. Before, no credentials, an unknown env and
a placeholder refusal all exited 2 under --check. Without --check they stay configuration errors (2).
"""

from __future__ import annotations

import pytest

from tests.fixtures.envelope import error_of, result_of
from tests.lifecycle.conftest import TinyProject, assert_clean_error, run_cli


def test_no_credentials_under_check_exits_1(tiny_project: TinyProject, aws_env, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("CHROMACTL_BACKEND", "s3")
    assert_clean_error(run_cli("plan", "--env", "tiny"), 2, "No AWS credentials found")
    assert_clean_error(run_cli("plan", "--env", "tiny", "--check"), 1, "No AWS credentials found")
    res = run_cli("plan", "--check", "--env", "tiny", "--json")
    assert res.code == 1 and error_of(res.out)["exit_code"] == 1, res.out


def test_unknown_env_and_bad_usage_under_check_exit_1(tiny_project: TinyProject) -> None:
    assert_clean_error(run_cli("plan", "--env", "nope"), 2, "nope")
    assert_clean_error(run_cli("plan", "--env", "nope", "--check"), 1, "nope")
    assert_clean_error(run_cli("--json", "plan", "--check", "--env", "nope"), 1, "nope")
    assert run_cli("plan", "--env", "tiny", "--check", "--no-such-option").code == 1  # Click's usage error
    assert run_cli("plan", "--env", "tiny", "--no-such-option").code == 2


def test_placeholder_refusal_under_check_exits_1_and_drift_still_exits_2(tiny_project: TinyProject) -> None:
    tiny_project.set_tfvar("tiny", 'size = "REPLACE with yours"\n')
    assert_clean_error(run_cli("plan", "--env", "tiny"), 2, "Refusing to plan env 'tiny'")
    assert_clean_error(run_cli("plan", "--env", "tiny", "--check"), 1, "Refusing to plan env 'tiny'")
    tiny_project.set_tfvar("tiny", 'size = "small"\n')
    res = run_cli("plan", "--env", "tiny", "--check")
    assert res.code == 2 and "changes present" in res.err and "error:" not in res.err, res.err
    res = run_cli("plan", "--env", "tiny", "--check", "--json")
    assert res.code == 2 and result_of(res.out)["changes"] is True
