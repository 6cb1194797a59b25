"""One `chromactl plan` reads the CHROMACTL_* environment variables once (chromactl/settings.py), and
a bad value is a sentence naming the variable (tests/unit/test_settings.py has the rest)."""

from __future__ import annotations

import pytest
from chromactl.settings import Settings

from tests.lifecycle.conftest import TinyProject, assert_clean_error, run_cli


def test_a_plan_reads_the_environment_once_and_refuses_a_bad_timeout(tiny_project: TinyProject,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A real `plan` through the CLI: the CHROMACTL_* variables are read once for the whole run
    (backend, engine, timeout, progress and root are each used on the way), and a bad
    CHROMACTL_TF_TIMEOUT is exit 2 with a sentence, not "unexpected ValueError" (it was raised when
    the runner module was imported)."""
    calls = []
    real = Settings.from_environ.__func__  # type: ignore[attr-defined]

    def counting(cls: type[Settings], environ: object) -> Settings:
        calls.append(1)
        return real(cls, environ)  # type: ignore[no-any-return]

    monkeypatch.setattr(Settings, "from_environ", classmethod(counting))
    res = run_cli("plan", "--env", "tiny")
    assert res.code == 0, (res.out, res.err)
    assert len(calls) == 1
    monkeypatch.setenv("CHROMACTL_TF_TIMEOUT", "abc")
    res = run_cli("plan", "--env", "tiny")
    assert_clean_error(res, 2, "CHROMACTL_TF_TIMEOUT='abc' is not a number of seconds")
    assert "unexpected" not in res.err
