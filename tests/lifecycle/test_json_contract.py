"""The --json contract of the lifecycle verbs (tests/unit/test_json_contract.py has the why): real Terraform on
the tiny project (local state), moto for S3, ECS, ELB and Secrets Manager, a real Chroma behind nginx for `up`'s
smoke check, and the local env's own server."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.json_contract import check_case
from tests.fixtures.servers import free_port
from tests.lifecycle.conftest import TinyProject, make_stack, run_cli
from tests.lifecycle.test_up_flow import _svc_env, svc_stack  # noqa: F401 - svc_stack is a fixture

CASES = {
    "plan": "plan", "plan --check (changes: exit 2)": "plan", "apply": "apply", "output": "output", "destroy": "destroy",
    "doctor": "doctor", "bootstrap": "bootstrap",
    "up": "up", "status": "status",
    "up (local env)": "up", "status (local env)": "status", "output (local env)": "output", "destroy (local env)": "destroy",
    "doctor (local env)": "doctor",
}


def test_plan_apply_output_destroy(tiny_project: TinyProject) -> None:
    res = run_cli("plan", "--env", "tiny", "--check", "--json")
    assert res.code == 2, res.err
    check_case("plan --check (changes: exit 2)", "plan", res.out, ok=False)
    res = run_cli("plan", "--env", "tiny", "--json")
    assert res.code == 0, res.err
    check_case("plan", "plan", res.out)
    res = run_cli("apply", "--env", "tiny", "--yes", "--json")
    assert res.code == 0, res.err
    check_case("apply", "apply", res.out)
    res = run_cli("output", "--env", "tiny", "--json")
    assert res.code == 0, res.err
    check_case("output", "output", res.out)
    res = run_cli("destroy", "--env", "tiny", "--yes", "--json")
    assert res.code == 0, res.err
    check_case("destroy", "destroy", res.out)


def test_doctor_and_bootstrap(tiny_project: TinyProject, aws_env) -> None:  # type: ignore[no-untyped-def]
    res = run_cli("doctor", "--env", "tiny", "--json")
    assert res.code == 1, res.err  # no state bucket yet: a failed check, the result all the same
    check_case("doctor", "doctor", res.out, ok=False)
    res = run_cli("bootstrap", "--env", "tiny", "--json")
    assert res.code == 0, res.err
    check_case("bootstrap", "bootstrap", res.out)


def test_up_and_status_of_an_aws_env(svc_stack) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    p, arn, proxy = svc_stack
    stack = make_stack(register=True)
    _svc_env(p, endpoint_url=proxy.url, token_secret_arn=arn, cluster_name=stack["cluster_name"],
             service_name=stack["service_name"], target_group_arn=stack["target_group_arn"])
    res = run_cli("up", "--env", "svc", "--sandbox", "--yes", "--json", "--wait-timeout", "30")
    assert res.code == 0, res.err[-3000:]
    check_case("up", "up", res.out)
    res = run_cli("status", "--env", "svc", "--json")
    # moto has no CloudWatch alarms state, EFS replication or backups for this stack: problems, exit 1
    check_case("status", "status", res.out, ok=None)


def test_local_env_verbs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "proj"
    (root / "envs" / "local").mkdir(parents=True)
    port = free_port()
    (root / "envs" / "local" / "chromactl.toml").write_text(f'[env]\nkind = "local"\n\n[local]\nport = {port}\ndata_dir = ".chromactl/local"\n')
    monkeypatch.setenv("CHROMACTL_ROOT", str(root))
    monkeypatch.setenv("NO_COLOR", "1")
    try:
        res = run_cli("up", "--env", "local", "--json")
        assert res.code == 0, res.err[-3000:]
        check_case("up (local env)", "up", res.out)
        res = run_cli("status", "--env", "local", "--json")
        assert res.code == 0, res.err
        check_case("status (local env)", "status", res.out)
        res = run_cli("output", "--env", "local", "--json")
        check_case("output (local env)", "output", res.out)
        res = run_cli("doctor", "--env", "local", "--json")
        check_case("doctor (local env)", "doctor", res.out, ok=None)
    finally:
        res = run_cli("destroy", "--env", "local", "--json")
    assert res.code == 0, res.err
    check_case("destroy (local env)", "destroy", res.out)
