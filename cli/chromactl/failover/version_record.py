"""The Chroma version record: the highest Chroma version that has opened an env's data.

It lives beside the data manifest (failover/manifest.py), in the failover package, because both day2 (upgrade's
downgrade refusal, restore's gate, status) and the failover (its gate records the version it promoted) use it,
and failover sits below day2 (tools/layers/contract.py LAYERS). day2/version.py keeps the local env's checks.

Chroma does not open a data directory written by a newer version (its SQLite schema and segment
files are migrated forward on start, never back), so a downgrade is refused before anything changes.
The server cannot say its own version: `/api/v2/version` answers "1.0.0" on every 1.x server
(measured here on Chroma 1.5.9; docs/DESIGN.md, "Checks against the endpoint"). So the version is
the one chromactl ran: the image tag of the task definition (AWS; the stack pins tag AND digest) or
the chromadb package that runs the local server, recorded after every check that passed on it.

Where the record lives (docs/day2.md, "The version record"):
- AWS: `s3://<state bucket>/<key_prefix>/<env>/chroma-version.json`, beside the data manifest. The
  state bucket is versioned, encrypted and outside the primary region, so the record survives the
  region's loss and a failover reads it with the same permissions it already needs; an SSM parameter
  would live in the primary region, and a tag on the file system would be lost with a restore.
- local: `<data dir>/.chromactl-chroma-version.json`: the data and its record move and die together.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chromactl.aws.session import describe_aws_error, error_code
from chromactl.config import EnvConfig
from chromactl.errors import ConfigError, OperationFailed, UsageError
from chromactl.lifecycle.tfvars_values import setting
from chromactl.local.server import data_dir

RECORD_VERSION = 1
LOCAL_NAME = ".chromactl-chroma-version.json"
HISTORY = 20
# The stack's own check on `image` (terraform/stack/variables.tf): repo:tag@sha256:<64 hex>, the tag not latest.
_PINNED = re.compile(r"^(?P<repo>[^\s@:]+(?::\d+)?(?:/[^\s@:]+)*):(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})@sha256:(?P<digest>[a-f0-9]{64})$")
_RELEASE = re.compile(r"^v?\d+\.\d+\.\d+$")
_VERSION = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)(?:[-.+].*)?$")


def version_key(version: str) -> tuple[int, int, int]:
    m = _VERSION.match(version or "")
    if not m:
        raise UsageError(f"{version!r} is not a Chroma release version (major.minor.patch).", "Use a release tag such as 1.5.9.")
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


@dataclass(frozen=True)
class ChromaImage:
    reference: str
    repo: str
    tag: str
    digest: str

    @property
    def version(self) -> str:
        return self.tag.lstrip("v")


def parse_image(reference: str) -> ChromaImage:
    """A Chroma image pinned by tag and digest, or one sentence saying what is wrong (exit 2)."""
    m = _PINNED.match(reference or "")
    if not m or m.group("tag") == "latest":
        raise UsageError(f"{reference!r} is not pinned by tag and digest (repo:tag@sha256:<64 hex>, the tag not latest), as the stack requires.",
                         "Get the digest with `docker buildx imagetools inspect chromadb/chroma:<version>` and pass "
                         "--image chromadb/chroma:<version>@sha256:<digest>.")
    repo = m.group("repo")
    if repo.rsplit("/", 1)[-1] != "chroma":
        raise UsageError(f"{repo!r} is not a Chroma image (its repository is not named chroma).",
                         "Use chromadb/chroma (or a mirror of it whose repository is named chroma).")
    if not _VERSION.match(m.group("tag")):
        raise UsageError(f"The tag {m.group('tag')!r} of {repo} is not a Chroma release version, so a downgrade cannot be ruled out.",
                         "Use a release tag such as chromadb/chroma:1.5.9@sha256:<digest>.")
    if not _RELEASE.match(m.group("tag")):  # 1.6.0-rc1, 1.6.0.dev3 would rank as 1.6.0 and become the floor
        raise UsageError(f"The tag {m.group('tag')!r} of {repo} is a pre-release or a build, not a Chroma release: "
                         "it cannot be ordered against the released versions that may open the data after it.",
                         "Use a release tag such as chromadb/chroma:1.6.0@sha256:<digest>.")
    return ChromaImage(reference=reference, repo=repo, tag=m.group("tag"), digest=m.group("digest"))


# --- the store ----------------------------------------------------------------------------------------


def _empty(env: EnvConfig) -> dict[str, Any]:
    return {"version": RECORD_VERSION, "env": env.name, "highest": None, "history": []}


def _check(data: Any, env: EnvConfig, where: str) -> dict[str, Any]:
    if not isinstance(data, dict) or data.get("env") != env.name or not isinstance(data.get("history"), list):
        raise ConfigError(f"{where} is not a Chroma version record of env {env.name!r}.", "Move it aside; the next passing check records a new one.")
    return data


def s3_key(env: EnvConfig) -> str:
    prefix = env.state.key_prefix if env.state else "chromactl"
    return f"{prefix}/{env.name}/chroma-version.json"


def local_path(env: EnvConfig) -> Path:
    return data_dir(env) / LOCAL_NAME


def read_record(env: EnvConfig, factory: Any = None) -> dict[str, Any]:
    if not env.is_aws:
        path = local_path(env)
        if not path.is_file():
            return _empty(env)
        try:
            return _check(json.loads(path.read_text(encoding="utf-8")), env, str(path))
        except json.JSONDecodeError:
            raise ConfigError(f"{path} is not valid JSON.", "Move it aside; the next passing check records a new one.") from None
    import botocore.exceptions as bex  # lazy: botocore (a local env never loads it)

    assert env.state is not None
    try:
        body = factory.client("s3", env.state.region).get_object(Bucket=env.state.bucket, Key=s3_key(env))["Body"].read()
    except bex.ClientError as exc:
        if error_code(exc) in ("NoSuchKey", "404", "NotFound"):
            return _empty(env)
        raise OperationFailed(f"Cannot read the Chroma version record s3://{env.state.bucket}/{s3_key(env)}: {describe_aws_error(exc)}.",
                              "Check your permissions on the state bucket.") from None
    except bex.BotoCoreError as exc:
        raise OperationFailed(f"Cannot reach the state bucket in {env.state.region}: {describe_aws_error(exc)}.", "Check the network.") from None
    try:
        return _check(json.loads(body), env, f"s3://{env.state.bucket}/{s3_key(env)}")
    except json.JSONDecodeError:
        raise ConfigError(f"s3://{env.state.bucket}/{s3_key(env)} is not valid JSON.", "Move it aside.") from None


def record(env: EnvConfig, version: str, *, image: str | None, region: str | None, factory: Any = None,
           now: datetime | None = None) -> dict[str, Any]:
    """Add a passing check's version; `highest` only ever goes up."""
    version_key(version)
    data = read_record(env, factory)
    highest = data.get("highest")
    if highest is None or version_key(version) > version_key(str(highest)):
        data["highest"] = version
    entry = {"chroma_version": version, "image": image, "region": region,
             "recorded_at": (now or datetime.now(UTC)).isoformat(timespec="seconds")}
    data["history"] = [*data["history"], entry][-HISTORY:]
    body = json.dumps(data, indent=2) + "\n"
    if not env.is_aws:
        path = local_path(env)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(body, encoding="utf-8")
        tmp.replace(path)
    else:
        assert env.state is not None
        factory.client("s3", env.state.region).put_object(Bucket=env.state.bucket, Key=s3_key(env), Body=body.encode(),
                                                          ContentType="application/json", ServerSideEncryption="AES256")
    return data


def refuse_downgrade(env: EnvConfig, target: str, data: dict[str, Any]) -> None:
    """UsageError when `target` is older than the highest version that has opened the env's data."""
    highest = data.get("highest")
    if highest and version_key(target) < version_key(str(highest)):
        when = next((h["recorded_at"] for h in reversed(data.get("history", [])) if h.get("chroma_version") == highest), "earlier")
        raise UsageError(
            f"Refusing Chroma {target} on env {env.name!r}: its data was opened by Chroma {highest} (recorded {when}), "
            "and Chroma does not open data written by a newer version.",
            f"Pick Chroma {highest} or newer; to go back to an older version, " + (
                f"restore a recovery point made before {highest} opened the data (chromactl backup list --env {env.name})"
                if env.kind == "aws" else f"put back a copy of the data directory made before {highest} opened it") + ". Nothing was changed.",
        )


def configured_image(env: EnvConfig) -> str | None:
    """The stack's `image` input as Terraform takes it: the last tfvars file that sets it (chromactl.auto.tfvars.json after
    an upgrade, any other *.auto.tfvars, terraform.tfvars), else the variable's default (lifecycle.tfvars_values).
    (The task definition may name another reference for the same image: a pull-through cache's ECR path.)"""
    found = setting(env.dir, "image")
    return (found.value or None) if found else None


def record_after_check(env: EnvConfig, region: str, factory: Any, output: Any) -> str | None:
    """After a passing check of an AWS stack (`up`'s smoke, restore's gate): record the version of the image the
    env configures (configured_image). Best effort, like the manifest: a warning, never a failure."""
    try:
        image = configured_image(env)
        if not image:
            return None
        version = parse_image(image).version
        record(env, version, image=image, region=region, factory=factory)
    except Exception as exc:  # noqa: BLE001 - the stack is up and checked either way
        output.warn(f"could not record the Chroma version that opened the data ({getattr(exc, 'message', exc)}); "
                    f"`chromactl upgrade` then cannot refuse a downgrade below it.")
        return None
    return version
