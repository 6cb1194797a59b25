"""The lifecycle with real Terraform on a tiny project (built-in resources, local state).

Proves: the local-backend switch keeps one state per env/region; plan saves a
plan with a sidecar and a summary; --check exit codes (terraform -detailed-exitcode: 0 none, 2 changes, 1 error);
apply applies the saved plan only; output hides sensitive values; a
protected env refuses deletes/replaces and destroy without the typed name
(and changes nothing); --confirm-env works; a plan file from another env is
refused; a held state lock names `terraform force-unlock`; a stale plan gets
one sentence.
"""

from __future__ import annotations

import fcntl
import json
import os

import pytest

from tests.fixtures.envelope import error_of, result_of
from tests.lifecycle.conftest import TinyProject, assert_clean_error, run_cli


def state_resources(path) -> list[str]:
    data = json.loads(path.read_text())
    return sorted(f"{r['type']}.{r['name']}" for r in data.get("resources", []))


def test_plan_apply_output_check_destroy(tiny_project: TinyProject) -> None:
    p = tiny_project
    res = run_cli("plan", "--env", "tiny", "--json")
    assert res.code == 0, res.err
    data = result_of(res.out)
    assert data["changes"] is True and data["summary"]["totals"]["create"] == 2
    plan = p.env_dir("tiny") / ".chromactl" / "plans" / "us-east-1.tfplan"
    assert plan.is_file() and (plan.parent / "us-east-1.tfplan.json").is_file()
    sidecar = json.loads((plan.parent / "us-east-1.tfplan.json").read_text())
    assert sidecar["env"] == "tiny" and sidecar["region"] == "us-east-1"
    assert sidecar["state_key"] == "chromactl/tiny/us-east-1/terraform.tfstate"
    # the backend override exists only because CHROMACTL_BACKEND=local
    assert (p.env_dir("tiny") / "chromactl_backend_override.tf").is_file()
    # a per-region data dir
    assert (p.env_dir("tiny") / ".terraform" / "us-east-1" / "terraform.tfstate").is_file()

    res = run_cli("apply", "--env", "tiny", "--auto-approve", "--json")
    assert res.code == 0, res.err
    assert state_resources(p.state("tiny")) == ["terraform_data.disk", "terraform_data.svc"]
    assert not plan.exists(), "a plan is single-use"

    res = run_cli("output", "--env", "tiny", "--json")
    assert res.code == 0, res.err
    outs = result_of(res.out)
    assert outs["endpoint_url"] == "https://chroma-small.us-east-1.example.com"
    assert outs["token_secret_arn"] == "(sensitive)"

    res = run_cli("output", "endpoint_url", "--env", "tiny")
    assert res.code == 0 and "https://chroma-small.us-east-1.example.com" in res.out

    res = run_cli("plan", "--env", "tiny", "--check")
    assert res.code == 0, res.err
    assert "No changes" in res.out

    p.set_tfvar("tiny", 'size = "large"\n')
    res = run_cli("plan", "--env", "tiny", "--check", "--json")
    assert res.code == 2, res.err  # terraform -detailed-exitcode: 2 = changes present
    assert result_of(res.out)["summary"]["totals"]["update"] == 1

    # apply never plans again: a plan made before a further change is what gets applied
    res = run_cli("apply", "--env", "tiny", "--auto-approve")
    assert res.code == 0, res.err
    res = run_cli("output", "endpoint_url", "--env", "tiny", "--json")
    assert result_of(res.out)["endpoint_url"].startswith("https://chroma-large.")

    # another region: its own state, the first untouched
    res = run_cli("plan", "--env", "tiny", "--region", "us-west-2", "--json")
    assert res.code == 0 and result_of(res.out)["summary"]["totals"]["create"] == 2
    assert not p.state("tiny", "us-west-2").exists() or state_resources(p.state("tiny", "us-west-2")) == []

    res = run_cli("destroy", "--env", "tiny", "--auto-approve", "--json")
    assert res.code == 0, res.err
    assert state_resources(p.state("tiny")) == []
    assert result_of(res.out)["destroyed"] == 2


def test_backend_override_removed_when_switch_off(tiny_project: TinyProject, monkeypatch: pytest.MonkeyPatch) -> None:
    from chromactl.config import load_env
    from chromactl.terraform.backend import OVERRIDE_NAME, compute_backend, sync_override

    env = load_env("tiny")
    sync_override(env, compute_backend(env, "us-east-1"))
    assert (env.dir / OVERRIDE_NAME).is_file()
    monkeypatch.setenv("CHROMACTL_BACKEND", "s3")
    backend = compute_backend(env, "us-east-1")
    assert backend.config == {
        "bucket": "chromactl-test-state-tiny",
        "region": "us-east-2",
        "key": "chromactl/tiny/us-east-1/terraform.tfstate",
        "use_lockfile": "true",
        "encrypt": "true",
    }
    sync_override(env, backend)
    assert not (env.dir / OVERRIDE_NAME).exists()
    monkeypatch.setenv("CHROMACTL_BACKEND", "gcs")
    res = run_cli("plan", "--env", "tiny")
    assert_clean_error(res, 2, "CHROMACTL_BACKEND")


def test_protected_env_refuses_without_typed_name(tiny_project: TinyProject) -> None:
    p = tiny_project
    assert run_cli("up", "--env", "tinyprod", "--auto-approve", "--skip-checks").code == 0  # creates only: allowed
    before = p.state("tinyprod").read_text()

    # a replacement on a protected env: --auto-approve is not enough, no tty -> refuse, nothing changed
    p.set_tfvar("tinyprod", 'size = "small"\ngeneration = 2\n')
    res = run_cli("up", "--env", "tinyprod", "--auto-approve", "--skip-checks")
    assert_clean_error(res, 2, "protected", "tinyprod", "Nothing was changed")
    assert json.loads(p.state("tinyprod").read_text())["serial"] == json.loads(before)["serial"]

    # destroy: refused without the name, state intact, no destroy plan left behind
    res = run_cli("destroy", "--env", "tinyprod", "--auto-approve")
    assert_clean_error(res, 2, "protected")
    assert state_resources(p.state("tinyprod")) == ["terraform_data.disk", "terraform_data.svc"]
    assert not (p.env_dir("tinyprod") / ".chromactl" / "plans" / "us-east-1.destroy.tfplan").exists()

    res = run_cli("destroy", "--env", "tinyprod", "--auto-approve", "--confirm-env", "tiny")
    assert_clean_error(res, 2, "does not match")
    assert state_resources(p.state("tinyprod")) == ["terraform_data.disk", "terraform_data.svc"]

    res = run_cli("destroy", "--env", "tinyprod", "--confirm-env", "tinyprod")
    assert res.code == 0, res.err
    assert state_resources(p.state("tinyprod")) == []


def test_protected_prompt_accepts_typed_name(tiny_project: TinyProject, monkeypatch: pytest.MonkeyPatch) -> None:
    from chromactl.output import Output

    asked: list[str] = []

    def typed(self: Output, prompt: str, expected: str) -> bool:
        asked.append(prompt)
        return expected == "tinyprod"

    monkeypatch.setattr(Output, "confirm_text", typed)
    assert run_cli("up", "--env", "tinyprod", "--auto-approve", "--skip-checks").code == 0
    assert asked == []  # creates only: no name needed
    tiny_project.set_tfvar("tinyprod", 'size = "small"\ngeneration = 3\n')
    res = run_cli("up", "--env", "tinyprod", "--auto-approve", "--skip-checks")
    assert res.code == 0, res.err
    assert len(asked) == 1 and "terraform_data.disk" in asked[0]


def test_non_protected_without_auto_approve_and_no_tty_refuses(tiny_project: TinyProject) -> None:
    assert run_cli("plan", "--env", "tiny").code == 0
    res = run_cli("apply", "--env", "tiny")
    assert_clean_error(res, 2, "--yes")  # the one don't-ask flag (--auto-approve is its hidden alias)
    assert not tiny_project.state("tiny").exists() or state_resources(tiny_project.state("tiny")) == []
    # the plan is kept, so it can still be applied
    assert run_cli("apply", "--env", "tiny", "--auto-approve").code == 0


def test_plan_file_from_another_env_or_region_is_refused(tiny_project: TinyProject, tmp_path) -> None:
    res = run_cli("plan", "--env", "tinyprod", "--out", str(tmp_path / "prod.tfplan"))
    assert res.code == 0, res.err
    res = run_cli("apply", "--env", "tiny", "--plan", str(tmp_path / "prod.tfplan"), "--auto-approve")
    assert_clean_error(res, 2, "made for env tinyprod")
    res = run_cli("apply", "--env", "tinyprod", "--region", "us-west-2", "--plan", str(tmp_path / "prod.tfplan"), "--auto-approve")
    assert_clean_error(res, 2, "not for tinyprod in us-west-2")
    # no sidecar: refused, nothing applied
    (tmp_path / "prod.tfplan.json").unlink()
    res = run_cli("apply", "--env", "tinyprod", "--plan", str(tmp_path / "prod.tfplan"), "--auto-approve")
    assert_clean_error(res, 2, "sidecar")
    # no saved plan at all
    res = run_cli("apply", "--env", "tiny", "--auto-approve")
    assert_clean_error(res, 2, "no saved plan")
    assert not tiny_project.state("tinyprod").exists()


def test_stale_plan_is_one_sentence(tiny_project: TinyProject, tmp_path) -> None:
    import shutil as sh

    assert run_cli("plan", "--env", "tiny").code == 0
    plan = tiny_project.env_dir("tiny") / ".chromactl" / "plans" / "us-east-1.tfplan"
    sh.copy(plan, tmp_path / "old.tfplan")
    sh.copy(plan.with_name(plan.name + ".json"), tmp_path / "old.tfplan.json")
    assert run_cli("apply", "--env", "tiny", "--auto-approve").code == 0
    res = run_cli("apply", "--env", "tiny", "--plan", str(tmp_path / "old.tfplan"), "--auto-approve")
    assert_clean_error(res, 1, "stale")
    assert not (tmp_path / "old.tfplan").exists()


def test_held_lock_names_force_unlock(tiny_project: TinyProject) -> None:
    assert run_cli("up", "--env", "tiny", "--auto-approve", "--skip-checks").code == 0
    state = tiny_project.state("tiny")
    info = state.parent / ".terraform.tfstate.lock.info"
    info.write_text(json.dumps({"ID": "1b2c3d4e-lock", "Operation": "OperationTypeApply", "Who": "alice@ci", "Version": "1.11.4", "Created": "2026-11-25T00:00:00Z", "Path": str(state)}))
    fd = os.open(state, os.O_RDWR)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        tiny_project.set_tfvar("tiny", 'size = "medium"\n')
        res = run_cli("plan", "--env", "tiny")
        assert_clean_error(res, 1, "locked", "force-unlock", "1b2c3d4e-lock")
        assert not (tiny_project.env_dir("tiny") / ".chromactl" / "plans" / "us-east-1.tfplan").exists()
    finally:
        fcntl.lockf(fd, fcntl.LOCK_UN)
        os.close(fd)
        info.unlink(missing_ok=True)
    assert run_cli("plan", "--env", "tiny", "--check").code == 2  # works again once the lock is gone (2: changes)


def test_apply_region_contract_for_failover(tiny_project: TinyProject) -> None:
    """apply_region: init, plan with extra vars, guard, apply, outputs; protected replacements need allow_protected_changes."""
    from chromactl.config import load_env
    from chromactl.errors import UsageError
    from chromactl.lifecycle.apply import apply_region
    from chromactl.output import Output

    out = Output(json=True)
    outputs = apply_region(load_env("tiny"), "us-west-2", extra_vars={"size": "xl"}, output=out, auto_approve=True)
    assert outputs["endpoint_url"] == "https://chroma-xl.us-west-2.example.com"
    assert outputs["token_secret_arn"].startswith("arn:aws:secretsmanager:us-west-2:")
    assert state_resources(tiny_project.state("tiny", "us-west-2")) == ["terraform_data.disk", "terraform_data.svc"]
    assert not tiny_project.state("tiny").exists(), "the primary's state is untouched"

    prod = load_env("tinyprod")
    apply_region(prod, "us-east-1", extra_vars=None, output=out, auto_approve=True)
    with pytest.raises(UsageError, match="protected"):
        apply_region(prod, "us-east-1", extra_vars={"generation": "5"}, output=out, auto_approve=True)
    outputs = apply_region(prod, "us-east-1", extra_vars={"generation": "5"}, output=out, auto_approve=True, allow_protected_changes=True)
    assert outputs["endpoint_url"].startswith("https://chroma-small.")


def test_env_vars_verbose_and_completion(tiny_project: TinyProject, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHROMACTL_ENV", "tiny")
    monkeypatch.setenv("CHROMACTL_REGION", "us-west-2")
    res = run_cli("--verbose", "plan")
    assert res.code == 0, res.err
    assert "plan tiny/us-west-2" in res.out
    assert "TF_DATA_DIR=" in res.err and "/.terraform/us-west-2" in res.err and " plan -input=false -json" in res.err
    assert "-var=region=us-west-2" in res.err and "-var=failover_region=us-east-1" in res.err
    monkeypatch.setenv("CHROMACTL_JSON", "1")
    res = run_cli("output")
    assert res.code == 1 and error_of(res.out)["exit_code"] == 1  # not applied there yet: a sentence, as JSON too
    monkeypatch.delenv("CHROMACTL_JSON")
    res = run_cli("--show-completion", "bash")
    assert res.code == 0 and "complete" in res.out.lower()


def _run_at_terminal(args: list[str], typed: str) -> tuple[int, str]:
    """Run chromactl with a pseudo-terminal as stdin and type `typed`."""
    import subprocess
    import sys

    master, slave = os.openpty()
    try:
        proc = subprocess.Popen([sys.executable, "-m", "chromactl.cli.app", *args], stdin=slave, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, env=dict(os.environ))
        os.close(slave)
        os.write(master, typed.encode() + b"\n")
        out, _ = proc.communicate(timeout=120)
    finally:
        os.close(master)
    return proc.returncode, out


def test_protected_destroy_at_a_terminal(tiny_project: TinyProject) -> None:
    assert run_cli("up", "--env", "tinyprod", "--auto-approve", "--skip-checks").code == 0
    code, out = _run_at_terminal(["destroy", "--env", "tinyprod"], "tiny")  # the wrong name
    assert code == 1 and "cancelled" in out and "Traceback" not in out  # issue 16 item 12: cancelled, exit 1
    assert "Type the env's name, tinyprod, to continue" in out
    assert state_resources(tiny_project.state("tinyprod")) == ["terraform_data.disk", "terraform_data.svc"]
    code, out = _run_at_terminal(["destroy", "--env", "tinyprod"], "tinyprod")
    assert code == 0, out
    assert "protected env" in out and "terraform_data.disk" in out
    assert state_resources(tiny_project.state("tinyprod")) == []


def test_init_runs_only_when_something_changed(tiny_project: TinyProject) -> None:
    def inits(*extra: str) -> int:
        res = run_cli("--verbose", "plan", "--env", "tiny", *extra)
        assert res.code == 0, res.err
        return sum(1 for line in res.err.splitlines() if line.startswith("$ ") and "terraform init -input=false" in line)

    assert inits() == 1
    assert inits() == 0, "nothing changed: no init (it would cost every plan a second Terraform run)"
    main = tiny_project.env_dir("tiny") / "main.tf"
    main.write_text(main.read_text() + "\n# a comment changes the fingerprint\n")
    assert inits() == 1
    assert inits() == 0
    assert inits("--reinit") == 1


def test_changed_backend_is_reinitialised_with_reconfigure(tiny_project: TinyProject) -> None:
    """The data dir recorded another backend (e.g. another bucket): init -reconfigure, never a state migration."""
    assert run_cli("plan", "--env", "tiny").code == 0
    recorded = tiny_project.env_dir("tiny") / ".terraform" / "us-east-1" / "terraform.tfstate"
    data = json.loads(recorded.read_text())
    data["backend"]["config"]["path"] = str(tiny_project.root / "elsewhere.tfstate")
    recorded.write_text(json.dumps(data))
    res = run_cli("--verbose", "plan", "--env", "tiny")
    assert res.code == 0, res.err
    assert "re-initialising with -reconfigure" in res.err
    assert any(line.startswith("$ ") and "init" in line and "-reconfigure" in line for line in res.err.splitlines())
    assert json.loads(recorded.read_text())["backend"]["config"]["path"] == str(tiny_project.state("tiny"))
    assert not (tiny_project.root / "elsewhere.tfstate").exists()


def test_yes_no_question_at_a_terminal(tiny_project: TinyProject) -> None:
    assert run_cli("plan", "--env", "tiny").code == 0
    code, out = _run_at_terminal(["apply", "--env", "tiny"], "n")
    assert code == 1 and out.rstrip().endswith("cancelled") and "--yes" not in out  # issue 16 item 12
    assert (tiny_project.env_dir("tiny") / ".chromactl" / "plans" / "us-east-1.tfplan").is_file(), "a declined plan is kept"
    code, out = _run_at_terminal(["apply", "--env", "tiny"], "y")
    assert code == 0, out
    assert "2 to create" in out and state_resources(tiny_project.state("tiny")) == ["terraform_data.disk", "terraform_data.svc"]


def test_diff_shows_terraforms_own_diff(tiny_project: TinyProject) -> None:
    res = run_cli("plan", "--env", "tiny", "--diff")
    assert res.code == 0, res.err
    assert "terraform_data.svc will be created" in res.out and '"small"' in res.out
    res = run_cli("up", "--env", "tiny", "--diff", "--auto-approve", "--skip-checks")
    assert res.code == 0 and "terraform_data.disk will be created" in res.err
