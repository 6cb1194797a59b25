"""A tfvars type error names the file, the line and the variable, exit 2 (issue 20.9); before it was
"terraform plan failed ...: Invalid value for input variable." and exit 1."""

from __future__ import annotations

from tests.fixtures.envelope import error_of
from tests.lifecycle.conftest import TinyProject, run_cli


def test_tfvars_type_error_names_file_line_and_variable(tiny_project: TinyProject) -> None:
    tiny_project.set_tfvar("tiny", 'size = "small"\ngeneration = "two"\n')
    res = run_cli("plan", "--env", "tiny")
    assert res.code == 2, res.err
    assert "terraform.tfvars:2:" in res.err and "var.generation" in res.err and "Traceback" not in res.err
    res = run_cli("--json", "plan", "--env", "tiny")
    data = error_of(res.out)
    assert data["exit_code"] == 2 and "terraform.tfvars:2:" in data["message"] and "var.generation" in data["message"]
