"""The Secrets Manager secret an env's ECR pull-through cache rule reads (for `init` and `doctor`).

A production env scaffolded by `chromactl init` pulls its image through an ECR pull-through cache
rule whose upstream (Docker Hub) needs credentials: `image_pull_through_cache.credential_secret_name`
in terraform.tfvars names a Secrets Manager secret the stack reads at plan time (a data source), in
every region the env runs in. The user creates it; its name must start with `ecr-pullthroughcache/`
and it holds `username` and `accessToken`
(https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-creating-secret.html).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chromactl.aws.session import error_code
from chromactl.aws.zones import tfvars_text

PREFIX = "ecr-pullthroughcache/"
_NAME = re.compile(r'(?m)^\s*credential_secret_name\s*=\s*"([^"]+)"')


@dataclass(frozen=True)
class CacheSecret:
    name: str
    line: int  # in terraform.tfvars

    def create_command(self, region: str) -> str:
        return (f"aws secretsmanager create-secret --region {region} --name {self.name} "
                "--secret-string '{\"username\":\"DOCKER_HUB_USER\",\"accessToken\":\"DOCKER_HUB_ACCESS_TOKEN\"}'")


def cache_secret(env_dir: Path) -> CacheSecret | None:
    """The secret terraform.tfvars's image_pull_through_cache names, or None (no cache, or no credentials)."""
    text = tfvars_text(env_dir)
    if text is None or not re.search(r"(?m)^\s*image_pull_through_cache\s*=\s*\{", text):
        return None
    m = _NAME.search(text)
    if not m:
        return None
    return CacheSecret(m.group(1), text.count("\n", 0, m.start(1)) + 1)


def secret_exists(factory: Any, region: str, name: str) -> bool:
    """DescribeSecret in `region`; False when Secrets Manager says ResourceNotFoundException."""
    from botocore.exceptions import ClientError

    try:
        factory.client("secretsmanager", region).describe_secret(SecretId=name)
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return False
        raise
    return True
