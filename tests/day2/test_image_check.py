"""The upgrade's "the image resolves" check (day2.image_check): a registry reference is asked with a HEAD of its
manifest (a fake OCI registry on 127.0.0.1 with Docker Hub's anonymous-token challenge), an ECR reference with
ecr:DescribeImages (moto's server); a missing image is refused (exit 2), an unreachable registry is refused
naming --skip-image-check."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from chromactl.day2.image_check import DOCKER_HUB, check_image, split_reference
from chromactl.day2.version import parse_image
from chromactl.errors import OperationFailed, UsageError

from tests.day2.fake_registry import TOKEN, FakeRegistry
from tests.fixtures.servers import free_port

DIGEST = "sha256:" + "ab" * 32


@pytest.fixture
def registry() -> Iterator[FakeRegistry]:
    r = FakeRegistry({("chromadb/chroma", DIGEST)})
    try:
        yield r
    finally:
        r.close()


def test_split_reference_reads_hosts_as_docker_does() -> None:
    assert split_reference("chromadb/chroma") == (DOCKER_HUB, "chromadb/chroma")
    assert split_reference("chroma") == (DOCKER_HUB, "library/chroma")
    assert split_reference("docker.io/chromadb/chroma") == (DOCKER_HUB, "chromadb/chroma")
    assert split_reference("ghcr.io/chroma-core/chroma") == ("ghcr.io", "chroma-core/chroma")
    assert split_reference("127.0.0.1:5000/chroma") == ("127.0.0.1:5000", "chroma")


def test_a_docker_hub_image_is_found_through_the_anonymous_token(registry: FakeRegistry) -> None:
    image = parse_image(f"chromadb/chroma:1.6.0@{DIGEST}")
    found = check_image(image, factory=None, region="us-east-1", endpoints={DOCKER_HUB: registry.url})
    assert found["registry"] == DOCKER_HUB and found["digest"] == DIGEST
    heads = [r for r in registry.requests if r[0] == "HEAD"]
    assert heads == [("HEAD", f"/v2/chromadb/chroma/manifests/{DIGEST}", None),
                     ("HEAD", f"/v2/chromadb/chroma/manifests/{DIGEST}", f"Bearer {TOKEN}")]
    assert any(r[0] == "GET" and r[1].startswith("/token?") and "scope=repository%3Achromadb%2Fchroma%3Apull" in r[1]
               for r in registry.requests)


def test_a_digest_the_registry_does_not_hold_is_refused(registry: FakeRegistry) -> None:
    fake = "sha256:" + "cd" * 32
    host = registry.url.removeprefix("http://")  # a loopback registry: plain HTTP, as docker allows
    with pytest.raises(UsageError) as exc:
        check_image(parse_image(f"{host}/chromadb/chroma:1.6.0@{fake}"), factory=None, region="us-east-1")
    assert exc.value.exit_code == 2
    assert exc.value.message == (f"The image {host}/chromadb/chroma:1.6.0@{fake} does not exist: "
                                 f"{host} answers 404 for the manifest chromadb/chroma@{fake}.")


def test_an_unreachable_registry_refuses_and_names_the_override() -> None:
    host = f"127.0.0.1:{free_port()}"  # nothing listens there
    with pytest.raises(OperationFailed) as exc:
        check_image(parse_image(f"{host}/chroma:1.6.0@{DIGEST}"), factory=None, region="us-east-1", timeout_s=2)
    assert exc.value.message.startswith(f"The registry {host} cannot be reached to check the image")
    assert "--skip-image-check" in (exc.value.hint or "")


def test_an_ecr_image_is_checked_with_describe_images(aws_env: Any) -> None:
    import boto3
    from chromactl.aws.session import ClientFactory

    ecr = boto3.client("ecr", region_name="us-east-1", endpoint_url=aws_env.url)
    ecr.create_repository(repositoryName="mirror/chroma")
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 2, "digest": "sha256:" + "1" * 64},
                "layers": []}
    pushed = ecr.put_image(repositoryName="mirror/chroma", imageManifest=json.dumps(manifest), imageTag="1.6.0")
    digest = pushed["image"]["imageId"]["imageDigest"]
    account = ecr.describe_repositories()["repositories"][0]["registryId"]
    factory = ClientFactory(overrides={("ecr", "us-east-1"): ecr})
    host = f"{account}.dkr.ecr.us-east-1.amazonaws.com"
    found = check_image(parse_image(f"{host}/mirror/chroma:1.6.0@{digest}"), factory=factory, region="us-east-1")
    assert found["how"] == f"ecr:DescribeImages mirror/chroma@{digest} in us-east-1"
    for ref, code in ((f"{host}/mirror/chroma:1.6.0@sha256:{'cd' * 32}", "ImageNotFoundException"),
                      (f"{host}/other/chroma:1.6.0@{digest}", "RepositoryNotFoundException")):
        with pytest.raises(UsageError, match=f"does not exist: ECR answers {code}"):
            check_image(parse_image(ref), factory=factory, region="us-east-1")
