"""envs/<env>/chromactl.toml load through the CLI's own loader and agree with terraform.tfvars."""

from __future__ import annotations

import re

import pytest
from chromactl.config import load_env

from tests.stack._tfplan import ENVS, REPO, tfvars

PROTECTED = {"dev": False, "staging": False, "prod": True}


@pytest.mark.parametrize("env", ENVS)
def test_chromactl_toml_matches_the_terraform_root(env: str) -> None:
    cfg = load_env(env, REPO)
    v = tfvars(env)
    assert cfg.is_aws and cfg.protected is PROTECTED[env]
    assert cfg.account_id == v["account_id"] == "123456789012"
    assert cfg.primary_region == v["region"] and cfg.failover_regions == (v["failover_region"],)
    for region in (cfg.primary_region, *cfg.failover_regions):
        assert region in v["azs_by_region"] and region in v["certificate_arns"], region
    assert cfg.state is not None and cfg.state.region not in (cfg.primary_region, *cfg.failover_regions)
    assert cfg.state_key("us-east-1") == f"chromactl/{env}/us-east-1/terraform.tfstate"
    assert cfg.slo.p95_ms == v["latency_p95_slo_ms"] and cfg.slo.p99_ms and cfg.slo.p99_ms > cfg.slo.p95_ms
    assert cfg.slo.rpo_minutes == v["rpo_minutes"]
    assert not cfg.dns.managed


@pytest.mark.parametrize("env", ENVS)
def test_placeholders_are_marked_replace(env: str) -> None:
    tfvars_text = (REPO / "envs" / env / "terraform.tfvars").read_text()
    for line in tfvars_text.splitlines():
        if re.search(r"123456789012|example\.com|203\.0\.113\.", line) and not line.lstrip().startswith("#"):
            assert "REPLACE" in line, line
    toml_text = (REPO / "envs" / env / "chromactl.toml").read_text()
    assert "REPLACE" in toml_text


def test_backend_is_partial_s3_with_lockfile() -> None:
    for env in ENVS:
        versions = (REPO / "envs" / env / "versions.tf").read_text()
        assert re.search(r'backend "s3" \{\s*use_lockfile = true\s*encrypt\s*= true\s*\}', versions), env
