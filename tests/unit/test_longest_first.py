"""The suite's file order (tests/fixtures/longest_first.py): a fresh clone, with no pytest cache, starts from
the committed seed, so CI hands the longest files out first (it handed the 3-minute corpus out late)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from tests.fixtures import longest_first as L


def _items(*files: str) -> list[Any]:
    return [SimpleNamespace(nodeid=f"{f}::test_{i}") for f in files for i in range(2)]


def test_a_run_without_a_cache_orders_files_by_the_committed_seed(monkeypatch: Any, tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"tests/a.py": 5.0, "tests/b.py": 180.0, "tests/c.py": 40.0}))
    monkeypatch.setattr(L, "SEED", seed)
    items = _items("tests/a.py", "tests/b.py", "tests/c.py", "tests/new.py")
    L.pytest_collection_modifyitems(SimpleNamespace(cache=None), items)  # type: ignore[arg-type]
    files = [i.nodeid.split("::")[0] for i in items]
    assert files == ["tests/new.py"] * 2 + ["tests/b.py"] * 2 + ["tests/c.py"] * 2 + ["tests/a.py"] * 2


def test_the_cache_of_the_last_run_wins_over_the_seed(monkeypatch: Any, tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"tests/a.py": 5.0, "tests/b.py": 180.0}))
    monkeypatch.setattr(L, "SEED", seed)
    cache = SimpleNamespace(get=lambda key, default: {"tests/a.py": 300.0})
    items = _items("tests/b.py", "tests/a.py")
    L.pytest_collection_modifyitems(SimpleNamespace(cache=cache), items)  # type: ignore[arg-type]
    assert [i.nodeid.split("::")[0] for i in items][:2] == ["tests/a.py"] * 2


def test_the_committed_seed_names_the_corpus_among_the_longest() -> None:
    seed = L._seed()
    assert seed, "tests/fixtures/file_seconds.json is missing or empty"
    longest = sorted(seed, key=lambda f: -seed[f])[:5]
    assert "tests/terraform/test_corpus.py" in longest, longest
