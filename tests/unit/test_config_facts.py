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


# Review finding 1: the value compared is the one Terraform will use - every tfvars file it loads by itself, in its
# precedence (terraform.tfvars, terraform.tfvars.json, *.auto.tfvars(.json) in lexical order, a later one winning:
# https://developer.hashicorp.com/terraform/language/values/variables#variable-definition-precedence), and the
# variable's default in variables.tf when no file sets it.


def copy_env_with_variables(tmp_path: Path) -> Path:
    env_dir = copy_env(tmp_path)
    shutil.copy2(REPO / "envs" / "prod" / "variables.tf", env_dir / "variables.tf")  # the link's target, as Terraform reads it
    return env_dir


def test_an_override_in_another_auto_tfvars_file_is_what_is_compared(tmp_path: Path) -> None:
    env_dir = copy_env_with_variables(tmp_path)
    (env_dir / "override.auto.tfvars").write_text('# set by hand\naccount_id = "210987654321"\n')
    status, detail, fix = facts_check(load_env("prod", tmp_path))
    assert status == "fail"
    assert "account: chromactl.toml says [env] account_id = 123456789012, override.auto.tfvars account_id = 210987654321" in detail
    assert f"Terraform uses {env_dir / 'override.auto.tfvars'}:2 (it wins" in fix, fix


def test_terraform_tfvars_json_wins_over_terraform_tfvars(tmp_path: Path) -> None:
    env_dir = copy_env_with_variables(tmp_path)
    (env_dir / "terraform.tfvars.json").write_text(json.dumps({"latency_p95_slo_ms": 300}))
    (found,) = disagreements(load_env("prod", tmp_path))
    assert (found.fact, found.tfvars, found.where.path.name, found.where.line) == (
        "SLO p95_ms", "latency_p95_slo_ms = 300", "terraform.tfvars.json", 1)


def test_auto_files_apply_in_lexical_order_the_last_one_winning(tmp_path: Path) -> None:
    env_dir = copy_env_with_variables(tmp_path)
    (env_dir / "a.auto.tfvars").write_text("rpo_minutes = 60\n")
    (env_dir / "b.auto.tfvars.json").write_text(json.dumps({"rpo_minutes": 15}))
    assert disagreements(load_env("prod", tmp_path)) == []  # b wins with the toml's 15
    (env_dir / "c.auto.tfvars").write_text("rpo_minutes = 45\n")
    (found,) = disagreements(load_env("prod", tmp_path))
    assert found.where.path.name == "c.auto.tfvars" and found.tfvars == "rpo_minutes = 45"


def test_a_fact_no_tfvars_file_sets_is_compared_with_the_variables_default(tmp_path: Path) -> None:
    env_dir = copy_env_with_variables(tmp_path)
    edit(env_dir / "terraform.tfvars", "rpo_minutes                        = 15\n", "")
    edit(env_dir / "chromactl.toml", "rpo_minutes = 15", "rpo_minutes = 60")
    status, detail, fix = facts_check(load_env("prod", tmp_path))
    assert status == "fail"
    assert "SLO rpo_minutes: chromactl.toml says [slo] rpo_minutes = 60, variables.tf default rpo_minutes = 15" in detail
    line = next(n for n, text in enumerate((env_dir / "variables.tf").read_text().splitlines(), 1) if "default     = 15" in text)
    assert f"the default in {env_dir / 'variables.tf'}:{line} (no tfvars file sets it)" in fix, fix


def test_a_key_inside_another_inputs_map_is_not_the_input(tmp_path: Path) -> None:
    env_dir = copy_env_with_variables(tmp_path)
    (env_dir / "tags.auto.tfvars").write_text('extra_tags = {\n  account_id = "999999999999"\n}\n')
    assert disagreements(load_env("prod", tmp_path)) == []


# Review finding 11: the hint names the file and line of the value Terraform uses and which side wins.


def test_the_hint_says_the_toml_wins_for_regions_and_terraform_for_the_rest(tmp_path: Path) -> None:
    env_dir = copy_env_with_variables(tmp_path)
    edit(env_dir / "terraform.tfvars", 'region          = "us-east-1"', 'region          = "us-east-2"')
    edit(env_dir / "terraform.tfvars", "latency_p95_slo_ms                 = 100", "latency_p95_slo_ms                 = 250")
    loaded = load_env("prod", tmp_path)
    _status, _detail, fix = facts_check(loaded)
    tfvars = env_dir / "terraform.tfvars"
    assert (f"primary region: chromactl passes {loaded.config_path}'s value with -var, so it wins on chromactl's runs; "
            f"a plain `terraform plan` uses {tfvars}:10") in fix, fix
    assert f"SLO p95_ms: Terraform uses {tfvars}:67 (it wins on every plan and apply)" in fix, fix
