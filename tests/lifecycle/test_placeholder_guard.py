"""plan/up/apply refuse an AWS env whose values are placeholders, before Terraform runs (issue 12, item 6).

Real Terraform on the tiny project: the refusal names file, line and value and
leaves no trace (no init, no plan file, no state); `--sandbox` on the command or
`sandbox = true` under [env] lets the same env plan; a destroy is never refused.
"""

from __future__ import annotations

from pathlib import Path

from tests.lifecycle.conftest import TinyProject, assert_clean_error, run_cli


def _no_terraform_ran(p: TinyProject) -> None:
    assert not (p.env_dir("tiny") / ".terraform").exists()
    assert not (p.env_dir("tiny") / ".chromactl" / "plans").exists() or not list((p.env_dir("tiny") / ".chromactl" / "plans").iterdir())
    assert not p.state("tiny").exists()


def test_plan_up_apply_refuse_placeholders_before_terraform(tiny_project: TinyProject) -> None:
    tiny_project.set_tfvar("tiny", 'size = "small"\n# comments may say REPLACE\nsize_note = "REPLACE with yours"\n')
    for verb in (["plan"], ["up", "--auto-approve", "--skip-checks"]):
        res = run_cli(*verb, "--env", "tiny")
        assert_clean_error(res, 2, f"Refusing to {verb[0]} env 'tiny'", "terraform.tfvars:3", '"REPLACE with yours"', "--sandbox", "sandbox = true")
        _no_terraform_ran(tiny_project)


def test_apply_of_a_sandbox_plan_needs_the_flag_too(tiny_project: TinyProject) -> None:
    tiny_project.set_tfvar("tiny", 'size = "REPLACE"\n')
    assert run_cli("plan", "--env", "tiny", "--sandbox").code == 0
    res = run_cli("apply", "--env", "tiny", "--auto-approve")
    assert_clean_error(res, 2, "Refusing to apply env 'tiny'", 'terraform.tfvars:1 "REPLACE"')
    assert not tiny_project.state("tiny").exists() or '"REPLACE"' not in tiny_project.state("tiny").read_text()
    res = run_cli("apply", "--env", "tiny", "--auto-approve", "--sandbox")
    assert res.code == 0, res.err[-2000:]
    assert '"REPLACE"' in tiny_project.state("tiny").read_text()


def test_sandbox_flag_or_config_lets_the_env_plan(tiny_project: TinyProject) -> None:
    tiny_project.set_tfvar("tiny", 'size = "chroma.example.com"\n')
    res = run_cli("plan", "--env", "tiny", "--sandbox")
    assert res.code == 0, res.err[-2000:]
    toml: Path = tiny_project.env_dir("tiny") / "chromactl.toml"
    toml.write_text(toml.read_text().replace('kind = "aws"', 'kind = "aws"\nsandbox = true'))
    res = run_cli("up", "--env", "tiny", "--auto-approve", "--skip-checks", "--json")
    assert res.code == 0, res.err[-2000:]
    assert tiny_project.state("tiny").is_file()
    # the placeholder now in place never blocks taking the stack down, sandbox or not
    toml.write_text(toml.read_text().replace("sandbox = true", "sandbox = false"))
    assert run_cli("plan", "--env", "tiny").code == 2
    res = run_cli("destroy", "--env", "tiny", "--auto-approve", "--json")
    assert res.code == 0, res.err[-2000:]


def test_sandbox_must_be_a_boolean(tiny_project: TinyProject) -> None:
    toml = tiny_project.env_dir("tiny") / "chromactl.toml"
    toml.write_text(toml.read_text().replace('kind = "aws"', 'kind = "aws"\nsandbox = "yes"'))
    assert_clean_error(run_cli("plan", "--env", "tiny"), 2, "env.sandbox must be a bool")
