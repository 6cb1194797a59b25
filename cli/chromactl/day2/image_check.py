"""Does the upgrade's image exist? Asked before anything changes (issue 18: "the image resolves").

With one writer the service runs min 0 % / max 100 %: ECS stops the old task before the new one pulls, so
an image that does not exist means downtime until the rollback. The reference is checked where it lives:
- a private ECR reference (<account>.dkr.ecr.<region>.amazonaws.com/<repo>): ecr:DescribeImages with
  imageIds=[{imageDigest}]; ImageNotFoundException / RepositoryNotFoundException say it is not there
  (botocore/data/ecr/2015-09-21/service-2.json, DescribeImages; moto implements it: moto/ecr/models.py);
- any other registry (Docker Hub, ghcr.io, quay.io, a mirror): HEAD /v2/<name>/manifests/<digest>, 200 = it
  exists, 404 = it does not (OCI distribution spec, "Checking if content exists in the registry":
  https://github.com/opencontainers/distribution-spec/blob/main/spec.md#checking-if-content-exists-in-the-registry);
  a 401 with a `WWW-Authenticate: Bearer realm=...,service=...,scope=...` challenge is answered with an
  anonymous token from the realm (Docker Hub: auth.docker.io, https://distribution.github.io/distribution/spec/auth/token/).
An env that pulls through its ECR pull-through cache has the upstream reference as its `image` input (the
cache fetches from upstream on the first pull), so that upstream reference is what is checked.
A registry that cannot be reached refuses the upgrade; `--skip-image-check` overrides (docs/upgrade.md).
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

from chromactl.aws.session import error_code
from chromactl.errors import OperationFailed, UsageError
from chromactl.failover.version_record import ChromaImage

ECR_HOST = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$")
DOCKER_HUB = "registry-1.docker.io"  # what `docker.io` and a host-less reference resolve to
# Manifest and index media types a HEAD accepts (OCI image spec, Docker's v2 schema 2 and manifest list).
_MEDIA_TYPES = ("application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json",
                "application/vnd.docker.distribution.manifest.list.v2+json", "application/vnd.docker.distribution.manifest.v2+json")
_ACCEPT = ", ".join(_MEDIA_TYPES)
_SKIP_HINT = "Check the network or the registry, or pass --skip-image-check if you have checked the image exists yourself."


def split_reference(repo: str) -> tuple[str, str]:
    """(registry host, repository name): a first component with a dot or a colon (or `localhost`) is a host, as
    docker reads a reference; none is Docker Hub, where an official image lives under library/."""
    parts = repo.split("/")
    if len(parts) > 1 and (re.search(r"[.:]", parts[0]) or parts[0] == "localhost"):
        host, name = parts[0], "/".join(parts[1:])
    else:
        host, name = DOCKER_HUB, repo
    if host in ("docker.io", "index.docker.io"):
        host = DOCKER_HUB
    if host == DOCKER_HUB and "/" not in name:
        name = f"library/{name}"
    return host, name


def check_image(image: ChromaImage, *, factory: Any, region: str, timeout_s: float = 10.0,
                endpoints: Mapping[str, str] | None = None) -> dict[str, Any]:
    """{"registry", "repository", "digest", "how"} when the manifest exists; UsageError (exit 2) when the registry
    says it does not; OperationFailed naming --skip-image-check when the registry cannot be asked."""
    host, name = split_reference(image.repo.replace("{region}", region))
    digest = f"sha256:{image.digest}"
    ecr = ECR_HOST.match(host)
    if ecr:
        how = _ecr(factory, ecr.group("account"), ecr.group("region"), name, digest, image.reference)
    else:
        how = _registry(host, name, digest, image.reference, timeout_s, dict(endpoints or {}))
    return {"registry": host, "repository": name, "digest": digest, "how": how}


def _missing(reference: str, where: str) -> UsageError:
    return UsageError(f"The image {reference} does not exist: {where}.",
                      "Check the tag and digest (`docker buildx imagetools inspect <repo>:<tag>` prints the digest).")


def _ecr(factory: Any, account: str, region: str, name: str, digest: str, reference: str) -> str:
    import botocore.exceptions as bex

    try:
        factory.client("ecr", region).describe_images(registryId=account, repositoryName=name, imageIds=[{"imageDigest": digest}])
    except bex.ClientError as exc:
        code = error_code(exc)
        if code in ("ImageNotFoundException", "RepositoryNotFoundException"):
            raise _missing(reference, f"ECR answers {code} for {name}@{digest} in {region}") from None
        raise OperationFailed(f"Cannot check the image in ECR ({region}): {code}.", _SKIP_HINT) from None
    except bex.BotoCoreError as exc:
        raise OperationFailed(f"Cannot reach ECR in {region} to check the image: {exc}.", _SKIP_HINT) from None
    return f"ecr:DescribeImages {name}@{digest} in {region}"


def _base(host: str, endpoints: dict[str, str]) -> str:
    if host in endpoints:
        return endpoints[host].rstrip("/")
    # Docker allows plain HTTP to a registry on the loopback only (127.0.0.0/8 is an insecure registry by default:
    # https://docs.docker.com/reference/cli/dockerd/#insecure-registries); everything else is HTTPS.
    plain = host.split(":")[0] in ("localhost", "127.0.0.1")
    return f"{'http' if plain else 'https'}://{host}"


def _challenge(header: str) -> dict[str, str]:
    """The parameters of a `Bearer realm="...",service="...",scope="..."` challenge."""
    if not header.lower().startswith("bearer "):
        return {}
    return {k.lower(): v for k, v in re.findall(r'(\w+)="([^"]*)"', header[7:])}


def _token(header: str, name: str, timeout_s: float) -> str | None:
    params = _challenge(header)
    realm = params.pop("realm", None)
    if not realm or not realm.startswith(("https://", "http://")):
        return None
    params.setdefault("scope", f"repository:{name}:pull")
    url = f"{realm}?{urllib.parse.urlencode(params)}"
    with urllib.request.urlopen(urllib.request.Request(url), timeout=timeout_s) as resp:  # the realm: http(s) only, checked above
        body = json.loads(resp.read(65536) or b"{}")
    token = body.get("token") or body.get("access_token")
    return str(token) if token else None


def _head(url: str, timeout_s: float, token: str | None) -> int:
    headers = {"Accept": _ACCEPT, **({"Authorization": f"Bearer {token}"} if token else {})}
    req = urllib.request.Request(url, method="HEAD", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as resp:  # http(s) only: _base
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        if exc.code == 401 and token is None:
            raise _Unauthorized(exc.headers.get("WWW-Authenticate", "")) from None
        return int(exc.code)


class _Unauthorized(Exception):
    def __init__(self, challenge: str):
        super().__init__(challenge)
        self.challenge = challenge


def _registry(host: str, name: str, digest: str, reference: str, timeout_s: float, endpoints: dict[str, str]) -> str:
    url = f"{_base(host, endpoints)}/v2/{name}/manifests/{digest}"
    try:
        try:
            status = _head(url, timeout_s, None)
        except _Unauthorized as need:
            token = _token(need.challenge, name, timeout_s)
            if not token:
                raise OperationFailed(f"The registry {host} asks for credentials to read {name}, and gives no anonymous token.",
                                      _SKIP_HINT) from None
            status = _head(url, timeout_s, token)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise OperationFailed(f"The registry {host} cannot be reached to check the image: {reason}.", _SKIP_HINT) from None
    if status == 200:
        return f"HEAD {host}/v2/{name}/manifests/{digest}: 200"
    if status == 404:
        raise _missing(reference, f"{host} answers 404 for the manifest {name}@{digest}")
    raise OperationFailed(f"The registry {host} answers HTTP {status} for the manifest {name}@{digest}.", _SKIP_HINT)
