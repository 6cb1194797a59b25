"""docs/DESIGN.md's "where things live" map matches the tree (issue 15): every path it names exists under
cli/chromactl, and every package and top-level module of cli/chromactl is on the map."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "cli" / "chromactl"
MARK = "<!-- where-things-live:"


def _map_lines() -> list[str]:
    text = (REPO / "docs" / "DESIGN.md").read_text()
    after = text.split(MARK, 1)[1]
    block = after.split("```", 2)[1]
    return [line for line in block.splitlines() if line.strip()]


def _named(lines: list[str]) -> set[str]:
    """Every path on the map: the package (first word, ending in /) and the module names after it."""
    named: set[str] = set()
    for line in lines:
        first, _, rest = line.partition(" ")
        if first.endswith("/"):
            named.add(first)
            for module in re.findall(r"\b([a-z_0-9]+\.py)\b", rest):
                named.add(first + module)
        else:
            named.update(word for word in re.findall(r"\b([a-z_0-9]+\.py)\b", line) if not word.startswith("cmd_"))
    return named


def test_every_path_on_the_map_exists() -> None:
    named = _named(_map_lines())
    assert len(named) > 40
    missing = sorted(n for n in named if not (PACKAGE / n).exists())
    assert not missing, f"docs/DESIGN.md names paths that are not in cli/chromactl: {missing}"


def test_every_package_and_top_level_module_is_on_the_map() -> None:
    named = _named(_map_lines())
    packages = {p.name + "/" for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    modules = {p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py"}
    assert not (packages | modules) - named, f"not on the map in docs/DESIGN.md: {sorted((packages | modules) - named)}"
