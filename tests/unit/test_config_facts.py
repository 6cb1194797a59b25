"""Issue 15: the facts chromactl.toml and terraform.tfvars both state (account, regions, SLOs) are held
against each other (chromactl.config_facts, one line of `chromactl doctor`). The envs as committed agree;
each disagreement is named with both files' values, on real copies of envs/prod edited one fact at a time."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from chromactl.config import load_env
from chromactl.config_facts import disagreements, facts_check

REPO = Path(__file__).resolve().parents[2]


def copy_env(tmp_path: Path, env: str = "prod") -> Path:
    dest = tmp_path / "envs" / env
    dest.mkdir(parents=True)
    for name in ("chromactl.toml", "terraform.tfvars"):
        shutil.copy2(REPO / "envs" / env / name, dest / name)
    return dest


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, (path, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_the_committed_envs_agree(env: str) -> None:
    loaded = load_env(env, REPO)
    assert disagreements(loaded) == []
    status, detail, fix = facts_check(loaded)
    assert (status, fix) == ("ok", "") and "agree" in detail


# (file, old text, new text) -> the words the failed line must carry
CASES = {
    "account in the tfvars": (
        "terraform.tfvars", 'account_id = "123456789012"', 'account_id = "210987654321"',
        ["account: chromactl.toml says [env] account_id = 123456789012, terraform.tfvars account_id = 210987654321"]),
    "account in the toml": (
        "chromactl.toml", 'account_id = "123456789012"', 'account_id = "210987654321"',
        ["account: chromactl.toml says [env] account_id = 210987654321, terraform.tfvars account_id = 123456789012"]),
    "primary region": (
        "terraform.tfvars", 'region          = "us-east-1"', 'region          = "us-east-2"',
        ["primary region: chromactl.toml says [regions] primary = us-east-1, terraform.tfvars region = us-east-2"]),
    "failover region": (
        "chromactl.toml", 'failover = ["us-west-2"]', 'failover = ["eu-west-1"]',
        ["failover region: chromactl.toml says [regions] failover starts with eu-west-1, terraform.tfvars failover_region = us-west-2",
         "azs_by_region has no entry for eu-west-1", "certificate_arns has no entry for eu-west-1"]),
    "p95 slo": (
        "chromactl.toml", "p95_ms = 100", "p95_ms = 80",
        ["SLO p95_ms: chromactl.toml says [slo] p95_ms = 80, terraform.tfvars latency_p95_slo_ms = 100"]),
    "rpo": (
        "terraform.tfvars", "rpo_minutes                        = 15", "rpo_minutes                        = 60",
        ["SLO rpo_minutes: chromactl.toml says [slo] rpo_minutes = 15, terraform.tfvars rpo_minutes = 60"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_disagreement_is_a_failed_line_that_names_both_values(case: str, tmp_path: Path) -> None:
    file, old, new, words = CASES[case]
    env_dir = copy_env(tmp_path)
    loaded = load_env("prod", tmp_path)
    assert facts_check(loaded)[0] == "ok"  # the copy agrees before the edit
    edit(env_dir / file, old, new)
    status, detail, fix = facts_check(load_env("prod", tmp_path))
    assert status == "fail"
    for w in words:
        assert w in detail, detail
    assert str(env_dir / "terraform.tfvars") in fix and str(env_dir / "chromactl.toml") in fix


def test_the_auto_tfvars_json_wins_over_the_tfvars_as_in_terraform(tmp_path: Path) -> None:
    # Terraform loads chromactl.auto.tfvars.json after terraform.tfvars: its value is the one the plan uses.
    env_dir = copy_env(tmp_path)
    (env_dir / "chromactl.auto.tfvars.json").write_text(json.dumps({"rpo_minutes": 60}))
    (found,) = disagreements(load_env("prod", tmp_path))
    assert found.fact == "SLO rpo_minutes" and found.tfvars == "rpo_minutes = 60"


def test_a_fact_one_file_leaves_unset_is_not_compared(tmp_path: Path) -> None:
    env_dir = copy_env(tmp_path)
    edit(env_dir / "chromactl.toml", 'account_id = "123456789012" # REPLACE with your AWS account ID (same as terraform.tfvars)\n', "")
    edit(env_dir / "terraform.tfvars", 'region          = "us-east-1"\n', "")
    assert disagreements(load_env("prod", tmp_path)) == []
