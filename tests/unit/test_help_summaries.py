"""`chromactl --help` lists every verb with a complete one-line summary (a new user's review found them cut
mid-phrase: "Init, plan, confirm, apply, wait until stable and healthy,...")."""

from __future__ import annotations

import click
import typer.main
from chromactl.cli.app import app
from chromactl.cli.summaries import MAX_LEN, SUMMARIES
from typer.testing import CliRunner


def _verbs(group: click.Group, prefix: str = "") -> dict[str, click.Command]:
    out: dict[str, click.Command] = {}
    for name, cmd in group.commands.items():
        out[f"{prefix}{name}"] = cmd
        if isinstance(cmd, click.Group):
            out.update(_verbs(cmd, f"{prefix}{name} "))
    return out


def test_every_verb_has_one_summary_and_no_summary_names_a_missing_verb() -> None:
    verbs = _verbs(typer.main.get_command(app))  # type: ignore[arg-type]
    assert set(verbs) == set(SUMMARIES), (sorted(set(verbs) - set(SUMMARIES)), sorted(set(SUMMARIES) - set(verbs)))
    for path, cmd in verbs.items():
        assert cmd.short_help == SUMMARIES[path], path
        assert len(SUMMARIES[path]) <= MAX_LEN and not SUMMARIES[path].endswith("..."), path


def test_the_lists_show_each_summary_whole_in_80_columns() -> None:
    runner = CliRunner()
    for group in ("", "manifest", "token", "backup"):
        res = runner.invoke(app, [group, "--help"] if group else ["--help"], terminal_width=80)
        assert res.exit_code == 0, res.output
        listed = res.output[res.output.index("Commands:"):]
        assert "..." not in listed, listed
        for path, summary in SUMMARIES.items():
            words = path.split()
            if (len(words) == 1 and not group) or (len(words) == 2 and words[0] == group):
                assert f"{words[-1]} " in listed and summary in listed, (path, listed)
