"""One "don't ask" policy for every verb that changes an env (issue 16 item 12, issue 15).

The policy (cli/chromactl/lifecycle/guard.py): `--yes` skips y/N questions; a protected env
additionally needs its name, typed at a terminal or given as `--confirm-env NAME`; with no
terminal and no name: exit 2 naming the flag; a `--confirm-env` naming another env: exit 2; a
wrong name typed or a "no": "cancelled", exit 1. Nothing is changed on any refusal.

One table over the verbs, driven in-process like the rest of the suite. apply, up and destroy
run real Terraform on the tiny project (built-in resources, local state), so "nothing changed"
and "went ahead" are read from the state. failover, drill and token rotate need AWS after their
guard: the first call after it (the journal's S3 mirror, the stack read, the secret lookup) is
replaced by one that records that the guard let the run through and stops it there.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from chromactl.errors import OperationFailed

from tests.lifecycle.conftest import TinyProject, run_cli

PAST_GUARD = "reached the step after the guard"


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def run_at_terminal(monkeypatch: pytest.MonkeyPatch, typed: str, *args: str) -> tuple[int, str]:
    """chromactl in this process with stdin a terminal; every prompt is answered `typed`."""
    from chromactl.cli.app import main

    monkeypatch.setattr("builtins.input", lambda prompt="": typed)
    out, err = io.StringIO(), io.StringIO()
    old = sys.stdin
    sys.stdin = _Tty(typed + "\n")
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = main(list(args))
    finally:
        sys.stdin = old
    return code, out.getvalue() + err.getvalue()


def resources(p: TinyProject, env: str = "tinyprod") -> list[str]:
    path = p.state(env)
    if not path.exists():
        return []
    return sorted(f"{r['type']}.{r['name']}:{len(r['instances'])}" for r in json.loads(path.read_text()).get("resources", []))


def serial(p: TinyProject, env: str = "tinyprod") -> int | None:
    path = p.state(env)
    return json.loads(path.read_text())["serial"] if path.exists() else None


def _applied(p: TinyProject, env: str) -> None:
    assert run_cli("up", "--env", env, "--yes", "--skip-checks", "--confirm-env", env).code == 0


def _replace_pending(p: TinyProject, env: str) -> None:
    _applied(p, env)
    p.set_tfvar(env, 'size = "small"\ngeneration = 7\n')  # the disk is replaced: a protected change


def _saved_replace_plan(p: TinyProject, env: str) -> None:
    _replace_pending(p, env)
    assert run_cli("plan", "--env", env).code == 0


def _stop_after_guard(monkeypatch: pytest.MonkeyPatch, target: str) -> Callable[[], bool]:
    reached: list[bool] = []

    def stop(*_a: Any, **_k: Any) -> Any:
        reached.append(True)
        raise OperationFailed(PAST_GUARD + ".", "test")

    monkeypatch.setattr(target, stop)
    return lambda: bool(reached)


@dataclass(frozen=True)
class Verb:
    name: str
    argv: tuple[str, ...]  # without --env
    setup: Callable[[TinyProject, str], None] | None = None  # Terraform verbs: make the guarded change pending
    after_guard: str | None = None  # AWS verbs: the first call after the guard
    went_ahead: Callable[[TinyProject, dict[str, Any]], bool] | None = None  # Terraform verbs: read from the state


def _state_changed(p: TinyProject, before: dict[str, Any]) -> bool:
    return serial(p) != before["serial"]


VERBS = [
    Verb("apply", ("apply",), setup=_saved_replace_plan, went_ahead=_state_changed),
    Verb("up", ("up", "--skip-checks"), setup=_replace_pending, went_ahead=_state_changed),
    Verb("destroy", ("destroy",), setup=_applied, went_ahead=lambda p, _b: resources(p) == []),
    Verb("failover", ("failover", "--region", "us-west-2"), after_guard="chromactl.failover.core.JournalMirror"),
    Verb("drill", ("drill", "kill-task"), after_guard="chromactl.drills.core.read_stack"),
    Verb("token rotate", ("token", "rotate"), after_guard="chromactl.rotation.token.resolve_secret_id"),
]


@pytest.mark.parametrize("verb", VERBS, ids=lambda v: v.name)
def test_protected_env_needs_its_name_and_yes_alone_never_does(tiny_project: TinyProject, monkeypatch: pytest.MonkeyPatch,
                                                               verb: Verb) -> None:
    p = tiny_project
    if verb.setup:
        verb.setup(p, "tinyprod")
    reached = _stop_after_guard(monkeypatch, verb.after_guard) if verb.after_guard else (lambda: False)
    before = {"serial": serial(p), "resources": resources(p)}
    argv = (*verb.argv, "--env", "tinyprod")

    def unchanged() -> None:
        assert not reached() and serial(p) == before["serial"] and resources(p) == before["resources"]

    # no terminal: --yes alone is refused, exit 2, naming the flag (and so is nothing at all)
    for yes in (("--yes",), ()):
        res = run_cli(*argv, *yes)
        assert res.code == 2, (verb.name, res.err)
        assert "protected env tinyprod" in res.err and "--confirm-env tinyprod" in res.err, res.err
        assert "--yes alone is not enough" in res.err and "Traceback" not in res.err
        unchanged()
    # the old alias of --yes is no different
    if verb.name in ("apply", "up", "destroy"):
        assert run_cli(*argv, "--auto-approve").code == 2
        unchanged()

    # --confirm-env naming another env: exit 2
    res = run_cli(*argv, "--yes", "--confirm-env", "tiny")
    assert res.code == 2 and "does not match the env name 'tinyprod'" in res.err, res.err
    unchanged()

    # at a terminal, a wrong name typed: cancelled, exit 1, no flag advice; the prompt names the env
    code, text = run_at_terminal(monkeypatch, "tiny", *argv, "--yes")
    assert code == 1 and text.rstrip().endswith("cancelled"), (verb.name, text)
    assert "Type the env's name, tinyprod, to continue" in text and "hint:" not in text
    unchanged()
    if verb.name == "destroy":  # a cancelled destroy leaves no ready-to-run destroy plan behind
        assert not (p.env_dir("tinyprod") / ".chromactl" / "plans" / "us-east-1.destroy.tfplan").exists()

    # the name given: the verb goes ahead (no --yes needed: the name is the stronger answer)
    res = run_cli(*argv, "--confirm-env", "tinyprod")
    if verb.after_guard:
        assert res.code == 1 and PAST_GUARD in res.err and reached(), res.err
    else:
        assert res.code == 0, res.err
        assert verb.went_ahead is not None and verb.went_ahead(p, before)


@pytest.mark.parametrize("verb", [v for v in VERBS if v.after_guard], ids=lambda v: v.name)
def test_unprotected_env_verbs_without_a_question_go_ahead(tiny_project: TinyProject, monkeypatch: pytest.MonkeyPatch,
                                                           verb: Verb) -> None:
    reached = _stop_after_guard(monkeypatch, str(verb.after_guard))
    res = run_cli(*verb.argv, "--env", "tiny")
    assert res.code == 1 and PAST_GUARD in res.err and reached(), res.err


def _local_project(root: Path) -> Path:
    from chromactl.local import datadir

    from tests.fixtures.servers import free_port

    (root / "envs" / "local").mkdir(parents=True, exist_ok=True)
    (root / "envs" / "local" / "chromactl.toml").write_text(
        f'[env]\nkind = "local"\n[local]\nport = {free_port()}\ndata_dir = ".chromactl/local"\n'
    )
    ddir = root / ".chromactl" / "local"
    datadir.prepare(ddir, root, root / "envs/local/chromactl.toml", "local")
    (ddir / "chroma.sqlite3").write_bytes(b"x" * 512)
    return ddir


YES_NO = [
    ("apply", ("apply", "--env", "tiny"), "Not applied: tiny/us-east-1 needs a yes"),
    ("destroy", ("destroy", "--env", "tiny"), "Not applied: tiny/us-east-1 needs a yes"),
    ("destroy --delete-data", ("destroy", "--env", "local", "--delete-data"), "Refusing to delete"),
]


@pytest.mark.parametrize("name, argv, refusal", YES_NO, ids=[r[0] for r in YES_NO])
def test_unprotected_env_yes_no_question(tiny_project: TinyProject, monkeypatch: pytest.MonkeyPatch,
                                         name: str, argv: tuple[str, ...], refusal: str) -> None:
    p = tiny_project
    ddir = _local_project(p.root)
    if name == "apply":
        assert run_cli("plan", "--env", "tiny").code == 0
    elif name == "destroy":
        _applied(p, "tiny")

    def changed() -> bool:
        return not ddir.exists() if "--delete-data" in argv else serial(p, "tiny") != before

    before = serial(p, "tiny")
    res = run_cli(*argv)  # no terminal, no --yes: exit 2 naming --yes
    assert res.code == 2 and refusal in res.err and "--yes" in res.err, res.err
    assert not changed()
    code, text = run_at_terminal(monkeypatch, "n", *argv)  # "no": cancelled, exit 1, no advice
    assert code == 1 and text.rstrip().endswith("cancelled") and "--yes" not in text, text
    assert not changed()
    res = run_cli(*argv, "--yes")
    assert res.code == 0, res.err
    assert changed()
