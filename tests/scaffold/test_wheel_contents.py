"""The wheel carries the product, not the test machinery (issue 15, "test machinery out of the product").

The benchmark helpers (measurements, the header every benchmark prints) and the live suite's
orchestration live in tools/chromactl_dev/, on the path that pytest (pyproject's `pythonpath`) and
the scripts set; the wheel, built from this tree with `uv build --wheel` as a release builds it,
holds none of them and no module of it imports them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from chromactl import __version__

REPO = Path(__file__).resolve().parents[2]
UV = Path(sys.executable).parent / "uv"

# what moved out (cli/chromactl/checks/bench.py, cli/chromactl/benchinfo.py, cli/chromactl/drills/live.py)
# and any later module of the same kind
HARNESS = re.compile(r"(^|/)(bench[^/]*|live|chromactl_dev|conftest|tests?)(/|\.py$)")


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    dist = tmp_path_factory.mktemp("wheel-contents")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))}
    env.update(UV_NO_PROGRESS="1", UV_PYTHON_DOWNLOADS="never")
    build = subprocess.run([str(UV), "build", "--wheel", "--out-dir", str(dist), str(REPO)], cwd=REPO, env=env,
                           capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL, check=False)
    assert build.returncode == 0, build.stderr[-3000:]
    wheels = list(dist.glob(f"chromactl-{__version__}-*.whl"))
    assert len(wheels) == 1, build.stderr[-2000:]
    with zipfile.ZipFile(wheels[0]) as zf:
        return {n: zf.read(n) for n in zf.namelist() if n.endswith(".py")}


def test_the_wheel_has_no_benchmark_or_live_harness_module(wheel_names: dict[str, bytes]) -> None:
    modules = sorted(wheel_names)
    assert "chromactl/cli/app.py" in modules and "chromactl/checks/latency.py" in modules  # the product is there
    # the rotation function's own files are bundled data (chromactl/_bundle/...), checked by their own test
    harness = [n for n in modules if HARNESS.search(n.removeprefix("chromactl/")) and "/_bundle/" not in n]
    assert harness == [], harness
    for name in ("chromactl/checks/bench.py", "chromactl/benchinfo.py", "chromactl/drills/live.py"):
        assert name not in modules, name


def test_no_module_in_the_wheel_imports_the_test_machinery(wheel_names: dict[str, bytes]) -> None:
    importing = [n for n, text in wheel_names.items()
                 if re.search(rb"^\s*(from|import)\s+(chromactl_dev|tests)\b", text, re.MULTILINE)]
    assert importing == [], importing


def test_the_moved_helpers_import_from_tools() -> None:
    # the tests and scripts that use them find them on the path pytest sets (tools/), not in the package
    from chromactl_dev import bench, benchinfo, live

    for mod in (bench, benchinfo, live):
        assert Path(mod.__file__ or "").resolve().is_relative_to(REPO / "tools" / "chromactl_dev"), mod
