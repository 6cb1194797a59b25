"""plan/up/apply refuse an AWS env whose values are placeholders, before Terraform runs (issue 12, item 6;
issue 17 review, item 2).

Real Terraform on the tiny project: the refusal names file, line and value and leaves no trace (no
init, no plan file, no state). A sandbox (`--sandbox` on the command or `sandbox = true` under
[env]) may *plan* with placeholders, with a warning naming them; up and apply refuse them all the
same, sandbox or not: a real apply never starts with placeholders. A destroy is never refused.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from chromactl.config import load_env
from chromactl.errors import ConfigError
from chromactl.failover.ports import Ports
from chromactl.output import Output

from tests.lifecycle.conftest import TinyProject, assert_clean_error, run_cli


def _no_terraform_ran(p: TinyProject) -> None:
    assert not (p.env_dir("tiny") / ".terraform").exists()
    assert not (p.env_dir("tiny") / ".chromactl" / "plans").exists() or not list((p.env_dir("tiny") / ".chromactl" / "plans").iterdir())
    assert not p.state("tiny").exists()


def _sandbox_toml(p: TinyProject, on: bool = True) -> None:
    toml: Path = p.env_dir("tiny") / "chromactl.toml"
    text = toml.read_text().replace("\nsandbox = true", "")
    toml.write_text(text.replace('kind = "aws"', 'kind = "aws"\nsandbox = true') if on else text)


def test_plan_up_apply_refuse_placeholders_before_terraform(tiny_project: TinyProject) -> None:
    tiny_project.set_tfvar("tiny", 'size = "small"\n# comments may say REPLACE\nsize_note = "REPLACE with yours"\n')
    res = run_cli("plan", "--env", "tiny")
    assert_clean_error(res, 2, "Refusing to plan env 'tiny'", "terraform.tfvars:3", '"REPLACE with yours"', "--sandbox", "sandbox = true")
    _no_terraform_ran(tiny_project)
    res = run_cli("up", "--env", "tiny", "--auto-approve", "--skip-checks")
    assert_clean_error(res, 2, "Refusing to up env 'tiny'", "terraform.tfvars:3", '"REPLACE with yours"', "sandbox or not")
    _no_terraform_ran(tiny_project)


def test_a_sandbox_plans_with_a_warning_but_never_applies_placeholders(tiny_project: TinyProject) -> None:
    tiny_project.set_tfvar("tiny", 'size = "REPLACE"\n')
    res = run_cli("plan", "--env", "tiny", "--sandbox")
    assert res.code == 0, res.err[-2000:]
    assert "warning:" in res.err and 'terraform.tfvars:1 "REPLACE"' in res.err and "up/apply refuse them" in res.err
    for flags in ((), ("--sandbox",)):
        res = run_cli("apply", "--env", "tiny", "--auto-approve", *flags)
        assert_clean_error(res, 2, "Refusing to apply env 'tiny'", 'terraform.tfvars:1 "REPLACE"', "sandbox or not")
        res = run_cli("up", "--env", "tiny", "--auto-approve", "--skip-checks", *flags)
        assert_clean_error(res, 2, "Refusing to up env 'tiny'", 'terraform.tfvars:1 "REPLACE"')
    _sandbox_toml(tiny_project)  # declared a sandbox in its config: the same
    assert run_cli("plan", "--env", "tiny").code == 0
    res = run_cli("apply", "--env", "tiny", "--auto-approve")
    assert_clean_error(res, 2, "Refusing to apply env 'tiny'", 'terraform.tfvars:1 "REPLACE"')
    assert_clean_error(run_cli("up", "--env", "tiny", "--auto-approve", "--skip-checks"), 2, "Refusing to up env 'tiny'")
    assert not tiny_project.state("tiny").exists()  # nothing was ever applied


def test_filled_values_apply_and_a_destroy_is_never_refused(tiny_project: TinyProject) -> None:
    tiny_project.set_tfvar("tiny", 'size = "small"\n')
    res = run_cli("up", "--env", "tiny", "--auto-approve", "--skip-checks", "--json")
    assert res.code == 0, res.err[-2000:]
    assert tiny_project.state("tiny").is_file()
    # a placeholder now in place never blocks taking the stack down, sandbox or not
    tiny_project.set_tfvar("tiny", 'size = "chroma.example.com"\n')
    assert run_cli("plan", "--env", "tiny").code == 2
    res = run_cli("destroy", "--env", "tiny", "--auto-approve", "--json")
    assert res.code == 0, res.err[-2000:]


def test_sandbox_must_be_a_boolean(tiny_project: TinyProject) -> None:
    toml = tiny_project.env_dir("tiny") / "chromactl.toml"
    toml.write_text(toml.read_text().replace('kind = "aws"', 'kind = "aws"\nsandbox = "yes"'))
    assert_clean_error(run_cli("plan", "--env", "tiny"), 2, "env.sandbox must be a bool")


def test_failovers_apply_refuses_placeholders_in_a_sandbox_too(tiny_project: TinyProject) -> None:
    """failover rebuilds through Ports.apply_region (lifecycle.apply.apply_region): the same refusal, before any apply."""
    tiny_project.set_tfvar("tiny", 'size = "REPLACE"\n')
    _sandbox_toml(tiny_project)
    env = load_env("tiny", tiny_project.root)
    with pytest.raises(ConfigError) as info:
        Ports().apply_region(env, "us-west-2", extra_vars=None, output=Output(json=True), auto_approve=True)
    assert "Refusing to apply env 'tiny'" in info.value.message and 'terraform.tfvars:1 "REPLACE"' in info.value.message
    assert not tiny_project.state("tiny", "us-west-2").exists()
