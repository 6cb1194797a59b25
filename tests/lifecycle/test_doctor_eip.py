"""`doctor`: the Elastic IPs the envs' NAT gateways need against the region's quota (issue 12, item 10).

The shipped envs in one account and region: prod 3 (a NAT gateway per AZ), staging
2, dev 1 (single NAT gateway) = 6, over the default quota of 5. EC2 addresses
are moto's (DescribeAddresses, with tags); Service Quotas is a botocore Stubber
on the real API model, because moto 5.2.5 answers GetServiceQuota only for the
`vpc` service code (checked: moto/servicequotas/models.py), not for
ec2/L-0263D0A3.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
FAILOVER = "us-west-2"


@pytest.fixture
def three_envs(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "terraform").mkdir(parents=True)
    for env in ("dev", "staging", "prod"):
        d = root / "envs" / env
        d.mkdir(parents=True)
        for name in ("terraform.tfvars", "chromactl.toml"):
            shutil.copy(REPO / "envs" / env / name, d / name)
    return root


def _factory(quota: float | None, failover_quota: float = 5.0) -> tuple[Any, Any]:
    import boto3
    from botocore.stub import Stubber
    from chromactl.aws.session import ClientFactory

    west = boto3.client("service-quotas", region_name=FAILOVER)  # the envs' failover region: rebuilds land there
    west_stub = Stubber(west)
    west_stub.add_response("get_service_quota", {"Quota": {"ServiceCode": "ec2", "QuotaCode": "L-0263D0A3", "QuotaName": "EC2-VPC Elastic IPs",
                                                           "Value": failover_quota}}, {"ServiceCode": "ec2", "QuotaCode": "L-0263D0A3"})
    west_stub.activate()
    sq = boto3.client("service-quotas", region_name=REGION)
    stub = Stubber(sq)
    wanted = {"ServiceCode": "ec2", "QuotaCode": "L-0263D0A3"}
    if quota is None:  # never raised for this account: the applied quota is not found, AWS's default applies
        stub.add_client_error("get_service_quota", "NoSuchResourceException", "The request failed because the quota does not exist.",
                              400, expected_params=wanted)
        stub.add_response("get_aws_default_service_quota",
                          {"Quota": {"ServiceCode": "ec2", "QuotaCode": "L-0263D0A3", "QuotaName": "EC2-VPC Elastic IPs", "Value": 5.0}}, wanted)
    else:
        stub.add_response("get_service_quota",
                          {"Quota": {"ServiceCode": "ec2", "QuotaCode": "L-0263D0A3", "QuotaName": "EC2-VPC Elastic IPs", "Value": quota}}, wanted)
    stub.activate()
    return ClientFactory(overrides={("service-quotas", REGION): sq, ("service-quotas", FAILOVER): west}), stub


def _eip_check(root: Path, factory: Any, region: str = REGION) -> dict[str, str]:
    from chromactl.workflows.doctor import run_doctor

    checks = {c.name: c.to_dict() for c in run_doctor(None, factory, root=root)}
    return checks[f"elastic IPs {region}"]


def _allocate(n: int, tags: dict[str, str] | None = None) -> None:
    import boto3

    ec2 = boto3.client("ec2", region_name=REGION)
    for _ in range(n):
        spec = [{"ResourceType": "elastic-ip", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}] if tags else []
        ec2.allocate_address(Domain="vpc", TagSpecifications=spec)


def test_the_shipped_envs_need_six_and_the_default_quota_is_five(three_envs: Path, aws_env: Any) -> None:
    factory, stub = _factory(None)
    check = _eip_check(three_envs, factory)
    stub.assert_no_pending_responses()
    assert check["status"] == "fail"
    assert check["detail"].startswith("6 needed by these envs' NAT gateways (dev 1, prod 3, staging 2) + 0 held by other resources = 6 of 5")
    assert "AWS default quota L-0263D0A3" in check["detail"]
    assert "--quota-code L-0263D0A3 --desired-value 6 --region us-east-1" in check["fix"] and "single_nat_gateway = true" in check["fix"]


def test_addresses_of_the_envs_own_stacks_are_not_counted_twice(three_envs: Path, aws_env: Any) -> None:
    _allocate(3, {"Project": "chromactl", "Env": "prod"})  # prod is applied: its NAT addresses are part of its need
    _allocate(2, {"Project": "other"})
    factory, stub = _factory(10.0)
    check = _eip_check(three_envs, factory)
    stub.assert_no_pending_responses()
    assert check["status"] == "ok", check
    assert "6 needed" in check["detail"] and "+ 2 held by other resources = 8 of 10 (applied quota" in check["detail"]
    assert "3 already held by these stacks" in check["detail"]


def test_other_addresses_can_push_the_region_over(three_envs: Path, aws_env: Any) -> None:
    _allocate(2)
    factory, stub = _factory(7.0)
    check = _eip_check(three_envs, factory)
    stub.assert_no_pending_responses()
    assert check["status"] == "fail" and "= 8 of 7" in check["detail"] and "--desired-value 8" in check["fix"]


def test_a_failover_rebuild_of_every_env_would_not_fit_in_the_failover_region(three_envs: Path, aws_env: Any) -> None:
    factory, _ = _factory(10.0)
    check = _eip_check(three_envs, factory, FAILOVER)
    assert check["status"] == "warn", check  # nothing runs there yet: a warning, not a failure
    assert "a failover rebuild here (dev 1, prod 3, staging 2) would need 6" in check["detail"] and "= 0 of 5" in check["detail"]
    assert f"--desired-value 6 --region {FAILOVER}" in check["fix"]
    factory, _ = _factory(10.0, failover_quota=6.0)
    assert _eip_check(three_envs, factory, FAILOVER)["status"] == "ok"


def test_nat_gateways_needed_reads_the_tfvars(tmp_path: Path) -> None:
    from chromactl.aws.eip_quota import nat_gateways_needed

    assert [nat_gateways_needed(REPO / "envs" / e, REGION) for e in ("dev", "staging", "prod")] == [1, 2, 3]
    (tmp_path / "terraform.tfvars").write_text('# single_nat_gateway = true\nazs_by_region = {\n  "eu-west-1" = ["eu-west-1a"]\n}\n')
    assert nat_gateways_needed(tmp_path, "eu-west-1") == 1
    assert nat_gateways_needed(tmp_path, REGION) is None  # no AZs for that region: unknown, not zero
