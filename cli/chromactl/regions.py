"""AWS region names, checked offline (no API call needed to reject a typo)."""

from __future__ import annotations

import re

from chromactl import settings
from chromactl.errors import ConfigError

# Commercial and GovCloud regions. A region missing here can still be allowed
# with CHROMACTL_EXTRA_REGIONS=name1,name2.
KNOWN_REGIONS: frozenset[str] = frozenset(
    {
        "af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2",
        "ap-northeast-3", "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2",
        "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6",
        "ap-southeast-7", "ca-central-1", "ca-west-1", "eu-central-1", "eu-central-2",
        "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3",
        "il-central-1", "me-central-1", "me-south-1", "mx-central-1", "sa-east-1",
        "us-east-1", "us-east-2", "us-west-1", "us-west-2", "us-gov-east-1", "us-gov-west-1",
    }
)

_SHAPE = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")


def known_regions() -> frozenset[str]:
    return KNOWN_REGIONS | settings.current().extra_regions


def check_region(region: str, *, where: str = "--region") -> str:
    """Return `region` if it is a known AWS region, else raise ConfigError."""
    if region in known_regions():
        return region
    shape = "" if _SHAPE.match(region or "") else " (it does not look like a region name)"
    raise ConfigError(
        f"Unknown AWS region {region!r} in {where}{shape}.",
        "Use a region name such as us-east-1 or eu-west-1; set CHROMACTL_EXTRA_REGIONS for a new one.",
    )
