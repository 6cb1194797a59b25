"""The `--json` contract (issue 15): one envelope for every verb, and each verb's result shape pinned.

- Every verb of the Typer app that takes --json has at least one pinned case in json_shapes.json, and
  every pinned case is run by a contract test (this file's CASES, or a tests/<area>/test_json_contract.py
  beside the fixtures it needs: real Terraform on the tiny project, a real Chroma, moto). A new verb with
  --json and no pinned shape fails here.
- The cases that need nothing but the repository run here: envs, size, init, drill --dry-run, and an
  error (one envelope on stdout, the sentence on stderr).
- The shape check has teeth: a renamed key fails with "bump the schema version or restore the key".
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from pathlib import Path

import click
import pytest
import typer
from chromactl.render import ENVELOPE_KEYS, SCHEMA

from tests.fixtures.envelope import envelope_of
from tests.fixtures.json_contract import (
    GOLDEN,
    check_case,
    load_golden,
    problems,
    run_json,
    shape_of,
)

ROOT = Path(__file__).resolve().parents[2]
AREAS = ("tests.lifecycle", "tests.checks", "tests.rotation", "tests.failover", "tests.day2", "tests.drills")


def json_verbs() -> set[str]:
    """Every command path of the app (groups whose callback is a verb included) that declares --json."""
    from chromactl.cli.app import app

    found: set[str] = set()

    def walk(cmd: click.Command, path: list[str]) -> None:
        if path and any("--json" in p.opts for p in cmd.params):
            found.add(" ".join(path))
        if isinstance(cmd, click.Group):
            for name, sub in cmd.commands.items():
                walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return found


def all_cases() -> dict[str, str]:
    """Case -> the test module that runs it."""
    owners: dict[str, str] = dict.fromkeys(CASES, __name__)
    for area in AREAS:
        module = importlib.import_module(f"{area}.test_json_contract")
        for case in module.CASES:
            assert case not in owners, f"case {case!r} is run twice ({owners[case]}, {module.__name__})"
            owners[case] = module.__name__
    return owners


def test_every_verb_with_json_has_a_pinned_shape_and_a_test_that_runs_it() -> None:
    golden = load_golden()
    verbs = json_verbs()
    assert {"smoke", "token rotate", "backup", "backup list", "manifest show"} <= verbs  # the walk sees groups and their verbs
    pinned = {c["verb"] for c in golden["cases"].values()}
    unpinned = sorted(verbs - pinned)
    assert not unpinned, (f"verbs with --json but no pinned JSON shape: {unpinned}. Add a case that runs each (tests/<area>/"
                          f"test_json_contract.py), record it with UPDATE_JSON_SHAPES=1 and commit {GOLDEN.name}")
    owners = all_cases()
    assert not sorted(set(golden["cases"]) - set(owners)), "pinned cases that no test runs (a stale pin)"
    assert not sorted(set(owners) - set(golden["cases"])), "cases run but not pinned: record them with UPDATE_JSON_SHAPES=1"
    assert not sorted(pinned - verbs), "pinned verbs the app no longer has"


def test_golden_file_pins_this_schema_and_the_envelope() -> None:
    golden = load_golden()
    assert golden["schema"] == SCHEMA, "bump the golden file's schema with chromactl.render.SCHEMA (and say so in CHANGELOG.md)"
    assert tuple(golden["envelope"]) == ENVELOPE_KEYS


# ------------------------------------------------------------------ cases that need only the repository


def _init(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:
    proj = tmp_path / "infra"
    proj.mkdir()
    monkeypatch.chdir(proj)
    monkeypatch.delenv("CHROMACTL_ROOT", raising=False)
    return run_json("init", "--env", "prod", "--region", "us-east-1", "--failover-region", "us-west-2")


CASES: dict[str, tuple[str, Callable[[Path, pytest.MonkeyPatch], tuple[int, str, str]], int]] = {
    "envs": ("envs", lambda tmp, mp: run_json("--root", str(ROOT), "envs"), 0),
    "size": ("size", lambda tmp, mp: run_json("size", "-n", "5000000", "-d", "1536"), 0),
    "size --memory (too small: result and error)": ("size", lambda tmp, mp: run_json("size", "-n", "5000000", "-d", "1536", "--memory", "4096"), 1),
    "init": ("init", _init, 0),
    "drill --dry-run": ("drill", lambda tmp, mp: run_json("--root", str(ROOT), "drill", "kill-task", "--env", "prod", "--dry-run"), 0),
}


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for var in ("CHROMACTL_ROOT", "CHROMACTL_ENV", "CHROMACTL_REGION", "CHROMACTL_JSON", "CHROMACTL_MODULE_SOURCE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    return monkeypatch


@pytest.mark.parametrize("case", sorted(CASES))
def test_case_shape(case: str, tmp_path: Path, clean_env: pytest.MonkeyPatch) -> None:
    verb, run, code = CASES[case]
    rc, out, err = run(tmp_path, clean_env)
    assert rc == code, (rc, out, err)
    check_case(case, verb, out, ok=code == 0)
    assert "\x1b[" not in out and "[bold]" not in out  # no markup and no escape codes on stdout under --json


def test_a_result_then_an_error_is_one_document() -> None:
    """`size --memory` too small printed its result and then its error: two JSON documents on stdout before the envelope."""
    rc, out, err = run_json("size", "-n", "5000000", "-d", "1536", "--memory", "4096")
    doc = envelope_of(out)  # json.loads refuses a second document ("Extra data")
    assert rc == 1 and doc["ok"] is False and doc["result"]["checked"]["memory_mib"] == 4096
    assert doc["error"]["exit_code"] == 1 and "cannot hold" in doc["error"]["message"]
    assert "error: " in err and "hint: " in err  # the sentence for people stays on stderr


def test_an_error_is_one_envelope_on_stdout_and_a_sentence_on_stderr(clean_env: pytest.MonkeyPatch) -> None:
    golden = load_golden()
    rc, out, err = run_json("--root", str(ROOT), "token", "rotate", "--env", "no-such-env")
    doc = envelope_of(out)
    assert rc == 2 and doc["command"] == "token rotate" and doc["ok"] is False and doc["result"] is None
    assert not problems(doc["error"], golden["error"], "error"), problems(doc["error"], golden["error"], "error")
    assert err.startswith("error: Unknown env 'no-such-env'") and "hint: " in err
    # Click refusing the command line (before any verb ran) is an envelope too
    rc, out, err = run_json("smoke", "--no-such-option")
    doc = envelope_of(out)
    assert rc == 2 and doc["command"] == "smoke" and doc["error"]["exit_code"] == 2 and "No such option" in err


def test_a_refused_command_line_carries_clicks_reason_in_the_envelope(clean_env: pytest.MonkeyPatch) -> None:
    """Before: error.message was "The command line was refused (the reason is on stderr)" for every refusal."""
    for argv, reason in ((("envs", "--bogus"), "No such option"), (("smoke", "--vectors", "abc"), "Invalid value for '--vectors'")):
        rc, out, err = run_json(*argv)
        doc = envelope_of(out)
        assert rc == 2 and doc["error"]["exit_code"] == 2 and doc["error"]["hint"]
        assert reason in doc["error"]["message"] and "on stderr" not in doc["error"]["message"]
        assert f"Error: {doc['error']['message']}" in err  # the same sentence Click put on stderr, which stays as it was


def test_help_and_version_print_no_envelope() -> None:
    rc, out, _ = run_json("--help")
    assert rc == 0 and out.startswith("Usage: chromactl")
    rc, out, _ = run_json("--version")
    assert rc == 0 and out.startswith("chromactl ")


def test_global_json_from_the_environment_gives_the_same_envelope(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.fixtures.json_contract import run_json as run

    monkeypatch.setenv("CHROMACTL_JSON", "1")
    rc, out, _ = run("size", "-n", "1000", "-d", "8")
    doc = envelope_of(out)
    assert rc == 0 and doc["ok"] is True and doc["command"] == "size"


# ------------------------------------------------------------------ the checker itself


def test_a_renamed_key_fails_with_the_fix_named() -> None:
    pinned = {"ok": "bool", "steps": [{"name": "str", "seconds": "number"}], "target": {"url": "str"}}
    same = {"ok": True, "steps": [{"name": "heartbeat", "seconds": 0.1}], "target": {"url": "http://x"}}
    assert problems(same, pinned) == []
    renamed = {"ok": True, "steps": [{"step": "heartbeat", "seconds": 0.1}], "target": {"url": "http://x"}}
    found = problems(renamed, pinned)
    assert any("result.steps[0].name: pinned key missing" in p and "bump the schema version" in p and "restore the key" in p for p in found), found
    assert any("result.steps[0].step: new key" in p for p in found), found
    retyped = {"ok": "yes", "steps": [], "target": {"url": "http://x"}}
    assert problems(retyped, pinned) == ["result.ok: was str, pinned as bool (a type change: bump the schema version, or restore the type)"]


def test_a_renamed_key_in_a_real_verb_fails_the_contract(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pinned `size` case against a run whose result lost a key (as a rename in sizing.to_dict would)."""
    from chromactl import sizing

    real = sizing.Pick.to_dict

    def renamed(self: sizing.Pick) -> dict[str, object]:
        data = dict(real(self))
        data["mem_mib"] = data.pop("memory_mib")
        return data

    monkeypatch.setattr(sizing.Pick, "to_dict", renamed)
    monkeypatch.delenv("UPDATE_JSON_SHAPES", raising=False)
    _, out, _ = run_json("size", "-n", "5000000", "-d", "1536")
    with pytest.raises(AssertionError, match=r"(?s)Bump the schema version or restore the key.*result\.memory_mib: pinned key missing"):
        check_case("size", "size", out)


def test_shape_of_merges_list_elements_and_records_unions() -> None:
    value = [{"a": 1, "b": None}, {"a": 2.5, "b": "x", "c": True}]
    assert shape_of(value) == [{"a": "number", "b": "null|str", "c?": "bool"}]
    assert json.loads(json.dumps(shape_of({"x": []}))) == {"x": []}


def test_list_elements_with_different_keys_pin_the_optional_ones() -> None:
    value = [{"step": "a", "modelled": "x"}, {"step": "b"}]
    shape = shape_of(value)
    assert shape == [{"modelled?": "str", "step": "str"}]
    assert problems(value, shape) == [] and problems([{"step": "c"}], shape) == []
    assert problems([{"modelled": "x"}], shape) == [
        ("result[0].step: pinned key missing (renamed or removed: bump the schema version in chromactl.render.SCHEMA "
         "and json_shapes.json, or restore the key)")]
