"""Issue 12, first real apply: what AWS would refuse (or quietly get wrong) on the first apply,
checked on every env's plan against AWS's own rules. Each test names the item it pins."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.stack._tfplan import ENVS, Plan, tfvars


@pytest.fixture(params=ENVS)
def env(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def plan(plans: dict[str, Plan], env: str) -> Plan:
    return plans[env]


# ---------------------------------------------------------------- item 1: EC2 descriptions


def _ec2_model() -> dict[str, Any]:
    import botocore.loaders

    loader = botocore.loaders.Loader()
    model: dict[str, Any] = loader.load_service_model("ec2", "service-2")
    return model


def _allowed_chars(shape: str) -> re.Pattern[str]:
    """The character set botocore's ec2 model documents on <shape>.Description
    (botocore/data/ec2/2016-11-15/service-2.json), as a regex for a whole description."""
    doc = html.unescape(_ec2_model()["shapes"][shape]["members"]["Description"]["documentation"])
    found = re.search(r"(?:Allowed|Valid) characters(?: are|:) a-z, A-Z, 0-9, spaces, and (\S+?)</p>", doc)
    assert found, f"{shape}.Description: no character set in {doc!r}"
    assert "Up to 255 characters" in doc, doc
    return re.compile(r"[a-zA-Z0-9 " + re.escape(found.group(1)) + r"]{0,255}")


# What EC2 validates each kind of description against. Rules that reference a security group
# (UserIdGroupPair) or a prefix list allow fewer characters than CIDR rules: no '&'.
def _rule_shape(values: dict[str, Any]) -> str:
    if values.get("referenced_security_group_id") is not None or values.get("security_groups"):
        return "UserIdGroupPair"
    if values.get("prefix_list_id") or values.get("prefix_list_ids"):
        return "PrefixListId"
    if values.get("cidr_ipv6") or values.get("ipv6_cidr_blocks"):
        return "Ipv6Range"
    return "IpRange"


def _ec2_descriptions(plan: Plan) -> Iterator[tuple[str, str, Any]]:
    """(address, shape, description) for every description EC2 checks in the plan: security groups,
    their inline rules, the standalone rule resources, and any other EC2 resource that has one."""
    for r in plan.resources:
        t, v, addr = r["type"], r["values"], r["address"]
        if t in ("aws_security_group", "aws_default_security_group"):
            if "description" in v:
                yield addr, "CreateSecurityGroupRequest", v["description"]
            for direction in ("ingress", "egress"):
                for rule in v.get(direction) or []:
                    yield f"{addr}.{direction}", _rule_shape(rule), rule.get("description")
        elif t in ("aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule", "aws_security_group_rule"):
            yield addr, _rule_shape(v), v.get("description")
        elif t in ("aws_network_interface", "aws_ec2_managed_prefix_list", "aws_vpc_endpoint_service", "aws_ec2_transit_gateway"):
            yield addr, "CreateSecurityGroupRequest", v.get("description")


def test_item1_the_character_sets_come_from_botocore() -> None:
    assert _allowed_chars("IpRange").pattern == r"[a-zA-Z0-9 \._\-:/\(\)\#,@\[\]\+=\&;\{\}!\$\*]{0,255}"
    assert "&" not in _allowed_chars("UserIdGroupPair").pattern
    assert not _allowed_chars("IpRange").fullmatch("the function's test step")


def test_item1_every_ec2_description_is_one_ec2_accepts(plan: Plan) -> None:
    found = list(_ec2_descriptions(plan))
    assert len([f for f in found if f[1] == "CreateSecurityGroupRequest"]) >= 4  # alb, task, efs, rotation (+ endpoints)
    assert len([f for f in found if f[1] != "CreateSecurityGroupRequest"]) >= 6
    bad = []
    for address, shape, description in found:
        if description is None:
            continue
        assert isinstance(description, str), (address, description)  # known at plan, so checkable
        if not _allowed_chars(shape).fullmatch(description):
            bad.append((address, shape, description))
    assert not bad, bad
