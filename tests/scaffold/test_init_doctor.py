"""What `doctor` says about a freshly scaffolded env against the account (moto's server): the
zones init wrote (issue 17 review, item 4) and the pull-through cache's secret (item 6).

moto's DescribeAvailabilityZones answers like a typical account: us-west-1 has us-west-1a and
us-west-1b only, ap-northeast-1 has 1a, 1c and 1d (moto/ec2/models/availability_zones_and_regions.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.fixtures.envelope import result_of
from tests.lifecycle.conftest import run_cli
from tests.scaffold.test_init import repo  # noqa: F401 - the fixture


def _doctor(env: str) -> tuple[int, dict[str, dict[str, str]]]:
    res = run_cli("doctor", "--env", env, "--json")
    return res.code, {c["name"]: c for c in result_of(res.out)["checks"]}


@pytest.mark.usefixtures("aws_env")
def test_doctor_names_the_zones_the_account_does_not_have(repo: Path) -> None:  # noqa: F811
    assert run_cli("init", "--env", "west", "--region", "us-west-1", "--failover-region", "us-east-1").code == 0
    code, checks = _doctor("west")
    zones = checks["west: zones us-west-1"]
    assert code == 1 and zones["status"] == "fail", zones
    assert "us-west-1c is not a zone of this account in us-west-1" in zones["detail"] and "us-west-1a, us-west-1b" in zones["detail"]
    assert "aws ec2 describe-availability-zones --region us-west-1" in zones["fix"] and "azs_by_region" in zones["fix"]
    assert checks["west: zones us-east-1"]["status"] == "ok"

    assert run_cli("init", "--env", "tokyo", "--region", "ap-northeast-1", "--sandbox").code == 0
    _code, checks = _doctor("tokyo")
    assert checks["tokyo: zones ap-northeast-1"]["status"] == "fail"
    assert checks["tokyo: zones ap-northeast-1"]["detail"].startswith("ap-northeast-1b is not a zone"), checks["tokyo: zones ap-northeast-1"]

    tfvars = repo / "envs" / "tokyo" / "terraform.tfvars"
    tfvars.write_text(tfvars.read_text().replace('"ap-northeast-1b"', '"ap-northeast-1c"'))
    _code, checks = _doctor("tokyo")
    assert checks["tokyo: zones ap-northeast-1"]["status"] == "ok", checks["tokyo: zones ap-northeast-1"]


@pytest.mark.usefixtures("aws_env")
def test_init_lists_the_pull_through_cache_secret_and_doctor_checks_it_per_region(repo: Path) -> None:  # noqa: F811
    res = run_cli("init", "--env", "prod", "--region", "us-east-1", "--failover-region", "us-west-2")
    assert res.code == 0, res.err
    assert "Still to create in AWS before the first plan (2" in res.out
    assert "ecr-pullthroughcache/docker-hub in us-east-1" in res.out and "ecr-pullthroughcache/docker-hub in us-west-2" in res.out
    assert "aws secretsmanager create-secret --region us-west-2 --name ecr-pullthroughcache/docker-hub" in res.out

    code, checks = _doctor("prod")
    for region in ("us-east-1", "us-west-2"):
        check = checks[f"prod: pull-through cache secret {region}"]
        assert check["status"] == "fail" and "does not exist in " + region in check["detail"], check
        assert f"aws secretsmanager create-secret --region {region} --name ecr-pullthroughcache/docker-hub" in check["fix"]
    assert code == 1

    import boto3

    boto3.client("secretsmanager", region_name="us-east-1").create_secret(
        Name="ecr-pullthroughcache/docker-hub", SecretString='{"username":"u","accessToken":"t"}')
    _code, checks = _doctor("prod")
    assert checks["prod: pull-through cache secret us-east-1"]["status"] == "ok"
    assert checks["prod: pull-through cache secret us-west-2"]["status"] == "fail"  # one per region the env runs in


def test_a_sandbox_has_no_pull_through_cache_secret_to_create(repo: Path) -> None:  # noqa: F811
    res = run_cli("init", "--env", "dev", "--region", "us-east-1", "--sandbox", "--json")
    assert res.code == 0 and result_of(res.out)["to_create"] == []


@pytest.mark.usefixtures("aws_env")
def test_bootstrap_refuses_the_placeholder_bucket_of_a_scaffolded_env(repo: Path) -> None:  # noqa: F811
    """Issue 17 review, item 7: bootstrap created s3://chromactl-state-prod-replace-me; it now refuses the
    placeholders of chromactl.toml like up does (file:line, value), sandbox or not, and creates nothing."""
    import boto3

    from tests.lifecycle.conftest import assert_clean_error

    assert run_cli("init", "--env", "prod", "--region", "us-east-1", "--failover-region", "us-west-2", "--sandbox").code == 0
    res = run_cli("bootstrap", "--env", "prod")
    assert_clean_error(res, 2, "Refusing to bootstrap env 'prod'", "chromactl.toml:", '"chromactl-state-prod-replace-me"',
                       "sandbox or not")
    assert boto3.client("s3", region_name="us-west-2").list_buckets()["Buckets"] == []

    toml = repo / "envs" / "prod" / "chromactl.toml"
    text = "\n".join(ln for ln in toml.read_text().splitlines() if not ln.startswith("account_id"))  # moto's account is a doc id
    toml.write_text(text.replace("chromactl-state-prod-replace-me", "chromactl-state-prod-filled") + "\n")
    res = run_cli("bootstrap", "--env", "prod", "--json")  # terraform.tfvars's placeholders are not bootstrap's business
    assert res.code == 0, res.err
    assert [b["Name"] for b in boto3.client("s3", region_name="us-west-2").list_buckets()["Buckets"]] == ["chromactl-state-prod-filled"]


@pytest.mark.usefixtures("aws_env")
def test_doctor_holds_the_facts_init_writes_twice_against_each_other(repo: Path) -> None:  # noqa: F811
    """Issue 15: account, regions and SLOs are in both chromactl.toml and terraform.tfvars; init writes them
    from one place (sandbox and production alike) and doctor fails the env when the files come to disagree."""
    assert run_cli("init", "--env", "sbx", "--region", "us-east-1", "--sandbox").code == 0
    assert run_cli("init", "--env", "prd", "--region", "us-east-1", "--failover-region", "us-west-2", "--account", "210987654321").code == 0
    for env in ("sbx", "prd"):
        _code, checks = _doctor(env)
        assert checks[f"{env}: toml vs tfvars"]["status"] == "ok", checks[f"{env}: toml vs tfvars"]

    tfvars = repo / "envs" / "prd" / "terraform.tfvars"
    text, n = re.subn(r"(?m)^(latency_p95_slo_ms\s*=\s*)100$", r"\g<1>250", tfvars.read_text())
    assert n == 1, text
    tfvars.write_text(text)
    code, checks = _doctor("prd")
    line = checks["prd: toml vs tfvars"]
    assert code == 1 and line["status"] == "fail", line
    assert "SLO p95_ms: chromactl.toml says [slo] p95_ms = 100, terraform.tfvars latency_p95_slo_ms = 250" in line["detail"]
    assert "say the same" in line["fix"] and "terraform.tfvars" in line["fix"]


@pytest.mark.usefixtures("aws_env")
def test_doctor_compares_the_value_terraform_uses_from_any_tfvars_file(repo: Path) -> None:  # noqa: F811
    """Review finding 1/11: an override in another file Terraform loads (override.auto.tfvars) is what the
    providers get; doctor names it, its line, and that Terraform's value wins."""
    assert run_cli("init", "--env", "prod", "--region", "us-east-1", "--failover-region", "us-west-2", "--account", "210987654321").code == 0
    override = repo / "envs" / "prod" / "override.auto.tfvars"
    override.write_text('account_id = "123456789012"\n')
    code, checks = _doctor("prod")
    line = checks["prod: toml vs tfvars"]
    assert code == 1 and line["status"] == "fail", line
    assert "[env] account_id = 210987654321, override.auto.tfvars account_id = 123456789012" in line["detail"], line
    assert f"Terraform uses {override}:1 (it wins on every plan and apply)" in line["fix"], line
