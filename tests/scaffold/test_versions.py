"""The package version, the module ref `init` pins, the changelog and `--version` agree; an env that
pins an older (or newer) module than the tool is told so by doctor, with what changed."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from chromactl import __version__
from chromactl.modules import changelog_between, module_ref, parse_version, pin_status, stack_source
from chromactl.workflows.doctor import check_module_pin

from tests.lifecycle.conftest import run_cli

REPO = Path(__file__).resolve().parents[2]


def test_package_version_ref_and_changelog_agree() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert pyproject["project"]["version"] == __version__
    assert module_ref() == f"v{__version__}"
    assert stack_source("git::https://example.org/x.git").endswith(f"//terraform/stack?ref=v{__version__}")
    changelog = (REPO / "CHANGELOG.md").read_text()
    newest = re.search(r"(?m)^## \[?v?(\d+\.\d+\.\d+)", changelog)
    assert newest is not None and newest.group(1) == __version__, "CHANGELOG.md's newest entry must be this version"
    res = run_cli("--version")
    assert res.code == 0 and f"chromactl {__version__}" in res.out and f"v{__version__}" in res.out


CHANGELOG = """# Changelog

## 0.3.0 - 2027-02-01

- The ALB accepts two tokens during a rotation.
- New input: grace_period_minutes.

## 0.2.0 - 2027-01-01

- Health-check grace sized from expected_vectors.

## 0.1.0 - 2026-12-01

- First release.
"""


def test_changelog_between_quotes_the_versions_in_between() -> None:
    assert changelog_between(CHANGELOG, (0, 1, 0), (0, 3, 0)) == [
        "0.3.0: The ALB accepts two tokens during a rotation.; New input: grace_period_minutes.",
        "0.2.0: Health-check grace sized from expected_vectors.",
    ]
    assert changelog_between(CHANGELOG, (0, 3, 0), (0, 3, 0)) == []
    assert parse_version("v1.2.3") == (1, 2, 3) and parse_version("main") is None


def _env_with_ref(tmp_path: Path, ref: str | None) -> Path:
    env_dir = tmp_path / "envs" / "prod"
    env_dir.mkdir(parents=True)
    source = "../../terraform/stack" if ref is None else f"git::https://example.org/chromactl.git//terraform/stack?ref={ref}"
    (env_dir / "main.tf").write_text(
        'provider "aws" {\n  region = var.region\n}\n\nmodule "stack" {\n'
        f'  source = "{source}"\n  env    = var.env\n}}\n'
    )
    return env_dir


def _bump(version: str, minor: int) -> str:
    major, mnr, _patch = (int(x) for x in version.split("."))
    return f"{major}.{max(mnr + minor, 0)}.0"


def test_pin_status_current_local_and_unversioned(tmp_path: Path) -> None:
    assert pin_status(_env_with_ref(tmp_path / "a", f"v{__version__}")).state == "current"  # type: ignore[union-attr]
    assert pin_status(_env_with_ref(tmp_path / "b", None)).state == "local"  # type: ignore[union-attr]
    assert pin_status(_env_with_ref(tmp_path / "c", "main")).state == "unversioned"  # type: ignore[union-attr]
    assert pin_status(tmp_path) is None  # no main.tf: nothing to say


def test_older_pin_with_a_given_changelog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from chromactl import modules

    monkeypatch.setattr(modules, "__version__", "0.3.0")
    env_dir = _env_with_ref(tmp_path, "v0.1.0")
    status = modules.pin_status(env_dir, CHANGELOG)
    assert status is not None and status.state == "older"
    assert "older than chromactl 0.3.0" in status.message and "?ref=v0.3.0" in status.message
    assert [c.split(":")[0] for c in status.changes] == ["0.3.0", "0.2.0"]


def test_newer_pin_says_upgrade_the_tool(tmp_path: Path) -> None:
    env_dir = _env_with_ref(tmp_path, f"v{_bump(__version__, 5)}")
    status = pin_status(env_dir)
    assert status is not None and status.state == "newer" and "upgrade chromactl" in status.message


def test_doctor_line_for_the_pin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from chromactl import modules

    class Env:
        name = "prod"
        dir = _env_with_ref(tmp_path, "v0.1.0")

    monkeypatch.setattr(modules, "__version__", "0.3.0")
    check = check_module_pin(Env())
    assert check is not None and check.status == "warn" and "older than chromactl 0.3.0" in check.detail
    assert "What changed since" in check.fix
    local = type("E", (), {"name": "dev", "dir": _env_with_ref(tmp_path / "l", None)})()
    assert check_module_pin(local) is None  # the examples in a checkout call ../../terraform/stack
    monkeypatch.setattr(modules, "__version__", "0.1.0")
    assert check_module_pin(Env()).status == "ok"  # type: ignore[union-attr]


def test_plan_warns_about_an_older_pin_before_terraform_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chromactl import modules

    proj = tmp_path / "infra"
    proj.mkdir()
    monkeypatch.chdir(proj)
    for var in ("CHROMACTL_ROOT", "CHROMACTL_ENV", "CHROMACTL_MODULE_SOURCE"):
        monkeypatch.delenv(var, raising=False)
    missing = tmp_path / "no-such-repo"
    assert run_cli("init", "--env", "dev", "--region", "us-east-1", "--sandbox",
                   "--module-source", f"git::file://{missing}").code == 0
    monkeypatch.setattr(modules, "__version__", "9.0.0")  # the tool moved on; the env still pins this version
    monkeypatch.setenv("CHROMACTL_BACKEND", "local")
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(tmp_path / "none.tfrc"))
    res = run_cli("plan", "--env", "dev")
    assert res.code != 0  # the module repository does not exist: Terraform's init fails
    assert f"pins stack module v{__version__}, older than chromactl 9.0.0" in res.err
    assert res.err.index("older than chromactl") < res.err.index("error:")
    assert modules.pin_warning(proj / "envs" / "dev") is not None
    monkeypatch.setattr(modules, "__version__", __version__)
    assert modules.pin_warning(proj / "envs" / "dev") is None
