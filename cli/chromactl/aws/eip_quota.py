"""Elastic IP addresses: what the envs' plans need against the region's quota (for `doctor`).

Each stack allocates one Elastic IP per NAT gateway (terraform/modules/vpc:
`aws_eip.nat`, count = 1 with `single_nat_gateway`, else one per AZ of the
region in `azs_by_region`). Several envs in one account and region share the
regional quota "EC2-VPC Elastic IPs" (Service Quotas: service code `ec2`,
quota code L-0263D0A3; default 5 per Region:
https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/elastic-ip-addresses-eip.html#using-instance-addressing-limit),
so prod (3) + staging (2) + dev (1) = 6 do not fit in a fresh account.

The check: quota (GetServiceQuota, the account's applied value; else
GetAWSDefaultServiceQuota: botocore service-quotas 2019-06-24) >= addresses
allocated in the region by anything else (EC2 DescribeAddresses, minus those
tagged as one of the checked envs' own stacks: default_tags Project=chromactl
and Env=<env>) + what the checked envs' stacks need.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chromactl.aws.session import error_code
from chromactl.aws.zones import env_zones, tfvars_text

SERVICE_CODE = "ec2"
QUOTA_CODE = "L-0263D0A3"
DEFAULT_QUOTA = 5

_BOOL = re.compile(r"(?m)^\s*single_nat_gateway\s*=\s*(true|false)\b")


def nat_gateways_needed(env_dir: Path, region: str) -> int | None:
    """NAT gateways (= Elastic IPs) the env's stack in `region` allocates, from its terraform.tfvars; None if unknown."""
    text = tfvars_text(env_dir)
    if text is None:
        return None
    single = _BOOL.search(text)
    if single and single.group(1) == "true":
        return 1
    zones = env_zones(env_dir, region, text)
    return None if zones is None else len(zones)


@dataclass
class RegionNeed:
    region: str
    envs: dict[str, int] = field(default_factory=dict)  # env -> Elastic IPs its primary stack here needs
    failover: dict[str, int] = field(default_factory=dict)  # env -> Elastic IPs a failover rebuild here would need
    unknown: list[str] = field(default_factory=list)  # envs whose need could not be read

    @property
    def needed(self) -> int:
        return sum(self.envs.values())

    @property
    def failover_needed(self) -> int:
        return sum(self.failover.values())


def regional_needs(envs: list[Any]) -> dict[str, RegionNeed]:
    """Per region: the Elastic IPs each env's primary stack there needs, and a failover rebuild there would."""
    needs: dict[str, RegionNeed] = {}
    for env in envs:
        for region, table in ((str(env.primary_region), "envs"), *((str(r), "failover") for r in env.failover_regions)):
            need = needs.setdefault(region, RegionNeed(region))
            count = nat_gateways_needed(env.dir, region)
            if count is None:
                need.unknown.append(env.name)
            else:
                getattr(need, table)[env.name] = count
    return needs


def eip_quota(factory: Any, region: str) -> tuple[int, str]:
    """(quota, where it came from): the account's applied value, else AWS's default."""
    sq = factory.client("service-quotas", region)
    try:
        value = sq.get_service_quota(ServiceCode=SERVICE_CODE, QuotaCode=QUOTA_CODE)["Quota"]["Value"]
        return int(value), "applied quota"
    except Exception as exc:
        if error_code(exc) != "NoSuchResourceException":
            raise
    value = sq.get_aws_default_service_quota(ServiceCode=SERVICE_CODE, QuotaCode=QUOTA_CODE)["Quota"]["Value"]
    return int(value), "AWS default quota"


def allocated(factory: Any, region: str, env_names: set[str]) -> tuple[int, int]:
    """(addresses held by others, addresses held by the checked envs' own stacks) in the region."""
    addresses = factory.client("ec2", region).describe_addresses().get("Addresses", [])  # not paginated (EC2 API)
    ours = 0
    for a in addresses:
        tags = {t.get("Key"): t.get("Value") for t in a.get("Tags", []) or []}
        if tags.get("Project") == "chromactl" and tags.get("Env") in env_names:
            ours += 1
    return len(addresses) - ours, ours
