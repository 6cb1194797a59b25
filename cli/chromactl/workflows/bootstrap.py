"""`chromactl bootstrap`: the Terraform state bucket of an env, idempotent.

In the env's `[state] region` (not the primary, so the state survives the
primary's loss): versioning on; default encryption (SSE-KMS with the AWS
managed key and an S3 bucket key, or AES256 with --sse AES256); all public
access blocked; object ownership enforced (no ACLs); a bucket policy that
denies any request not made over TLS; a lifecycle rule that expires
noncurrent versions after N days and aborts stale multipart uploads.
Running it again changes only what differs and says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chromactl.aws.preflight import caller_identity
from chromactl.aws.session import describe_aws_error, error_code
from chromactl.config import EnvConfig
from chromactl.errors import ConfigError, OperationFailed, UsageError
from chromactl.lifecycle.placeholders import refuse_placeholders

NONCURRENT_DAYS = 90
LIFECYCLE_ID = "chromactl-expire-noncurrent-state"
ALREADY_SET = "already set"
SET_NOW = "set now"


@dataclass(frozen=True)
class BootstrapResult:
    """The env's state bucket after `bootstrap`: whether it was created, and each setting: "already set" or "set now"."""

    env: str
    bucket: str
    region: str
    account: str | None
    created: bool
    settings: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "env": self.env,
            "bucket": self.bucket,
            "region": self.region,
            "account": self.account,
            "created": self.created,
            "settings": dict(self.settings),
        }


def desired_policy(bucket: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }


def desired_lifecycle(days: int) -> dict[str, Any]:
    return {
        "Rules": [
            {
                "ID": LIFECYCLE_ID,
                "Status": "Enabled",
                "Filter": {"Prefix": ""},
                "NoncurrentVersionExpiration": {"NoncurrentDays": days},
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
            }
        ]
    }


def read_settings(s3: Any, bucket: str) -> dict[str, Any]:
    """What the bucket has now (None where a setting is absent)."""
    import botocore.exceptions as bex

    def get(fn: Any, absent: tuple[str, ...], pick: Any) -> Any:
        try:
            return pick(fn(Bucket=bucket))
        except bex.ClientError as exc:
            if error_code(exc) in absent:
                return None
            raise

    return {
        "versioning": get(s3.get_bucket_versioning, (), lambda r: r.get("Status")),
        "encryption": get(
            s3.get_bucket_encryption,
            ("ServerSideEncryptionConfigurationNotFoundError",),
            lambda r: r["ServerSideEncryptionConfiguration"]["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"],
        ),
        "public_access_block": get(
            s3.get_public_access_block, ("NoSuchPublicAccessBlockConfiguration",), lambda r: r["PublicAccessBlockConfiguration"]
        ),
        "ownership": get(
            s3.get_bucket_ownership_controls,
            ("OwnershipControlsNotFoundError",),
            lambda r: r["OwnershipControls"]["Rules"][0]["ObjectOwnership"],
        ),
        "policy": get(s3.get_bucket_policy, ("NoSuchBucketPolicy",), lambda r: json.loads(r["Policy"])),
        "lifecycle": get(s3.get_bucket_lifecycle_configuration, ("NoSuchLifecycleConfiguration",), lambda r: r.get("Rules")),
    }


def _tls_denied(policy: dict[str, Any] | None) -> bool:
    for st in (policy or {}).get("Statement", []):
        cond = (st.get("Condition") or {}).get("Bool", {})
        if st.get("Effect") == "Deny" and str(cond.get("aws:SecureTransport", "")).lower() == "false":
            return True
    return False


def _expires_noncurrent(rules: list[dict[str, Any]] | None) -> int | None:
    for rule in rules or []:
        if rule.get("Status") == "Enabled" and "NoncurrentVersionExpiration" in rule:
            return int(rule["NoncurrentVersionExpiration"].get("NoncurrentDays", 0)) or None
    return None


def assess(settings: dict[str, Any], sse: str, days: int) -> dict[str, bool]:
    """Each setting: does it already meet the bar?"""
    pab = settings.get("public_access_block") or {}
    return {
        "versioning": settings.get("versioning") == "Enabled",
        "encryption": settings.get("encryption") == sse,
        "public_access_block": all(pab.get(k) for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")),
        "ownership": settings.get("ownership") == "BucketOwnerEnforced",
        "tls_only_policy": _tls_denied(settings.get("policy")),
        "lifecycle": _expires_noncurrent(settings.get("lifecycle")) == days,
    }


def bootstrap(env: EnvConfig, factory: Any, *, sse: str = "aws:kms", noncurrent_days: int = NONCURRENT_DAYS, output: Any = None) -> BootstrapResult:
    """Create or fix the env's state bucket; returns each setting and whether it changed."""
    import botocore.exceptions as bex

    if not env.is_aws or env.state is None:
        raise ConfigError(f"Env {env.name!r} keeps no Terraform state (kind {env.kind}).", "bootstrap is for AWS envs.")
    if sse not in ("aws:kms", "AES256"):
        raise UsageError(f"--sse {sse!r} is not supported.", "Use aws:kms (default) or AES256.")
    if not 1 <= noncurrent_days <= 3650:
        raise UsageError("--noncurrent-days must be between 1 and 3650.", "The default keeps old state versions for 90 days.")
    # the same guard as plan/up (file:line, value, what to put): a placeholder bucket name would be
    # created for real (s3://chromactl-state-prod-replace-me), and a sandbox is no exception
    refuse_placeholders(env.name, env.dir, "bootstrap", only=("chromactl.toml",))
    bucket, region = env.state.bucket, env.state.region
    identity = caller_identity(factory, region)
    if env.account_id and identity.get("Account") != env.account_id:
        raise ConfigError(
            f"These credentials are for account {identity.get('Account')}, but env {env.name} declares {env.account_id}.",
            "Use the env's account (--profile), or fix env.account_id in its chromactl.toml.",
        )
    s3 = factory.client("s3", region)
    created = False
    try:
        try:
            s3.head_bucket(Bucket=bucket)
        except bex.ClientError as exc:
            if error_code(exc) not in ("404", "NoSuchBucket", "NotFound"):
                raise
            kwargs: dict[str, Any] = {"Bucket": bucket, "ObjectOwnership": "BucketOwnerEnforced"}
            if region != "us-east-1":
                kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
            try:
                s3.create_bucket(**kwargs)
                created = True
            except bex.ClientError as cexc:
                if error_code(cexc) == "BucketAlreadyExists":
                    raise ConfigError(
                        f"The bucket name {bucket} is taken by another AWS account.",
                        f"Pick another name in [state] bucket of {env.config_path}.",
                    ) from None
                if error_code(cexc) != "BucketAlreadyOwnedByYou":
                    raise
        before = read_settings(s3, bucket)
        ok = assess(before, sse, noncurrent_days)
        if not ok["versioning"]:
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        if not ok["encryption"]:
            rule: dict[str, Any] = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": sse}}
            if sse == "aws:kms":
                rule["BucketKeyEnabled"] = True
            s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [rule]})
        if not ok["public_access_block"]:
            s3.put_public_access_block(
                Bucket=bucket,
                PublicAccessBlockConfiguration={k: True for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")},
            )
        if not ok["ownership"]:
            s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
        if not ok["tls_only_policy"]:
            s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(desired_policy(bucket)))
        if not ok["lifecycle"]:
            s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration=desired_lifecycle(noncurrent_days))
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "managed-by", "Value": "chromactl"}, {"Key": "chromactl-env", "Value": env.name}]})
        after = assess(read_settings(s3, bucket), sse, noncurrent_days)
    except (ConfigError, UsageError):
        raise
    except Exception as exc:  # noqa: BLE001 - reported as one phrase
        raise OperationFailed(f"Bootstrapping the state bucket {bucket} in {region} failed: {describe_aws_error(exc)}.", "Run again (it is idempotent); check the credentials' S3 permissions.") from None
    missing = [k for k, v in after.items() if not v]
    if missing:
        raise OperationFailed(f"The state bucket {bucket} still lacks: {', '.join(missing)}.", "Check for an SCP or bucket policy that blocks these settings.")
    return BootstrapResult(
        env=env.name,
        bucket=bucket,
        region=region,
        account=identity.get("Account"),
        created=created,
        settings={k: (ALREADY_SET if ok[k] else SET_NOW) for k in after},
    )
