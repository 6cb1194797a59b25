"""No module of the package over ~400 lines without a reason (issue 15): a module that long says why in
its docstring, on a line starting with `Size:` (what it holds that would not be clearer split)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "cli" / "chromactl"
LIMIT = 400


def oversized_without_reason(root: Path, limit: int = LIMIT) -> list[str]:
    out = []
    for path in sorted(root.rglob("*.py")):
        text = path.read_text()
        if len(text.splitlines()) <= limit:
            continue
        doc = ast.get_docstring(ast.parse(text)) or ""
        reason = [line for line in doc.splitlines() if line.strip().startswith("Size:") and len(line.strip()) > 20]
        if not reason:
            out.append(f"{path.relative_to(root)} ({len(text.splitlines())} lines)")
    return out


def test_no_module_over_400_lines_without_a_size_reason() -> None:
    missing = oversized_without_reason(PACKAGE)
    assert not missing, f"over {LIMIT} lines with no 'Size: <reason>' line in the docstring: {missing}"


def test_the_check_catches_a_long_module_and_accepts_its_reason(tmp_path: Path) -> None:
    body = "x = 1\n" * (LIMIT + 1)
    (tmp_path / "long.py").write_text('"""A long one."""\n' + body)
    (tmp_path / "short.py").write_text('"""Short."""\nx = 1\n')
    assert oversized_without_reason(tmp_path) == [f"long.py ({LIMIT + 2} lines)"]
    (tmp_path / "long.py").write_text('"""A long one.\n\nSize: one table of forty rules that read as one.\n"""\n' + body)
    assert oversized_without_reason(tmp_path) == []
