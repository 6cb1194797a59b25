"""chromactl installed as a tool from a built wheel, used from an empty directory with no checkout.

The wheel is built from this tree (`uv build --wheel`), installed with `uv tool install` into a
private tool directory (dependencies held to requirements/dev.lock), and run with a PATH that
has no terraform on it, so the bundled engine from the wheel's own environment plans. From an
empty directory: `--version`, `init --sandbox`, `envs`, `bootstrap` and `doctor` against moto's
server, and an offline `plan` of the scaffolded env, whose stack module Terraform fetches from
a git repository at the pinned ref. Then the same tool from a git URL (`git+file://`).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from chromactl import __version__
from chromactl.rotation.package import build_zip

from tests.fixtures.envelope import result_of
from tests.scaffold.test_init_plan import tagged_module_repo

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
UV = Path(sys.executable).parent / "uv"
harness = pytest.importorskip("tfoffline.harness")


def _uv_cache_dir() -> str:
    out = subprocess.run([str(UV), "cache", "dir"], capture_output=True, text=True, timeout=30, check=True)
    return out.stdout.strip()


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, check=False)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The built wheel installed as a uv tool; returns its bin dir, tool dir and the env to run it with."""
    tmp = tmp_path_factory.mktemp("wheel")
    dist = tmp / "dist"
    # The machine's environment (certificates, package index settings), less anything that would
    # point the tool at this checkout, its virtual environment or a Terraform of ours.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CHROMACTL_", "TF_", "VIRTUAL_ENV", "PYTHON", "UV_", "AWS_"))}
    env.update({
        "PATH": f"{tmp / 'bin'}:/usr/bin:/bin",  # no /usr/local/bin: no system terraform, no checkout venv
        "HOME": str(tmp / "home"),
        "UV_CACHE_DIR": _uv_cache_dir(),
        "UV_TOOL_DIR": str(tmp / "tools"),
        "UV_TOOL_BIN_DIR": str(tmp / "bin"),
        "UV_NO_PROGRESS": "1",
        "UV_PYTHON_DOWNLOADS": "never",
        "NO_COLOR": "1",
    })
    (tmp / "home").mkdir()
    build = _run([str(UV), "build", "--wheel", "--out-dir", str(dist), str(REPO)], REPO, env)
    assert build.returncode == 0, build.stderr[-3000:]
    wheels = list(dist.glob(f"chromactl-{__version__}-*.whl"))
    assert len(wheels) == 1, build.stderr[-2000:]
    python = getattr(sys, "_base_executable", sys.executable)
    inst = _run([str(UV), "tool", "install", "--python", python, "--constraints", str(REPO / "requirements" / "dev.lock"),
                 str(wheels[0])], tmp, env)
    assert inst.returncode == 0, inst.stderr[-3000:]
    assert (tmp / "bin" / "chromactl").is_file()
    return {"tmp": tmp, "env": env, "bin": tmp / "bin", "wheel": wheels[0]}


def test_wheel_carries_what_chromactl_reads_at_run_time(installed: dict[str, Any]) -> None:
    import zipfile

    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    for name in ("chromactl/_bundle/functions/token_rotation/handler.py", "chromactl/_bundle/envs/_root/main.tf",
                 "chromactl/_bundle/envs/_root/variables.tf", "chromactl/_bundle/envs/dev/terraform.tfvars",
                 "chromactl/_bundle/envs/prod/terraform.tfvars", "chromactl/_bundle/CHANGELOG.md"):
        assert name in names, name
    assert not any(n.startswith(("tests/", "chromactl/tests")) for n in names)


def test_installed_tool_from_an_empty_directory(installed: dict[str, Any], aws_env: Any, tmp_path: Path) -> None:
    env = dict(installed["env"])
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION",
                "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_ENDPOINT_URL"):
        env[key] = os.environ[key]
    chromactl = str(installed["bin"] / "chromactl")
    work = tmp_path / "my-infra"
    work.mkdir()

    version = _run([chromactl, "--version"], work, env)
    assert version.returncode == 0, version.stderr
    assert f"chromactl {__version__}" in version.stdout and f"v{__version__}" in version.stdout

    # the tool runs from its own installation, not from this checkout
    tool_python = next((Path(env["UV_TOOL_DIR"]) / "chromactl" / "bin").glob("python"))
    where = _run([str(tool_python), "-c", "import chromactl.resources as r; print(r.is_installed_wheel(), r.PACKAGE_DIR)"], work, env)
    assert where.returncode == 0 and where.stdout.startswith("True "), where.stderr
    assert str(REPO) not in where.stdout

    modules = tagged_module_repo(tmp_path / "chromactl-modules")
    init = _run([chromactl, "init", "--env", "prod", "--region", "us-east-1", "--failover-region", "us-west-2",
                 "--sandbox", "--module-source", f"git::file://{modules}", "--json"], work, env)
    assert init.returncode == 0, init.stderr
    wrote = result_of(init.stdout)["wrote"]
    assert "envs/prod/main.tf" in wrote and "envs/prod/chromactl.toml" in wrote and ".gitignore" in wrote

    envs = _run([chromactl, "envs", "--json"], work, env)
    assert envs.returncode == 0, envs.stderr
    assert [e["name"] for e in result_of(envs.stdout)["envs"]] == ["local", "prod"]  # local: built in (review finding 2)

    boot = _run([chromactl, "bootstrap", "--env", "prod", "--json"], work, env, timeout=120)
    assert boot.returncode == 2 and "chromactl-state-prod-replace-me" in boot.stderr, boot.stderr  # a placeholder bucket: refused
    toml = work / "envs" / "prod" / "chromactl.toml"  # filled as a user would (moto's account is a doc id: no account_id)
    text = "\n".join(ln for ln in toml.read_text().splitlines() if not ln.startswith("account_id"))
    toml.write_text(text.replace("chromactl-state-prod-replace-me", "chromactl-state-prod-wheel") + "\n")
    boot = _run([chromactl, "bootstrap", "--env", "prod", "--json"], work, env, timeout=120)
    assert boot.returncode == 0, boot.stderr
    doctor = _run([chromactl, "doctor", "--env", "prod", "--json"], work, env, timeout=120)
    assert "Traceback" not in doctor.stderr
    checks = {c["name"]: c for c in result_of(doctor.stdout)["checks"]}
    assert checks["prod: placeholders"]["status"] == "warn"  # what is still to fill in, by file:line
    assert "terraform.tfvars:" in checks["prod: placeholders"]["detail"]
    assert checks["prod: stack module"]["status"] == "ok" and f"v{__version__}" in checks["prod: stack module"]["detail"]
    assert checks["prod: build files"]["status"] == "ok"
    assert checks["terraform"]["status"] == "ok" and "bundled" in checks["terraform"]["detail"]
    failing = [c for c in checks.values() if c["status"] == "fail"]
    assert failing == [], failing

    env["TF_CLI_CONFIG_FILE"] = str(harness.write_cli_config(tmp_path / "tfrc"))
    env["CHROMACTL_BACKEND"] = "local"
    plan = _run([chromactl, "plan", "--env", "prod", "--json"], work, env, timeout=900)
    assert plan.returncode == 0, plan.stderr[-3000:]
    totals = result_of(plan.stdout)["summary"]["totals"]
    assert totals["create"] > 90 and totals["delete"] == 0
    # the plan built the Lambda zip from the wheel's copy of the function: the same bytes as from this checkout
    built = work / "build" / "token-rotation.zip"
    assert built.read_bytes() == build_zip(tmp_path / "ref.zip").read_bytes()


def test_installed_from_a_git_url(installed: dict[str, Any], tmp_path: Path) -> None:
    env = dict(installed["env"])
    python = getattr(sys, "_base_executable", sys.executable)
    inst = _run([str(UV), "tool", "install", "--reinstall", "--python", python, "--constraints",
                 str(REPO / "requirements" / "dev.lock"), f"git+file://{REPO}"], tmp_path, env)
    assert inst.returncode == 0, inst.stderr[-3000:]
    version = _run([str(installed["bin"] / "chromactl"), "--version"], tmp_path, env)
    assert version.returncode == 0 and f"chromactl {__version__}" in version.stdout, version.stderr
