"""The conventions users' repositories run: this repository's pre-commit hooks work offline with the
project's own environments, and the example CI workflow is a valid GitHub Actions workflow whose
chromactl commands the CLI accepts."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
WORKFLOW = REPO / "docs" / "examples" / "github-actions.yml"


def test_pre_commit_hooks_are_local_and_pass(tmp_path: Path) -> None:
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
    hooks = [h for repo in config["repos"] for h in repo["hooks"]]
    assert all(repo["repo"] == "local" for repo in config["repos"])  # nothing to download
    assert {h["id"] for h in hooks} >= {"terraform-fmt", "module-readme-tables", "ruff", "mypy"}
    for hook in hooks:
        exe = shlex.split(hook["entry"])[0]
        assert (REPO / exe).exists() or exe.startswith(".venv/"), hook
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRE_COMMIT")}
    env.update({"PRE_COMMIT_HOME": str(tmp_path / "pc"), "TF_CLI_CONFIG_FILE": os.devnull, "SKIP": ""})
    proc = subprocess.run(
        [str(BIN / "pre-commit"), "run", "--all-files", "--config", ".pre-commit-config.yaml"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    for hook in hooks:
        assert hook["name"] in proc.stdout and "Passed" in proc.stdout


def test_example_workflow_is_a_valid_github_actions_workflow() -> None:
    proc = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "examples/github-actions.yml" in (REPO / "docs" / "ci.md").read_text()


def test_check_jsonschema_refuses_a_broken_workflow(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(WORKFLOW.read_text().replace("runs-on: ubuntu-latest", "runs_on: ubuntu-latest", 1))
    proc = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(bad)],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode != 0  # the validation has teeth: a misspelt key fails


def _chromactl_commands() -> list[list[str]]:
    data = yaml.safe_load(WORKFLOW.read_text())
    out = []
    for job in data["jobs"].values():
        envs = job.get("strategy", {}).get("matrix", {}).get("env", ["dev"])
        for step in job["steps"]:
            run = step.get("run", "")
            if run.startswith("chromactl "):
                for env in envs:
                    out.append(shlex.split(run.replace("${{ matrix.env }}", env))[1:])
    return out


@pytest.mark.parametrize("args", _chromactl_commands(), ids=lambda a: " ".join(a))
def test_workflow_commands_parse(args: list[str]) -> None:
    """Every chromactl command in the example parses: the verb and its options exist."""
    import click
    import typer.main
    from chromactl.cli.app import app

    group = typer.main.get_command(app)
    assert isinstance(group, click.Group)
    with group.make_context("chromactl", list(args), resilient_parsing=True) as ctx:
        name, cmd, rest = group.resolve_command(ctx, [*ctx.protected_args, *ctx.args])
        assert cmd is not None, args
        sub = cmd.make_context(name, rest, parent=ctx)  # raises click.UsageError on an unknown option
        assert sub.params.get("env") in ("dev", "staging", "prod")


# -- OIDC: each job's token `sub` is let in by the role it assumes (issue 17 review, item 3)

def _trust_policies() -> dict[str, dict[str, object]]:
    """docs/ci.md's trust policies by Sid."""
    import json
    import re

    text = (REPO / "docs" / "ci.md").read_text()
    out: dict[str, dict[str, object]] = {}
    for block in re.findall(r"```json\n(.*?)```", text, flags=re.DOTALL):
        for statement in json.loads(block)["Statement"]:
            out[statement["Sid"]] = statement
    return out


def _allowed_subs(statement: dict[str, object]) -> list[str]:
    condition = statement["Condition"]
    assert isinstance(condition, dict)
    equals = condition["StringEquals"]
    assert equals["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
    subs = equals["token.actions.githubusercontent.com:sub"]
    return [subs] if isinstance(subs, str) else list(subs)


def _job_subjects(job: dict[str, Any]) -> set[str]:
    """The `sub` GitHub puts in the job's token, from its GitHub doc "Example subject claims"
    (https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect):
    a job with an environment gets `environment:NAME` whatever its trigger; else a pull_request
    event gets `pull_request` and a branch run `ref:refs/heads/BRANCH`."""
    import re

    matrix_envs = job.get("strategy", {}).get("matrix", {}).get("env", [])
    if "environment" in job:
        env_expr = str(job["environment"])
        names = matrix_envs if "matrix.env" in env_expr else [env_expr]
        return {f"repo:ORG/REPO:environment:{name}" for name in names}
    condition = str(job.get("if", ""))
    events = set(re.findall(r"github\.event_name == '([a-z_]+)'", condition))
    assert events, f"the job says which events run it: {condition!r}"
    subs = set()
    for event in events:
        if event == "pull_request":
            subs.add("repo:ORG/REPO:pull_request")
        else:  # schedule / workflow_dispatch / push: the branch; the example limits them to main
            assert "github.ref == 'refs/heads/main'" in condition, (event, condition)
            subs.add("repo:ORG/REPO:ref:refs/heads/main")
    return subs


def test_each_jobs_token_is_trusted_by_the_role_it_assumes_and_by_no_other() -> None:
    policies = _trust_policies()
    role_sid = {"CHROMACTL_PLAN_ROLE_ARN": "ChromactlPlanFromGitHub", "CHROMACTL_APPLY_ROLE_ARN": "ChromactlApplyFromGitHub"}
    assert set(policies) == set(role_sid.values())
    data = yaml.safe_load(WORKFLOW.read_text())
    seen = set()
    for name, job in data["jobs"].items():
        roles = [s["with"]["role-to-assume"] for s in job["steps"] if "configure-aws-credentials" in s.get("uses", "")]
        assert len(roles) == 1, name
        var = roles[0].split("vars.")[1].split()[0]
        subs = _job_subjects(job)
        allowed = _allowed_subs(policies[role_sid[var]])
        for sub in subs:
            assert sub in allowed, f"job {name}: the role {var} does not trust sub {sub} (it trusts {allowed})"
            for other_var, sid in role_sid.items():
                if other_var != var:
                    assert sub not in _allowed_subs(policies[sid]), f"job {name}'s token also opens {other_var}"
        seen.add(name)
    assert seen == {"plan", "drift", "apply"}
