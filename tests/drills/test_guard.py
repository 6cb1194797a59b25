"""The drills' protected-env guard: the env's name, typed or --confirm-env; --yes alone never gets through."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from chromactl.config import load_env
from chromactl.drills.common import check_timeout, guard_protected
from chromactl.errors import Cancelled, UsageError
from chromactl.output import Output

from tests.drills.conftest import write_env


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def prod(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    write_env(tmp_path, "prod", protected=True)
    write_env(tmp_path, "dev", protected=False)
    (tmp_path / "terraform").mkdir()
    monkeypatch.setenv("CHROMACTL_ROOT", str(tmp_path))
    return load_env("prod")


def test_unprotected_env_needs_nothing(prod) -> None:  # type: ignore[no-untyped-def]
    guard_protected(load_env("dev"), "kill-task", Output(), yes=False, confirm_env=None)


def test_yes_alone_is_not_enough_without_a_terminal(prod, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    for yes in (False, True):
        with pytest.raises(UsageError, match="protected env prod") as err:
            guard_protected(prod, "az-loss", Output(), yes=yes, confirm_env=None)
        assert "--confirm-env prod" in (err.value.hint or "")
    with pytest.raises(UsageError, match="does not match"):
        guard_protected(prod, "az-loss", Output(), yes=True, confirm_env="staging")
    guard_protected(prod, "az-loss", Output(), yes=False, confirm_env="prod")


def test_typed_name_must_match(prod, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("sys.stdin", Tty("staging\n"))
    monkeypatch.setattr("builtins.input", lambda prompt="": "staging")
    with pytest.raises(Cancelled):  # a wrong name typed at the prompt: "cancelled", exit 1 (issue 16 item 12)
        guard_protected(prod, "restore-test", Output(), yes=True, confirm_env=None)
    monkeypatch.setattr("builtins.input", lambda prompt="": "prod")
    guard_protected(prod, "restore-test", Output(), yes=False, confirm_env=None)


@pytest.mark.parametrize("bad", [0, -5, 10**9])
def test_timeout_bounds(bad: float) -> None:
    with pytest.raises(UsageError, match="--timeout"):
        check_timeout(bad)
