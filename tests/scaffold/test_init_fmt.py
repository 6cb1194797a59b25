"""What `chromactl init` writes is `terraform fmt`-clean, in every variant (issue 17 review, item 1).

A user repository that runs the fmt pre-commit hook (docs/ci.md, .pre-commit-config.yaml) must pass
its first commit: `terraform fmt -check` (the engine chromactl resolves, as the hook's would) finds
nothing to change in the env folder, whatever the flags gave values to and whichever example
(sandbox or production) the env started from.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from chromactl.scaffold import InitRequest, init_env
from chromactl.terraform.engine import resolve

ACCOUNT = "000000000000"  # not a documentation account id (init refuses those), and no real account
CERTS = (f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/1b2c3d4e-0000-4000-8000-000000000001",
         f"arn:aws:acm:eu-west-1:{ACCOUNT}:certificate/1b2c3d4e-0000-4000-8000-000000000002")

VARIANTS = {
    "production, defaults": InitRequest(env="prod", region="us-east-1"),
    "production, everything given": InitRequest(
        env="prod", region="us-east-1", failover_region="eu-west-1", account_id=ACCOUNT,
        domain="chroma.internal.acme.test", allowed_cidrs=("10.8.0.0/16", "198.18.7.1/32"), certificate_arns=CERTS),
    "sandbox, defaults": InitRequest(env="try", region="us-east-1", sandbox=True),
    "sandbox, long region names": InitRequest(env="try", region="ap-southeast-2", failover_region="ap-southeast-4",
                                              sandbox=True, account_id=ACCOUNT),
    "sandbox, everything given": InitRequest(
        env="try", region="us-east-1", failover_region="eu-west-1", account_id=ACCOUNT, domain="chroma.acme.test",
        sandbox=True, allowed_cidrs=("10.8.0.0/16",), certificate_arns=CERTS),
}


def fmt_check(dirs: Path) -> subprocess.CompletedProcess[str]:
    engine = resolve()
    env = {**os.environ, "CHECKPOINT_DISABLE": "1", "TF_CLI_CONFIG_FILE": os.devnull}
    return subprocess.run([*engine.argv, "fmt", "-check", "-diff", "-recursive", str(dirs)],
                          capture_output=True, text=True, timeout=120, check=False, env=env)


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_every_variant_is_fmt_clean(tmp_path: Path, variant: str) -> None:
    result = init_env(VARIANTS[variant], tmp_path)
    assert result.warnings == []
    check = fmt_check(tmp_path / "envs")
    assert check.returncode == 0, check.stdout + check.stderr
    tfvars = (result.env_dir / "terraform.tfvars").read_text()
    # the values chromactl put in are there, aligned as fmt wants them (the ones it used to leave ragged)
    assert f'env        = "{result.env}"' in tfvars
    assert "region          = " in tfvars and "failover_region = " in tfvars


def test_an_unformattable_engine_is_a_warning_not_a_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHROMACTL_TERRAFORM", str(tmp_path / "no-such-terraform"))
    result = init_env(InitRequest(env="prod", region="us-east-1"), tmp_path / "repo")
    assert (result.env_dir / "terraform.tfvars").is_file()
    assert len(result.warnings) == 1 and "terraform fmt" in result.warnings[0], result.warnings
