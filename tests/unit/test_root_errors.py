"""Review finding 13: a project root without envs/ is named the way the user gave it (--root or
CHROMACTL_ROOT), and the hint says what a chromactl project is (a checkout or a repository made by init)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lifecycle.conftest import assert_clean_error, run_cli

PROJECT = "a chromactl project (a checkout or your own repository made by chromactl init)"


@pytest.fixture(autouse=True)
def _no_root_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHROMACTL_ROOT", raising=False)


def test_root_option_without_envs_names_the_option(tmp_path: Path) -> None:
    res = run_cli("envs", "--root", str(tmp_path))
    assert_clean_error(res, 2, f"--root {tmp_path} has no envs/ directory", f"Point --root at {PROJECT}")
    assert "CHROMACTL_ROOT" not in res.err


def test_root_variable_without_envs_names_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHROMACTL_ROOT", str(tmp_path))
    res = run_cli("envs")
    assert_clean_error(res, 2, f"CHROMACTL_ROOT={tmp_path} has no envs/ directory", f"Point CHROMACTL_ROOT at {PROJECT}")


def test_outside_any_project_an_editable_install_does_not_fall_back_to_its_checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Review finding 14: chromactl (installed editable from this checkout) run from a folder outside any
    project listed the checkout's envs as the user's; now it says no project is here, and how to name one."""
    import chromactl

    checkout = Path(chromactl.__file__).resolve().parents[2]
    assert (checkout / "envs").is_dir()  # the checkout the old fallback found
    monkeypatch.chdir(tmp_path)
    res = run_cli("envs")
    assert_clean_error(res, 2, "No chromactl project found here", "--root")
    assert "prod" not in res.out
