"""`make release-check [TAG=vX.Y.Z]`: may this commit be released as the modules `chromactl init` pins?

A scaffolded env fetches `git::<Repository>.git//terraform/stack?ref=v<version>` (cli/chromactl/modules.py),
so a release is whole only when all of these agree (docs/release.md):

- the package version (pyproject.toml) and chromactl.__version__;
- the newest CHANGELOG.md entry (`## X.Y.Z - date`), which `doctor` quotes to older envs;
- the tag being released (TAG=, else $GITHUB_REF_NAME in a tag build, else the tag on HEAD): vX.Y.Z,
  on this commit, and its tree holds terraform/stack;
- [project.urls] Repository and the module repository chromactl scaffolds by default.

Exit 0 and one line per check when all agree; exit 1 naming each one that does not.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_NEWEST = re.compile(r"(?m)^## \[?v?(\d+\.\d+\.\d+)\]?")
_GIT_TIMEOUT_S = 30


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=_GIT_TIMEOUT_S, check=False)


def current_tag(root: Path) -> str | None:
    """The tag this run releases: $GITHUB_REF_NAME in a tag build, else the tag on HEAD."""
    if os.environ.get("GITHUB_REF_TYPE") == "tag" and os.environ.get("GITHUB_REF_NAME"):
        return os.environ["GITHUB_REF_NAME"]
    out = _git(root, "describe", "--tags", "--exact-match", "HEAD")
    return out.stdout.strip() or None if out.returncode == 0 else None


def check(root: Path, tag: str | None, package_version: str, default_repository: str) -> list[tuple[bool, str]]:
    """(ok, line) per check, for the tree at root."""
    results: list[tuple[bool, str]] = []
    pyproject = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    version = str(pyproject["project"]["version"])
    results.append((version == package_version,
                    f"pyproject.toml version {version}, chromactl.__version__ {package_version}"))
    newest = _NEWEST.search((root / "CHANGELOG.md").read_text(encoding="utf-8"))
    results.append((newest is not None and newest.group(1) == version,
                    f"CHANGELOG.md newest entry {newest.group(1) if newest else '(none)'}, version {version}"))
    repository = str(pyproject["project"].get("urls", {}).get("Repository", ""))
    results.append((f"git::{repository}.git" == default_repository,
                    f"[project.urls] Repository {repository or '(none)'}, init's default module repository {default_repository}"))
    want = f"v{version}"
    if tag is None:
        results.append((False, f"no tag to release: tag this commit {want} (or pass TAG={want})"))
        return results
    results.append((tag == want, f"tag {tag}, version {want}"))
    on_head = _git(root, "rev-parse", "--verify", "--quiet", f"refs/tags/{tag}^{{commit}}").stdout.strip()
    head = _git(root, "rev-parse", "HEAD").stdout.strip()
    results.append((bool(on_head) and on_head == head, f"tag {tag} {'is on' if on_head == head and on_head else 'is not on'} HEAD"))
    stack = _git(root, "cat-file", "-e", f"{tag}:terraform/stack/main.tf").returncode == 0 if on_head else False
    results.append((stack, f"tag {tag} {'holds' if stack else 'does not hold'} terraform/stack (what init pins)"))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tag", help="the tag being released (default: $GITHUB_REF_NAME in a tag build, else the tag on HEAD)")
    parser.add_argument("--root", type=Path, default=REPO)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(args.root / "cli"))
    from chromactl import __version__
    from chromactl.modules import DEFAULT_MODULE_REPOSITORY

    results = check(args.root, args.tag or current_tag(args.root), __version__, DEFAULT_MODULE_REPOSITORY)
    for ok, line in results:
        print(("ok   " if ok else "FAIL ") + line)
    if all(ok for ok, _ in results):
        print(f"release-check: ready; push the tag, then users' envs can fetch {DEFAULT_MODULE_REPOSITORY}//terraform/stack?ref=v{__version__}")
        return 0
    print("release-check: not ready (docs/release.md)", file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
