"""The module repository `init` pins is the project's published one, and a release is checked before
it is tagged (issue 17 review, item 5): `make release-check` (scripts/release_check.py) passes only
when version == newest CHANGELOG entry == tag, the tag is on the commit and holds terraform/stack."""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from chromactl import __version__
from chromactl.modules import DEFAULT_MODULE_REPOSITORY, PROJECT_REPOSITORY

from scripts.release_check import check

REPO = Path(__file__).resolve().parents[2]
GIT = ["git", "-c", "user.name=chromactl-test", "-c", "user.email=test@example.org", "-c", "init.defaultBranch=main"]


def test_the_default_module_repository_is_the_projects_url() -> None:
    urls = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["urls"]
    assert urls["Repository"] == PROJECT_REPOSITORY
    assert DEFAULT_MODULE_REPOSITORY == f"git::{PROJECT_REPOSITORY}.git"
    # the docs that show the source a user pins show this one, at this version
    for doc in ("README.md", "docs/terraform-only.md", "docs/release.md"):
        text = (REPO / doc).read_text()
        assert PROJECT_REPOSITORY in text, doc
    assert f"{DEFAULT_MODULE_REPOSITORY}//terraform/stack?ref=v{__version__}" in (REPO / "docs/terraform-only.md").read_text()


def _release_tree(tmp: Path, version: str, changelog_version: str) -> Path:
    root = tmp / "release"
    (root / "terraform" / "stack").mkdir(parents=True)
    shutil.copy(REPO / "terraform" / "stack" / "main.tf", root / "terraform" / "stack" / "main.tf")
    text = (REPO / "pyproject.toml").read_text().replace(f'version = "{__version__}"', f'version = "{version}"', 1)
    (root / "pyproject.toml").write_text(text)
    (root / "CHANGELOG.md").write_text(f"# Changelog\n\n## {changelog_version} - 2027-01-01\n\n- Something.\n\n## 0.0.1 - 2026-01-01\n\n- First.\n")
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "release"]):
        subprocess.run([*GIT, *args], cwd=root, check=True, capture_output=True, timeout=60)
    return root


def _failed(results: list[tuple[bool, str]]) -> list[str]:
    return [line for ok, line in results if not ok]


def test_a_consistent_tagged_release_passes(tmp_path: Path) -> None:
    root = _release_tree(tmp_path, "0.2.0", "0.2.0")
    subprocess.run([*GIT, "tag", "v0.2.0"], cwd=root, check=True, capture_output=True, timeout=60)
    assert _failed(check(root, "v0.2.0", "0.2.0", DEFAULT_MODULE_REPOSITORY)) == []


@pytest.mark.parametrize(
    ("version", "changelog", "tag", "package", "needle"),
    [
        ("0.2.0", "0.1.9", "v0.2.0", "0.2.0", "CHANGELOG.md newest entry 0.1.9"),
        ("0.2.0", "0.2.0", "v0.2.1", "0.2.0", "tag v0.2.1, version v0.2.0"),
        ("0.2.0", "0.2.0", None, "0.2.0", "no tag to release"),
        ("0.2.0", "0.2.0", "v0.2.0", "0.1.0", "chromactl.__version__ 0.1.0"),
    ],
)
def test_a_mismatch_is_named(tmp_path: Path, version: str, changelog: str, tag: str | None, package: str, needle: str) -> None:
    root = _release_tree(tmp_path, version, changelog)
    if tag is not None:
        subprocess.run([*GIT, "tag", tag], cwd=root, check=True, capture_output=True, timeout=60)
    failed = _failed(check(root, tag, package, DEFAULT_MODULE_REPOSITORY))
    assert any(needle in line for line in failed), failed


def test_a_tag_on_another_commit_or_without_the_modules_fails(tmp_path: Path) -> None:
    root = _release_tree(tmp_path, "0.2.0", "0.2.0")
    subprocess.run([*GIT, "rm", "-q", "-r", "terraform"], cwd=root, check=True, capture_output=True, timeout=60)
    subprocess.run([*GIT, "commit", "-q", "-m", "no modules"], cwd=root, check=True, capture_output=True, timeout=60)
    subprocess.run([*GIT, "tag", "v0.2.0"], cwd=root, check=True, capture_output=True, timeout=60)
    assert any("does not hold terraform/stack" in line for line in _failed(check(root, "v0.2.0", "0.2.0", DEFAULT_MODULE_REPOSITORY)))
    subprocess.run([*GIT, "commit", "-q", "--allow-empty", "-m", "later"], cwd=root, check=True, capture_output=True, timeout=60)
    assert any("is not on HEAD" in line for line in _failed(check(root, "v0.2.0", "0.2.0", DEFAULT_MODULE_REPOSITORY)))


def test_a_fork_that_changed_the_url_but_not_the_default_fails(tmp_path: Path) -> None:
    root = _release_tree(tmp_path, "0.2.0", "0.2.0")
    subprocess.run([*GIT, "tag", "v0.2.0"], cwd=root, check=True, capture_output=True, timeout=60)
    failed = _failed(check(root, "v0.2.0", "0.2.0", "git::https://git.internal.acme.test/platform/chromactl.git"))
    assert any("[project.urls] Repository" in line for line in failed), failed
