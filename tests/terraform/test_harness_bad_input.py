"""Bad input to the offline harness: one clear sentence, a non-zero exit, no traceback.

`python -m tfoffline` runs as a subprocess, the way scripts/tf-offline and
`make validate` run it; the library raises the matching ChromactlError.
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import pytest
from chromactl.errors import ChromactlError
from tfoffline import harness

REPO = harness.REPO


def tool(
    *args: str, env_extra: dict[str, str] | None = None, cwd: Path = REPO
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "tools"), str(REPO)])
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "tfoffline", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def assert_one_sentence(
    proc: subprocess.CompletedProcess[str], *fragments: str, code: int | None = None
) -> None:
    assert proc.returncode != 0
    if code is not None:
        assert proc.returncode == code
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("tfoffline: ")
    for f in fragments:
        assert f in lines[0], lines[0]


@pytest.fixture()
def tf_root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    root.mkdir()
    (root / "main.tf").write_text('resource "terraform_data" "x" {}\n')
    return root


def test_directory_without_tf_files(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("not terraform\n")
    proc = tool("run", str(tmp_path), "plan")
    assert_one_sentence(proc, "is not a Terraform root", "no *.tf file", code=2)


def test_directory_that_does_not_exist(tmp_path: Path) -> None:
    proc = tool("run", str(tmp_path / "missing"), "plan")
    assert_one_sentence(proc, "is not a directory", code=2)


def test_missing_schema(tf_root: Path, tmp_path: Path) -> None:
    proc = tool(
        "run",
        str(tf_root),
        "validate",
        env_extra={"TFOFFLINE_SCHEMA": str(tmp_path / "gone.json.gz")},
    )
    assert_one_sentence(proc, "schema", "is missing", "gen-schema", code=2)


@pytest.mark.parametrize(
    "content",
    [
        b"this is not gzip",
        gzip.compress(b"{not json"),
        gzip.compress(b'{"format_version": "1.0"}'),
        gzip.compress(b"")[:10],
    ],
    ids=["not-gzip", "not-json", "wrong-shape", "truncated"],
)
def test_corrupt_schema(tf_root: Path, tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "bad.json.gz"
    bad.write_bytes(content)
    proc = tool("run", str(tf_root), "validate", env_extra={"TFOFFLINE_SCHEMA": str(bad)})
    assert_one_sentence(proc, "schema", "is corrupt", code=2)


def test_provider_environment_missing(tf_root: Path, tmp_path: Path) -> None:
    proc = tool(
        "run", str(tf_root), "validate", env_extra={"TFOFFLINE_PYTHON": str(tmp_path / "no-python")}
    )
    assert_one_sentence(proc, "Python environment is missing", "make setup", code=2)


def test_usage_errors() -> None:
    assert_one_sentence(tool("frobnicate"), "Unknown command", code=2)
    assert_one_sentence(tool("run"), "run needs a directory", code=2)
    assert_one_sentence(tool("validate-all", "extra"), "takes no arguments", code=2)
    assert_one_sentence(tool("gen-schema", "--wheel"), "--wheel needs a value", code=2)
    assert_one_sentence(tool("gen-schema", "--wheel", "/nonexistent.whl"), "does not exist", code=2)
    proc = tool()
    assert proc.returncode == 2 and "usage:" in proc.stderr


def test_failing_init_is_reported_and_leaves_the_root_clean(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "main.tf").write_text('module "m" {\n  source = "./does-not-exist"\n}\n')
    proc = tool("run", str(root), "plan")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("tfoffline: terraform init failed in ")
    assert sorted(p.name for p in root.iterdir()) == ["main.tf"], (
        "override and lock file are removed"
    )


def test_scripts_tf_offline_runs_a_plan_and_cleans_up(tf_root: Path) -> None:
    proc = subprocess.run(
        [str(REPO / "scripts" / "tf-offline"), str(tf_root), "plan", "-no-color"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "terraform_data.x will be created" in proc.stdout
    assert sorted(p.name for p in tf_root.iterdir()) == ["main.tf"]


def test_library_errors_are_chromactl_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(harness.NotATerraformRoot) as info:
        harness.validate(tmp_path)
    assert isinstance(info.value, ChromactlError) and info.value.exit_code == 2
    with pytest.raises(harness.NotATerraformRoot):
        harness.copy_root("does/not/exist", tmp_path / "dest")
    monkeypatch.setenv("TFOFFLINE_SCHEMA", str(tmp_path / "none.json.gz"))
    with pytest.raises(harness.SchemaUnavailable) as schema_info:
        harness.check_schema()
    assert schema_info.value.message.endswith("is missing.")
