"""User text and hints keep their brackets on a terminal's rich rendering (issue 17 review, item 4).

rich reads `[...]` as a style tag and silently drops the ones it does not know: doctor's hint
"sandbox = true under [env]" came out as "sandbox = true under ". output.py's consoles interpret
only chromactl's own style tags (STYLE_TAGS); every other bracket is printed as written.
"""

from __future__ import annotations

import io

import pytest
from chromactl.output import Output, _console, safe_markup

HINT = "set sandbox = true under [env] in envs/x/chromactl.toml, or zone_id under [dns]; see [docs/ci.md] and [1, 2]"


def test_a_hint_with_brackets_is_printed_as_written() -> None:
    for color in (True, False):
        buf = io.StringIO()
        console = _console(buf, color)
        console.print(f"[yellow]warn[/] doctor: {HINT}", markup=True)  # doctor's own call, markup on
        console.print(f"      fix: {HINT}")
        text = buf.getvalue()
        assert text.count(HINT) == 2, text
        assert "[yellow]" not in text and "[/]" not in text  # chromactl's own tags are still styles


def test_warn_info_and_debug_keep_brackets(capsys: pytest.CaptureFixture[str]) -> None:
    out = Output(color=False, verbose=True)
    out.warn(HINT)
    out.info(HINT)
    out.debug(HINT)
    err = capsys.readouterr().err
    assert err.count(HINT) == 3, err
    assert "warning: " + HINT in err


def test_a_table_cell_is_data_not_markup() -> None:
    buf = io.StringIO()
    out = Output(color=False)
    console = _console(buf, False)
    console._force_terminal = True  # rich's own switch (Console(force_terminal=True)): the terminal table, not the piped lines
    out.table(console, "envs [aws]", ["name", "note"], [["prod", "[env] protected"]])
    text = buf.getvalue()
    assert "[env] protected" in text and "envs [aws]" in text, text


def test_escaped_brackets_and_style_tags_are_left_alone() -> None:
    assert safe_markup("\\[pending] [bold]x[/bold] [bold red]y[/]") == "\\[pending] [bold]x[/bold] [bold red]y[/]"
    assert safe_markup("[env]") == "\\[env]"
