"""Issue 16 item 16: doctor and plan agree: plan builds build/token-rotation.zip itself
(lifecycle.plan.ensure_build_artifacts), so doctor does not fail on its absence."""

from __future__ import annotations

from pathlib import Path

import pytest
from chromactl.config import load_env
from chromactl.errors import ConfigError
from chromactl.workflows.doctor import check_local_files

TOML = '[env]\nkind = "aws"\nprotected = false\n\n[regions]\nprimary = "us-east-1"\nfailover = ["us-west-2"]\n\n' \
       '[state]\nbucket = "chromactl-test-state-x"\nregion = "us-east-2"\n'


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "proj"
    (root / "terraform").mkdir(parents=True)
    env = root / "envs" / "x"
    env.mkdir(parents=True)
    (env / "chromactl.toml").write_text(TOML)
    (env / "main.tf").write_text('locals {\n  zip = "${path.module}/../../build/token-rotation.zip"\n  other = "../../build/other.bin"\n}\n')
    monkeypatch.delenv("CHROMACTL_BACKEND", raising=False)
    return root


def test_missing_rotation_zip_is_fine_when_plan_can_build_it(project: Path) -> None:
    (project / "functions" / "token_rotation").mkdir(parents=True)
    (project / "functions" / "token_rotation" / "handler.py").write_text("def handler(e, c):\n    return None\n")
    checks = {c.name: c for c in check_local_files([load_env("x", project)])}
    build = [c for c in check_local_files([load_env("x", project)]) if c.name == "x: build files"]
    assert [c.status for c in build] == ["ok", "fail"], checks  # the zip: plan builds it; another file: still missing
    assert "`chromactl plan` builds it" in build[0].detail and "build/other.bin" in build[1].detail


def test_missing_rotation_zip_fails_without_its_sources(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the installed package's own copy of the function (a checkout's functions/) would let plan build the
    # zip: make it unavailable, as in a broken install
    from chromactl.rotation import package

    def no_source() -> Path:
        raise ConfigError("The rotation function's source is missing.", "Reinstall chromactl.")

    monkeypatch.setattr(package, "source_dir", no_source)
    build = [c for c in check_local_files([load_env("x", project)]) if c.name == "x: build files"]
    assert [c.status for c in build] == ["fail"] and "build/token-rotation.zip" in build[0].detail
