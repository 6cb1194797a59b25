"""`make mutate`'s survivor bookkeeping (tools/mutate/reasons.py): every equivalent survivor listed in
tools/mutate/equivalent.toml has a module in scope and a reason, the table in docs/testing.md is the
one generated from that file, and a survivor without a reason (or a reason whose mutant no longer
survives, or whose mutated line changed) is reported, which fails the run (tools/mutate/run.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools" / "mutate"))

import reasons
from scope import SCOPE

DIFF = """--- src/chromactl/x.py
+++ src/chromactl/x.py
@@ -1,3 +1,3 @@
 def f():
-    return a - b
+    return a + b
"""


def test_the_reasons_file_names_modules_in_scope_and_says_why() -> None:
    loaded = reasons.load()
    assert loaded, "tools/mutate/equivalent.toml lists no survivor"
    for name, r in loaded.items():
        assert r.module in SCOPE, name
        assert name.startswith(r.module[: -len(".py")].replace("/", ".") + "."), name
        assert "__mutmut_" in name and r.shape and len(r.why) > 20, name


def test_the_docs_table_is_generated_from_the_reasons_file() -> None:
    assert reasons.main(["--check"]) == 0, "run .venv/bin/python tools/mutate/reasons.py"


def test_shape_is_the_added_line() -> None:
    assert reasons.shape_of(DIFF) == "return a + b"
    assert reasons.shape_of("--- a\n+++ b\n-    x = 1\n") == ""


def test_a_survivor_without_a_reason_or_with_a_changed_line_is_unexplained_and_a_killed_one_is_stale() -> None:
    known = {"chromactl.x.x_f__mutmut_1": reasons.Reason("chromactl/x.py", "chromactl.x.x_f__mutmut_1", "return a + b", "why"),
             "chromactl.x.x_f__mutmut_2": reasons.Reason("chromactl/x.py", "chromactl.x.x_f__mutmut_2", "return a * b", "why"),
             "chromactl.y.x_g__mutmut_1": reasons.Reason("chromactl/y.py", "chromactl.y.x_g__mutmut_1", "pass", "why")}
    v = reasons.classify({"chromactl.x.x_f__mutmut_1": DIFF, "chromactl.x.x_f__mutmut_3": DIFF}, ["chromactl/x.py"], known)
    assert list(v.explained) == ["chromactl.x.x_f__mutmut_1"]
    assert v.unexplained == {"chromactl.x.x_f__mutmut_3": "return a + b"}
    assert list(v.stale) == ["chromactl.x.x_f__mutmut_2"]  # killed now (or gone): its reason must go; y.py was not run
    renumbered = reasons.classify({"chromactl.x.x_f__mutmut_2": DIFF}, ["chromactl/x.py"], known)
    assert renumbered.unexplained == {"chromactl.x.x_f__mutmut_2": "return a + b"} and "chromactl.x.x_f__mutmut_2" in renumbered.stale


def test_a_group_without_a_reason_or_a_mutant_listed_twice_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "e.toml"
    bad.write_text('[[group]]\nmodule = "chromactl/x.py"\nreason = ""\nmutants = [{ id = "a", shape = "b" }]\n')
    with pytest.raises(ValueError, match="needs a module and a reason"):
        reasons.load(bad)
    bad.write_text('[[group]]\nmodule = "m"\nreason = "r"\nmutants = [{ id = "a", shape = "b" }, { id = "a", shape = "c" }]\n')
    with pytest.raises(ValueError, match="listed twice"):
        reasons.load(bad)


def test_the_table_groups_by_module_and_reason() -> None:
    rs = {"p.m.x_f__mutmut_2": reasons.Reason("p/m.py", "p.m.x_f__mutmut_2", "a | b", "same"),
          "p.m.x_f__mutmut_1": reasons.Reason("p/m.py", "p.m.x_f__mutmut_1", "c", "same")}
    table = reasons.render(rs)
    assert "| p/m.py | `x_f__mutmut_1`: `c`<br>`x_f__mutmut_2`: `a \\| b` | same |" in table
    assert table.startswith(reasons.BEGIN) and table.endswith(reasons.END) and "2 equivalent survivor(s)." in table
