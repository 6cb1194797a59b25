"""The env's Availability Zones against the zones the account has (for `doctor`).

`chromactl init` writes `azs_by_region` as REGION + a, b, c, but zone names are the account's:
AWS maps names to physical zones per account, and a region may offer fewer zones to an account
(us-west-1 has two; in most accounts ap-northeast-1 has no 1b):
https://docs.aws.amazon.com/ram/latest/userguide/working-with-az-ids.html. So doctor asks EC2
DescribeAvailabilityZones (the zones enabled for the account, state and type per zone:
https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeAvailabilityZones.html; botocore
ec2 2016-11-15 service-2.json) and names each configured zone the account does not have, before
the first plan fails on it in the subnets.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any


def strip_comment(line: str, *, slashes: bool) -> str:
    """The line without its comment (terraform.tfvars here, and every env file the placeholder scan reads): `#` (and `//` in HCL) outside double-quoted strings."""
    in_str = escaped = False
    for i, ch in enumerate(line):
        if in_str:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_str = False
            continue
        if ch == '"':
            in_str = True
        elif ch == "#" or (slashes and line.startswith("//", i)):
            return line[:i]
    return line


def code_lines(text: str) -> list[str]:
    """The lines of HCL text without `#`, `//` and `/* */` comments (line numbers kept: a line inside a block
    comment is empty)."""
    out: list[str] = []
    in_block = False
    for raw in text.splitlines():
        line = raw
        if in_block:
            end = line.find("*/")
            if end < 0:
                out.append("")
                continue
            line, in_block = line[end + 2:], False
        start = line.find("/*")
        if start >= 0 and '"' not in line[:start]:
            end = line.find("*/", start + 2)
            in_block = end < 0
            line = line[:start] + ("" if end < 0 else line[end + 2:])
        out.append(strip_comment(line, slashes=True))
    return out


def tfvars_text(env_dir: Path) -> str | None:
    """The env's terraform.tfvars without its comments, or None when it cannot be read."""
    try:
        text = (env_dir / "terraform.tfvars").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    return "\n".join(strip_comment(line, slashes=True) for line in text.splitlines())


def env_zones(env_dir: Path, region: str, text: str | None = None) -> list[str] | None:
    """The zones `azs_by_region` gives `region` in the env's terraform.tfvars; None if not found."""
    text = tfvars_text(env_dir) if text is None else text
    if text is None:
        return None
    azs = re.search(r'"' + re.escape(region) + r'"\s*=\s*\[([^\]]*)\]', text)
    if not azs:
        return None
    return re.findall(r'"([^"]+)"', azs.group(1))


def account_zones(factory: Any, region: str) -> list[str]:
    """Names of the Availability Zones (not Local/Wavelength zones) available to the account in `region`."""
    answer = factory.client("ec2", region).describe_availability_zones()
    return [z["ZoneName"] for z in answer.get("AvailabilityZones", [])
            if z.get("ZoneType", "availability-zone") == "availability-zone" and z.get("State", "available") == "available"]


def missing_zones(configured: list[str], available: list[str]) -> list[str]:
    return [z for z in configured if z not in available]
