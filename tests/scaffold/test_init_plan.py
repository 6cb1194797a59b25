"""A scaffolded env plans offline exactly like envs/prod: real Terraform fetches the stack module
from a pinned git ref (a local repository tagged v<version>, as a fork or mirror would be), and the
offline provider plans it. The planned resources are the same as envs/prod's."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from chromactl import __version__
from chromactl.rotation.package import build_zip
from chromactl.scaffold import InitRequest, init_env

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def tagged_module_repo(dest: Path) -> Path:
    """A git repository holding this tree's terraform/, tagged as the release `init` pins."""
    dest.mkdir(parents=True)
    shutil.copytree(REPO / "terraform", dest / "terraform", ignore=shutil.ignore_patterns(".terraform", "*.tfstate*"))
    git = ["git", "-c", "user.name=chromactl-test", "-c", "user.email=test@example.org", "-c", "init.defaultBranch=main"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "modules"], ["tag", f"v{__version__}"]):
        subprocess.run([*git, *args], cwd=dest, check=True, capture_output=True, timeout=60)
    return dest


def addresses(plan: dict[str, Any]) -> set[str]:
    return {rc["address"] for rc in plan.get("resource_changes", []) if rc.get("mode", "managed") == "managed"}


def test_scaffolded_env_plans_like_envs_prod(tmp_path: Path, tf_offline: Any, env_plan: Any) -> None:
    modules = tagged_module_repo(tmp_path / "chromactl-modules")
    infra = tmp_path / "infra"
    infra.mkdir()
    result = init_env(
        InitRequest(env="prod", region="us-east-1", failover_region="us-west-2",  # domain_name: the example's placeholder
                    module_repository=f"git::file://{modules}"),
        infra,
    )
    assert result.module_source == f"git::file://{modules}//terraform/stack?ref=v{__version__}"
    build_zip(infra / "build" / "token-rotation.zip")  # what `chromactl plan` builds before planning
    root = result.env_dir
    tf_offline.init(root)
    # Terraform fetched the module at the pinned ref, not from this checkout
    fetched = root / ".terraform" / "modules" / "stack"
    assert (fetched / "terraform" / "stack" / "main.tf").is_file() or (fetched / "main.tf").is_file()
    plan = tf_offline.plan(root)
    scaffolded, example = addresses(plan), addresses(env_plan("prod"))
    assert len(scaffolded) > 100
    assert scaffolded == example, (sorted(scaffolded - example)[:10], sorted(example - scaffolded)[:10])


@pytest.mark.parametrize("where", ["missing repository", "repository without the tag"])
def test_init_names_the_module_source_it_could_not_fetch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    """`terraform init` failing to fetch the pinned stack module says so, names the source, and hints at
    --module-source / CHROMACTL_MODULE_SOURCE (issue 17 review, item 5), instead of Terraform's first line."""
    from tfoffline import harness

    from tests.lifecycle.conftest import assert_clean_error, run_cli

    if where == "missing repository":
        repo = tmp_path / "no-such-repo"
    else:  # a mirror that exists but has not got this release's tag
        repo = tmp_path / "mirror"
        repo.mkdir()
        git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "init.defaultBranch=main"]
        (repo / "README").write_text("not the modules\n")
        for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "x"]):
            subprocess.run([*git, *args], cwd=repo, check=True, capture_output=True, timeout=60)
    infra = tmp_path / "infra"
    infra.mkdir()
    result = init_env(InitRequest(env="try", region="us-east-1", sandbox=True, module_repository=f"git::file://{repo}"), infra)
    build_zip(infra / "build" / "token-rotation.zip")
    monkeypatch.setenv("CHROMACTL_ROOT", str(infra))
    monkeypatch.setenv("CHROMACTL_BACKEND", "local")
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(harness.write_cli_config(tmp_path / "tfrc")))
    monkeypatch.setenv("NO_COLOR", "1")
    res = run_cli("plan", "--env", "try", "--sandbox")
    assert_clean_error(res, 2, "could not fetch the stack module", f"git::file://{repo}//terraform/stack?ref=v{__version__}",
                       "--module-source", "CHROMACTL_MODULE_SOURCE", str(result.env_dir / "main.tf"))


def test_a_scaffolded_sandbox_plans_with_a_warning_and_applies_only_when_filled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`init --sandbox` (issue 17 review, item 2): the env plans offline while placeholders remain, with a
    warning naming them; up refuses them, naming file:line and what to put; given --account,
    --allowed-cidr and a --certificate-arn per region, nothing is left to fill and the guard lets it through."""
    from chromactl.lifecycle.placeholders import find_placeholders, refuse_placeholders
    from tfoffline import harness

    from tests.fixtures.filled import TEST_ACCOUNT
    from tests.lifecycle.conftest import assert_clean_error, run_cli

    modules = tagged_module_repo(tmp_path / "chromactl-modules")
    infra = tmp_path / "infra"
    infra.mkdir()
    source = f"git::file://{modules}"
    init_env(InitRequest(env="try", region="us-east-1", sandbox=True, module_repository=source), infra)
    build_zip(infra / "build" / "token-rotation.zip")
    monkeypatch.setenv("CHROMACTL_ROOT", str(infra))
    monkeypatch.setenv("CHROMACTL_BACKEND", "local")
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(harness.write_cli_config(tmp_path / "tfrc")))
    monkeypatch.setenv("NO_COLOR", "1")
    res = run_cli("plan", "--env", "try")
    assert res.code == 0, res.err[-3000:]
    assert "warning: sandbox env 'try' plans with placeholder values" in res.err
    assert 'terraform.tfvars:' in res.err and '"203.0.113.0/24"' in res.err
    res = run_cli("up", "--env", "try", "--yes", "--skip-checks")
    assert_clean_error(res, 2, "Refusing to up env 'try'", "terraform.tfvars:", '"123456789012"',
                       "put your 12-digit account id", "sandbox or not")
    assert not (infra / ".chromactl" / "state" / "try" / "us-east-1" / "terraform.tfstate").exists()  # nothing applied

    certs = tuple(f"arn:aws:acm:{r}:{TEST_ACCOUNT}:certificate/1b2c3d4e-0000-4000-8000-00000000000{i}"
                  for i, r in enumerate(("us-east-1", "us-west-2")))
    filled = init_env(InitRequest(env="ready", region="us-east-1", sandbox=True, module_repository=source, account_id=TEST_ACCOUNT,
                                  allowed_cidrs=("10.8.0.0/16",), certificate_arns=certs), infra)
    assert filled.to_fill == [] and find_placeholders(filled.env_dir) == []
    refuse_placeholders("ready", filled.env_dir, "up")  # nothing left: up/apply may go ahead
    res = run_cli("plan", "--env", "ready")
    assert res.code == 0, res.err[-3000:]
    assert "placeholder" not in res.err
