"""After an apply, `up` plans again and fails (exit 1) on any change: a perpetual diff (issue 12, item 18).

Real Terraform on a temp root: `terraform_data` whose input is `timestamp()` is
a change in every plan, as a provider-normalised attribute would be on the
task definition. The real envs' second plans are asserted empty by
tests/lifecycle/test_e2e_offline.py (dev and prod, offline provider).
"""

from __future__ import annotations

import json

from tests.fixtures.envelope import result_of
from tests.lifecycle.conftest import MAIN_TF, TinyProject, assert_clean_error, run_cli

DRIFT = """
resource "terraform_data" "clock" {
  input = timestamp()
}
"""


def test_up_reports_a_perpetual_diff_with_its_addresses(tiny_project: TinyProject) -> None:
    (tiny_project.env_dir("tiny") / "main.tf").write_text(MAIN_TF + DRIFT, encoding="utf-8")
    res = run_cli("up", "--env", "tiny", "--auto-approve", "--skip-checks", "--json")
    assert_clean_error(res, 1, "tiny/us-east-1 does not converge", "terraform_data.clock (update)", "The apply itself is done")
    assert "terraform_data.svc" not in res.err and "terraform_data.disk" not in res.err  # only what changes again
    state = json.loads(tiny_project.state("tiny").read_text())
    assert {r["name"] for r in state["resources"]} == {"svc", "disk", "clock"}  # the apply went through
    assert not list((tiny_project.env_dir("tiny") / ".chromactl" / "plans").glob("*.tfplan"))  # nothing left to apply by mistake


def test_up_of_a_converging_stack_records_the_empty_second_plan(tiny_project: TinyProject) -> None:
    res = run_cli("up", "--env", "tiny", "--auto-approve", "--skip-checks", "--json")
    assert res.code == 0, res.err[-2000:]
    data = result_of(res.out)
    assert data["second_plan"] == {"converged": True, "changes": {}, "output_changes": 0}
    res = run_cli("up", "--env", "tiny", "--auto-approve", "--skip-checks", "--json")  # nothing to apply: no second plan
    assert res.code == 0 and result_of(res.out)["second_plan"] is None
