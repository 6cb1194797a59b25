"""Issue 16 item 9: a failed Terraform run shows Terraform's own `Error:` block (file, line, message);
--verbose adds the command line and the full log; an init that cannot reach the registry says so and
points at scripts/tf-offline. Real Terraform against the tiny project (no provider download)."""

from __future__ import annotations

from pathlib import Path

from tests.fixtures.envelope import error_of, result_of
from tests.lifecycle.conftest import TinyProject, assert_clean_error, run_cli

BROKEN = '''
resource "terraform_data" "broken" {
  input = var.no_such_variable
}
'''


def _break(p: TinyProject) -> int:
    main = p.env_dir("tiny") / "main.tf"
    text = main.read_text()
    main.write_text(text + BROKEN)
    return (text + BROKEN).splitlines().index("  input = var.no_such_variable") + 1


def test_plan_failure_shows_terraforms_error_block(tiny_project: TinyProject) -> None:
    line = _break(tiny_project)
    res = run_cli("plan", "--env", "tiny")
    assert_clean_error(res, 1, "terraform plan failed for tiny/us-east-1")
    assert "Error: Reference to undeclared input variable" in res.err, res.err
    assert f"on main.tf line {line}" in res.err, res.err
    assert "no_such_variable" in res.err
    assert "--verbose" in res.err and "$ cd " not in res.err  # the command line is for --verbose

    verbose = run_cli("--verbose", "plan", "--env", "tiny")
    assert verbose.code == 1
    assert "$ cd " in verbose.err and "-detailed-exitcode" in verbose.err  # the command line
    assert "its full output" in verbose.err

    as_json = run_cli("plan", "--env", "tiny", "--json")
    data = error_of(as_json.out)
    assert f"on main.tf line {line}" in data["detail"]


def test_offline_init_says_the_registry_is_unreachable_and_points_at_tf_offline(tiny_project: TinyProject, tmp_path: Path,
                                                                                monkeypatch) -> None:  # type: ignore[no-untyped-def]
    main = tiny_project.env_dir("tiny") / "main.tf"
    main.write_text(main.read_text().replace('required_version = ">= 1.10"',
                                             'required_version = ">= 1.10"\n  required_providers {\n    aws = { source = "hashicorp/aws" }\n  }'))
    # the registry's provider service at a port nobody listens on: unreachable on any machine, network or not
    rc = tmp_path / "unreachable.tfrc"
    rc.write_text('host "registry.terraform.io" {\n  services = {\n    "providers.v1" = "http://127.0.0.1:9/v1/providers/"\n  }\n}\n')
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(rc))
    res = run_cli("plan", "--env", "tiny")
    assert_clean_error(res, 1, "could not reach the provider registry", "scripts/tf-offline")
    assert "Error: Failed to query available provider packages" in res.err, res.err


def test_long_terraform_step_off_a_terminal_prints_keepalive_lines(tiny_project: TinyProject, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Issue 16 item 14: stderr is not a terminal here; a plan that runs quietly still says it is running."""
    monkeypatch.setenv("CHROMACTL_PROGRESS_EVERY", "0.05")
    res = run_cli("plan", "--env", "tiny")
    assert res.code == 0, res.err
    assert "plan tiny/us-east-1: still running (" in res.err, res.err
    quiet = run_cli("plan", "--env", "tiny", "--json")
    assert "still running" not in quiet.err and result_of(quiet.out)  # --json: stdout stays one document, stderr quiet
