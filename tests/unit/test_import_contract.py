"""The import-layer contract (tools/layers/contract.py, issue 15): the package keeps it, and the
checker has teeth: a back-edge, a cycle between siblings, an unknown package or an in-function import
without its `# lazy:` reason each fail it, whether the import is at the top of a file or inside a
function. `make lint` runs the same checker."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools" / "layers"))

import contract


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "chromactl"
    for rel, text in {"__init__.py": "", **files}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        if path.parent != root and not (path.parent / "__init__.py").exists():
            (path.parent / "__init__.py").write_text("")
    return root


def _messages(root: Path, exempt: dict[tuple[str, str], str] | None = None) -> list[str]:
    return [v.message for v in contract.check(root, {} if exempt is None else exempt)]


def test_the_package_keeps_the_import_contract() -> None:
    violations = contract.check(REPO / "cli" / "chromactl")
    assert not violations, "\n".join(str(v) for v in violations)


def test_a_clean_tree_passes(tmp_path: Path) -> None:
    root = _package(tmp_path, {
        "errors.py": "",
        "aws/session.py": "from chromactl.errors import *\n",
        "cli/app.py": "def main():\n    from chromactl.workflows.up import up\n",
        "workflows/up.py": "from chromactl.aws import session\n",
    })
    assert _messages(root) == []


@pytest.mark.parametrize("where", ["top", "function"])
def test_a_back_edge_fails(tmp_path: Path, where: str) -> None:
    line = "from chromactl.workflows.up import up\n"
    body = line if where == "top" else f"def f():\n    # lazy: only when asked\n    {line}"
    root = _package(tmp_path, {"aws/session.py": body, "workflows/up.py": ""})
    (msg,) = _messages(root)
    assert "chromactl.aws.session imports chromactl.workflows.up" in msg and "must not import workflows" in msg


def test_a_relative_import_is_resolved_and_held_too(tmp_path: Path) -> None:
    root = _package(tmp_path, {"stack/outputs.py": "from ..lifecycle import runner\n", "lifecycle/runner.py": ""})
    (msg,) = _messages(root)
    assert "chromactl.stack.outputs imports chromactl.lifecycle.runner" in msg


def test_a_cycle_between_siblings_fails(tmp_path: Path) -> None:
    root = _package(tmp_path, {
        "checks/smoke.py": "from chromactl.lifecycle import guard\n",
        "lifecycle/guard.py": "def f():\n    from chromactl.checks import smoke  # lazy: test\n",
    })
    (msg,) = _messages(root)
    assert msg.startswith("cycle between checks and lifecycle")


def test_an_in_function_import_needs_its_reason(tmp_path: Path) -> None:
    bare = "def f():\n    from chromactl.errors import X\n"
    root = _package(tmp_path, {"aws/session.py": bare, "errors.py": ""})
    (msg,) = _messages(root)
    assert "inside a function without a '# lazy: <reason>' comment" in msg
    (root / "aws" / "session.py").write_text("def f():\n    from chromactl.errors import X  # lazy: boto3 comes with it\n")
    assert _messages(root) == []
    (root / "aws" / "session.py").write_text("def f():\n    # lazy: the reason may stand on the line above\n    from chromactl.errors import X\n")
    assert _messages(root) == []


def test_a_package_in_no_layer_fails(tmp_path: Path) -> None:
    root = _package(tmp_path, {"newthing/x.py": "", "cli/app.py": "from chromactl.newthing import x\n"})
    assert any("chromactl.newthing is in no layer" in m for m in _messages(root))


def test_a_leaf_module_may_import_only_the_bottom_layer(tmp_path: Path) -> None:
    root = _package(tmp_path, {
        "aws/zones.py": "from chromactl.rotation.package import build_zip\n",  # aws may use the leaf ...
        "rotation/package.py": "from chromactl.errors import ConfigError\n",
        "errors.py": "",
    })
    assert _messages(root) == []
    (root / "rotation" / "package.py").write_text("from chromactl.aws import zones\n")  # ... the leaf may not climb
    assert any("rotation.package (layer" in m for m in _messages(root))


def test_every_exemption_still_matches_an_import(tmp_path: Path) -> None:
    root = _package(tmp_path, {"errors.py": ""})
    stale = [m for m in _messages(root, contract.EXEMPT) if m.startswith("EXEMPT entry")]
    assert len(stale) == len(contract.EXEMPT)
    gone = {("failover/core.py", "chromactl.day2.version"): "the import it excused moved away"}  # EXEMPT's last entry
    assert [m for m in _messages(root, gone) if m.startswith("EXEMPT entry")] == [
        "EXEMPT entry ('failover/core.py', 'chromactl.day2.version') matches no import any more: remove it from tools/layers/contract.py"]


def test_the_failover_imports_nothing_of_day2(tmp_path: Path) -> None:
    """day2 imports failover (its steps reuse the failover's), so failover importing day2 is a cycle; the Chroma version
    record it needs lives in failover/version_record.py."""
    root = _package(tmp_path, {"day2/upgrade.py": "from chromactl.failover import version_record\n",
                               "failover/core.py": "def gate():\n    from chromactl.day2.version import record_after_check\n",
                               "failover/version_record.py": "", "day2/version.py": ""})
    assert any(m.startswith("cycle between day2 and failover") for m in _messages(root, {}))
    assert not [i for i in contract.imports_of(REPO / "cli" / "chromactl", REPO / "cli" / "chromactl" / "failover" / "core.py")
                if i.target.startswith("chromactl.day2")]


def test_make_lint_runs_the_contract() -> None:
    lint = (REPO / "Makefile").read_text().split("\nlint:", 1)[1].split("\n\n", 1)[0]
    assert "tools/layers/contract.py" in lint
