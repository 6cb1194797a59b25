"""Issue 16, the conventions users bring from terraform/gh/aws: global options anywhere (7), plain help (10),
CHROMACTL_ENV for every verb and one "don't ask" vocabulary (12), tables that survive a pipe and NO_COLOR (13).

The CLI runs as a subprocess, piped, or on a pseudo-terminal (pty) where the terminal matters.
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fixtures.envelope import error_of, result_of

ROOT = Path(__file__).resolve().parents[2]
CHROMACTL = str(Path(sys.executable).parent / "chromactl")
ESC = "\x1b"


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("CHROMACTL_")}
    full.update({"NO_COLOR": "1", "COLUMNS": "100"}, **(env or {}))
    return subprocess.run([CHROMACTL, *args], capture_output=True, text=True, timeout=60, cwd=ROOT, env=full, check=False)


def run_pty(*args: str, env: dict[str, str] | None = None, answer: str | None = None, wait_for: str = "") -> tuple[int, str]:
    """Run with stdin/stdout/stderr on a pty (a terminal as far as the CLI can tell); type `answer` after `wait_for`."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("CHROMACTL_") and k != "NO_COLOR"}
    full.update({"COLUMNS": "100", "LINES": "40", "TERM": "xterm-256color"}, **(env or {}))
    main, child = pty.openpty()
    proc = subprocess.Popen([CHROMACTL, *args], stdin=child, stdout=child, stderr=child, cwd=ROOT, env=full, close_fds=True)
    os.close(child)
    out = b""
    sent = answer is None
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([main], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(main, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                out += chunk
            if not sent and wait_for.encode() in out:
                os.write(main, (answer or "").encode() + b"\r")
                sent = True
            if proc.poll() is not None and not ready:
                break
        code = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(main)
    return code, out.decode(errors="replace")


# -- 7: global options before or after the verb ----------------------------------------------------------------
@pytest.mark.parametrize(
    "args",
    [("envs", "--verbose"), ("envs", "-v"), ("envs", "--no-color"), ("envs", "--profile", "p1"), ("envs", "--profile=p1"),
     ("envs", "--root", str(ROOT)), ("manifest", "show", "--env", "local", "--verbose")],
    ids=lambda a: " ".join(a).replace(str(ROOT), "ROOT"),
)
def test_global_options_work_after_the_verb(args: tuple[str, ...]) -> None:
    res = run(*args)
    assert "No such option" not in res.stderr, res.stderr
    assert "Traceback" not in res.stderr
    if args[0] == "envs":
        assert res.returncode == 0, res.stderr
    else:  # a local env has no manifest: the verb itself answered (exit 2), not the option parser
        assert res.returncode == 2 and "local env" in res.stderr, res.stderr


def test_json_before_and_after_the_verb_give_the_same_document() -> None:
    after, first = run("envs", "--json"), run("--json", "envs")
    assert after.returncode == first.returncode == 0
    assert result_of(after.stdout) == result_of(first.stdout)
    verbose_after = run("manifest", "show", "--env", "local", "--json")
    assert verbose_after.returncode == 2 and error_of(verbose_after.stdout)["exit_code"] == 2


# -- 10: no stray backslashes in --help --------------------------------------------------------------------
def _verbs() -> list[tuple[str, ...]]:
    from chromactl.cli.app import app
    from typer.main import get_command

    group = get_command(app)
    out: list[tuple[str, ...]] = [()]
    for name, cmd in group.commands.items():  # type: ignore[attr-defined]
        out.append((name,))
        for sub in getattr(cmd, "commands", {}):
            out.append((name, sub))
    return out


def test_help_of_every_verb_has_no_backslash_piped() -> None:
    for verb in _verbs():
        res = run(*verb, "--help")
        assert res.returncode == 0, (verb, res.stderr)
        assert "\\" not in res.stdout, (verb, [ln for ln in res.stdout.splitlines() if "\\" in ln])


def test_help_has_no_backslash_on_a_terminal() -> None:
    code, text = run_pty("smoke", "--help")
    assert code == 0 and "[default: authorization]" in text.replace("\r", "")
    assert "\\[" not in text


# -- 12: CHROMACTL_ENV for every verb; one "don't ask"; "cancelled" ------------------------------------------
@pytest.mark.parametrize("verb", [("smoke",), ("latency",), ("load", "--collection", "vectors", "--file", "x.npy")], ids=lambda v: v[0])
def test_chromactl_env_is_read_by_the_checks(verb: tuple[str, ...]) -> None:
    res = run(*verb, env={"CHROMACTL_ENV": "no-such-env"})
    assert res.returncode == 2
    assert "no-such-env" in res.stderr, res.stderr  # the env was taken from CHROMACTL_ENV (before: "pass --env or --endpoint")
    ok = run(*verb, "--endpoint", "http://127.0.0.1:9", "--timeout", "1", env={"CHROMACTL_ENV": "no-such-env"})
    assert "no-such-env" not in ok.stderr and "exactly one" not in ok.stderr, ok.stderr  # --endpoint wins over the variable


def test_yes_is_the_dont_ask_flag_of_the_lifecycle_verbs() -> None:
    for verb in ("apply", "up", "destroy"):
        text = run(verb, "--help").stdout
        assert "--yes" in text and "-y" in text, verb
        assert "--auto-approve" not in text, verb  # still accepted, as a hidden alias


def test_declined_prompt_prints_cancelled_and_exits_1() -> None:
    # token rotate on a protected env asks for the env's name before it calls AWS
    code, text = run_pty("token", "rotate", "--env", "prod", answer="nope", wait_for="to continue")
    text = text.replace("\r", "")
    assert "Type the env's name, prod, to continue" in text, text
    assert code == 1, text
    assert "cancelled" in text and "--yes" not in text.split("to continue", 1)[1], text


def test_declined_yes_no_prompt_is_cancelled(monkeypatch: pytest.MonkeyPatch) -> None:
    from chromactl import output as output_mod
    from chromactl.errors import Cancelled

    class Tty:
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(output_mod.sys, "stdin", Tty())
    monkeypatch.setattr(output_mod, "_ask", lambda prompt: "n")
    out = output_mod.Output(color=False)
    with pytest.raises(Cancelled):
        out.confirm("Apply?")
    monkeypatch.setattr(output_mod, "_ask", lambda prompt: "y")
    assert out.confirm("Apply?") is True


# -- 13: tables survive a pipe; NO_COLOR means no escape codes ----------------------------------------------
def test_piped_table_is_tab_separated_and_never_truncated() -> None:
    res = run("envs")
    data = result_of(run("envs", "--json").stdout)["envs"]
    rows = [ln.split("\t") for ln in res.stdout.splitlines()]
    assert len(rows) == len(data) and all(len(r) == 6 for r in rows), res.stdout
    for row, env in zip(rows, data):
        assert row[0] == env["name"]
        if env["state_bucket"]:
            assert row[4] == f"{env['state_bucket']} ({env['state_region']})"  # the whole name, no ellipsis
    assert "…" not in res.stdout and ESC not in res.stdout


@pytest.mark.parametrize("how", ["NO_COLOR=1", "NO_COLOR=yes-please", "--no-color"])
def test_no_color_means_no_escape_codes_on_a_terminal(how: str) -> None:
    env = {"NO_COLOR": how.split("=", 1)[1]} if how.startswith("NO_COLOR") else {}
    args = ("envs", "--no-color") if how == "--no-color" else ("envs",)
    code, text = run_pty(*args, env=env)
    assert code == 0, text
    assert "chromactl environments" in text and "chromactl-state-prod" in text
    assert ESC not in text, repr(text[:300])


def test_colour_on_a_terminal_by_default() -> None:  # the counter-test: the pty does show styles when allowed
    code, text = run_pty("envs")
    assert code == 0 and ESC in text


# -- 14: a long step off a terminal never goes silent ----------------------------------------------------------
def test_keepalive_lines_when_nothing_else_is_said(capsys: pytest.CaptureFixture[str]) -> None:
    from chromactl.output import Output

    out = Output(color=False)
    with out.keepalive("up dev", every_s=0.2):
        time.sleep(0.9)
    quiet = capsys.readouterr().err.splitlines()
    assert len(quiet) >= 2 and all(ln.startswith("up dev: still running (") for ln in quiet), quiet
    out.err  # noqa: B018 - build the console first (importing rich takes a moment)
    with out.keepalive("up dev", every_s=2.0):
        for _ in range(9):
            out.info("applying ...")  # the step speaks for itself: no keepalive lines between
            time.sleep(0.1)
    talking = capsys.readouterr().err.splitlines()
    assert talking.count("applying ...") == 9 and not [ln for ln in talking if "still running" in ln], talking
    with Output(json=True).keepalive("up dev", every_s=0.1):
        time.sleep(0.4)
    assert capsys.readouterr().err == ""


def test_progress_lines_off_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    from chromactl.output import Output, Progress

    now = [0.0]
    with Progress(Output(color=False), "loading docs.npy", unit="vectors", every_s=10, clock=lambda: now[0]) as bar:
        for done in range(0, 60001, 1000):
            now[0] = done / 1000.0  # 1000 vectors a second: 60 s in all
            bar.update(done, 60000)
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "loading docs.npy: started"
    assert lines[1] == "loading docs.npy: 10000/60000 vectors (17 %) (10 s)"
    assert len(lines) == 1 + 6 + 1 and lines[-1] == "loading docs.npy: done: 60000/60000 vectors (100 %) (60 s)", lines


def test_design_and_readme_say_drift_is_exit_2() -> None:
    """Issue 16 item 8: `plan --check` follows Terraform's -detailed-exitcode (0 none, 2 changes, 1 error)
    (https://developer.hashicorp.com/terraform/cli/commands/plan#detailed-exitcode); the design once said drift was exit 1."""
    import re

    repo = Path(__file__).resolve().parents[2]
    for doc in ("docs/DESIGN.md", "README.md"):
        text = " ".join((repo / doc).read_text(encoding="utf-8").split())
        assert not re.search(r"\b1 (a )?check failed or drift\b", text), doc
        assert "-detailed-exitcode" in text and re.search(r"2 changes present", text), doc
