"""Every benchmark figure the docs quote is one a saved run printed (issue 21, "Done means").

docs/checks.md's "The numbers" names each run by a letter (Q, F, R1, ...) and docs/bench/ keeps each run's
output with its header (date, host, cores, load average). These tests hold the prose to those files: a
figure attributed to a run must be printed in that run's file (or in a saved file the same clause names),
and the capacity tables in the ecs module's README must be rows that `make bench-capacity` printed or that
`scripts/bench_capacity.py --rejudge` prints now from the saved measurements. A figure written "~x" is a
reading of other figures, not a printed one, and is not checked.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.fixtures.scripts import load_script

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "docs" / "bench"
RECORD = re.compile(r"(?<![\w-])((?:bench|cli|capacity|checks|hnsw|tests)-\d{4}-\d{2}-\d{2}[\w-]*\.txt)")
HEADER = re.compile(r"^# (\d{4}-\d{2}-\d{2} \d{2}:\d{2}) UTC, (\w[\w.-]*), (\d+) cores.*load average [\d.]+ [\d.]+ [\d.]+", re.MULTILINE)

# The run letters docs/checks.md defines in the paragraph before its numbered list, and each one's file.
RUNS = {
    "Q": "bench-2026-12-02-quiet.txt",
    "F": "bench-2026-12-02-final.txt",
    "R1": "bench-2026-12-02-r1.txt",
    "R2": "bench-2026-12-02-r2.txt",
    "C1": "cli-2026-12-02-c1.txt",
    "C2": "cli-2026-12-02-c2.txt",
    "P": "cli-2026-12-02-own.txt",
    "H": "hnsw-2026-12-02.txt",
}
LABEL = re.compile(r"(?<![\w/.`-])(?:\*\*)?(" + "|".join(sorted(RUNS, key=len, reverse=True)) + r")(?:\*\*)?(?=[: ('\n])")
FIGURE = re.compile(r"(?<![\w.~])\d+\.\d+")


def _docs() -> list[Path]:
    return [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md", *sorted((ROOT / "terraform" / "modules").glob("*/README.md"))]


def _numbers_section() -> str:
    text = (ROOT / "docs" / "checks.md").read_text()
    section = text[text.index("## The numbers"):]
    return section[: section.index("\n## ", 3)] if "\n## " in section[3:] else section


def _printed(figure: str, text: str) -> bool:
    return re.search(r"(?<![\d.])" + re.escape(figure) + r"(?!\d)", text) is not None


def test_every_saved_run_the_docs_name_is_in_docs_bench_with_its_date_and_machine() -> None:
    named = {name: doc for doc in _docs() for name in RECORD.findall(doc.read_text())}
    assert len(named) >= 10, named
    for name, doc in sorted(named.items()):
        path = BENCH / name
        assert path.is_file(), f"{doc.relative_to(ROOT)} names {name}, which docs/bench/ does not hold"
        assert HEADER.search(path.read_text()), f"{name} has no header line with its date, host, cores and load average"


def test_the_legend_defines_every_run_letter_with_its_file() -> None:
    section = _numbers_section()
    legend = section[: section.index("1. **")]
    for letter, name in RUNS.items():
        assert f"**{letter}**" in legend, f"the legend of docs/checks.md does not define run {letter}"
        stem = name.removesuffix(".txt")
        assert name in legend or f"`-{stem.rsplit('-', 1)[1]}.txt`" in legend, f"the legend does not name {letter}'s file {name}"


def _attributed() -> list[tuple[str, str, list[str]]]:
    """(run letter, clause, figures) for every clause of the numbered list that starts with a run's letter."""
    section = _numbers_section()
    items = re.split(r"\n(?=\d+\. \*\*)", section[section.index("1. **"):])
    out = []
    for item in items:
        marks = list(LABEL.finditer(item))
        for mark, nxt in zip(marks, [*marks[1:], None]):
            clause = item[mark.end(): nxt.start() if nxt else len(item)]
            out.append((mark.group(1), clause, FIGURE.findall(clause)))
    return out


def test_each_figure_attributed_to_a_run_is_one_that_run_printed() -> None:
    clauses = _attributed()
    checked = sum(len(figures) for _, _, figures in clauses)
    assert {letter for letter, _, _ in clauses} == set(RUNS)
    assert checked >= 150, checked  # the prose quotes this many; a broken parser would find far fewer
    missing = []
    for letter, clause, figures in clauses:
        texts = [(BENCH / RUNS[letter]).read_text()] + [(BENCH / name).read_text() for name in RECORD.findall(clause)]
        for figure in figures:
            if not any(_printed(figure, text) for text in texts):
                missing.append(f"{letter}: {figure} in {' '.join(clause.split())[:90]!r}")
    print(f"{checked} figures in {len(clauses)} clauses checked against {len(RUNS)} saved runs")
    assert not missing, "figures docs/checks.md gives a run that its saved output does not print:\n" + "\n".join(missing)


def test_the_check_catches_a_figure_no_run_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    real = Path.read_text

    def doctored(self: Path, *args: object, **kwargs: object) -> str:
        text = real(self, *args, **kwargs)  # type: ignore[arg-type]
        return text.replace("F: ÷ bare 1.083", "F: ÷ bare 1.021") if self.name == "checks.md" else text

    monkeypatch.setattr(Path, "read_text", doctored)
    with pytest.raises(AssertionError, match=r"F: 1\.021"):
        test_each_figure_attributed_to_a_run_is_one_that_run_printed()


ROW = re.compile(r"^\|\s*(\d+) \| ([\d,]+) \| (\d+) \| (\d+) \(([+-][\d.]+%)\) \| (\d+) \| (\d+) \(([+-][\d.]+%)\) \|", re.MULTILINE)
PRINTED = re.compile(r"^\s*(\d+)\s+(\d+)\s+\d+\s+[\d.]+ \|\s+\d+\s+(\d+)\s+\d+\s+(\d+)\s+\|\s+(\d+)\s+([+-][\d.]+%) \|\s+(\d+)\s+([+-][\d.]+%) \|", re.MULTILINE)


def _printed_rows(text: str) -> set[tuple[str, ...]]:
    """(dims, vectors, live, rule load, its error, steady, rule steady, its error) of each printed table row."""
    return {(d, n, live, rl, rle, steady, rs, rse) for d, n, live, steady, rs, rse, rl, rle in PRINTED.findall(text)}


def test_the_ecs_readme_capacity_tables_are_rows_a_capacity_run_printed(capsys: pytest.CaptureFixture[str]) -> None:
    readme = (ROOT / "terraform" / "modules" / "ecs" / "README.md").read_text()
    rows = {(d, n.replace(",", ""), live, rl, rle, steady, rs, rse) for d, n, live, rl, rle, steady, rs, rse in ROW.findall(readme)}
    assert len(rows) >= 10, rows
    bench_capacity = load_script("bench_capacity")
    printed: set[tuple[str, ...]] = set()
    for name in sorted(set(RECORD.findall(readme))):
        saved = (BENCH / name).read_text()
        printed |= _printed_rows(saved)  # as the run printed them, under the rule of its day
        assert bench_capacity.main(["--rejudge", str(BENCH / name)]) == 0
        printed |= _printed_rows(capsys.readouterr().out)  # the same measurements under today's rule
    assert rows <= printed, f"README rows no capacity run printed: {sorted(rows - printed)}"
