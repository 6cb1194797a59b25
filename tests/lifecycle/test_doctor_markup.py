"""doctor's rich rendering keeps the brackets of its details and hints (issue 17 review, item 4; the
console side is in tests/unit/test_output_markup.py)."""

from __future__ import annotations

from tests.fixtures.envelope import result_of
from tests.lifecycle.conftest import TinyProject, run_cli


def test_doctor_on_a_terminal_shows_the_env_table_name(tiny_project: TinyProject, aws_env) -> None:  # type: ignore[no-untyped-def]
    tiny_project.set_tfvar("tiny", 'size = "REPLACE"\n')
    res = run_cli("doctor", "--env", "tiny", "--json")
    detail = {c["name"]: c for c in result_of(res.out)["checks"]}["tiny: placeholders"]["detail"]
    assert "under [env]" in detail  # the text doctor means to show
    res = run_cli("doctor", "--env", "tiny")  # the rich rendering of the same checks
    assert "under [env]" in res.out, res.out
