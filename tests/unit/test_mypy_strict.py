"""Issue 15: types are checked in `make lint` and in `make test`, strictly on the core packages.

`make test` runs this file: mypy over the same paths `make lint` checks (read from the Makefile, so the
two cannot drift), and the per-module override in pyproject.toml carries every flag `mypy --strict`
turns on (read from mypy's own --help, so a mypy that adds a flag to --strict fails here until it is
listed) for the packages the restructure created.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "cli" / "chromactl"
# Set in [tool.mypy] itself: mypy accepts these only in the global section.
GLOBAL_ONLY = {"warn_redundant_casts", "warn_unused_configs"}


def _strict_flags() -> set[str]:
    out = subprocess.run([sys.executable, "-m", "mypy", "--help"], check=True, capture_output=True, text=True, timeout=120).stdout
    text = " ".join(out.split())
    listed = re.search(r"--strict Strict mode; enables the following flags: (.*?)(?: --[a-z-]+ [A-Z]| --[a-z-]+ {2})", text)
    assert listed, "mypy --help no longer describes --strict's flags"
    flags = {f.strip().lstrip("-").replace("- ", "-") for f in listed.group(1).split(",")}
    return {f.replace("-", "_") for f in flags}


def _config() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["mypy"]


def _strict_override() -> dict:
    overrides = [o for o in _config().get("overrides", []) if "chromactl.workflows.*" in o.get("module", [])]
    assert len(overrides) == 1, "pyproject.toml needs one [[tool.mypy.overrides]] for the core packages"
    return overrides[0]


def test_the_core_packages_get_every_strict_flag() -> None:
    flags = _strict_flags()
    assert {"disallow_untyped_defs", "warn_return_any", "strict_equality"} <= flags, flags
    override, config = _strict_override(), _config()
    missing = sorted(f for f in flags - GLOBAL_ONLY if override.get(f) is not True)
    assert not missing, f"the core packages' mypy override lacks --strict's {missing}"
    assert all(config.get(f) is True for f in flags & GLOBAL_ONLY), "warn_redundant_casts belongs in [tool.mypy]"


def test_every_new_core_package_is_under_the_strict_override() -> None:
    modules = set(_strict_override()["module"])
    for pkg in ("stack", "workflows"):
        assert (PACKAGE / pkg / "__init__.py").is_file()
        assert f"chromactl.{pkg}.*" in modules
    for mod in ("poll", "render", "errors", "config", "output"):
        assert (PACKAGE / f"{mod}.py").is_file() and f"chromactl.{mod}" in modules


def test_mypy_passes_on_what_make_lint_checks() -> None:
    makefile = (REPO / "Makefile").read_text()
    runs = re.findall(r"^\t\$\(VENV\)/bin/mypy (.+)$", makefile, flags=re.MULTILINE)
    assert runs, "make lint no longer runs mypy"
    for args in runs:
        done = subprocess.run([sys.executable, "-m", "mypy", *args.split()], cwd=REPO, capture_output=True, text=True,
                              timeout=600, check=False)
        assert done.returncode == 0, f"mypy {args}:\n{done.stdout[-4000:]}{done.stderr[-2000:]}"
