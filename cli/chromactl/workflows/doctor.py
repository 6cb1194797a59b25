"""`chromactl doctor`: is this machine ready to run an env? Each line ok, or a fix.

Checks: the Terraform engine and its version; the env's config; its regions
(known names, and enabled for the account); AWS credentials (STS caller
identity, and the account equals the env's `account_id` when declared); the
state bucket reachable and versioned; the zones of azs_by_region are zones the
account has in each region (aws/zones.py); the pull-through cache's
credentials secret in each region (aws/pull_through.py); placeholders still present in the env's
files (a failure where plan refuses them, a warning for a sandbox); the facts chromactl.toml and terraform.tfvars both state (config_facts.py);
per primary region, the Elastic IPs the envs' NAT gateways
need against the account's quota (aws/eip_quota.py). Any failed check makes
the exit code 1; warnings do not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chromactl.aws.eip_quota import QUOTA_CODE, allocated, eip_quota, regional_needs
from chromactl.aws.pull_through import PREFIX, cache_secret, secret_exists
from chromactl.aws.session import describe_aws_error
from chromactl.aws.zones import account_zones, env_zones, missing_zones
from chromactl.config import EnvConfig, list_envs, load_env
from chromactl.config_facts import facts_check
from chromactl.errors import ChromactlError
from chromactl.lifecycle.placeholders import find_placeholders, summary
from chromactl.modules import pin_status
from chromactl.rotation import package
from chromactl.terraform.backend import backend_kind
from chromactl.terraform.engine import resolve


@dataclass
class Check:
    name: str
    status: str  # ok | warn | fail | skip
    detail: str
    fix: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status, "detail": self.detail, "fix": self.fix}


def check_engine() -> Check:
    try:
        engine = resolve()
    except ChromactlError as exc:
        return Check("terraform", "fail", exc.message, exc.hint or "")
    return Check("terraform", "ok", f"{engine.flavour} {engine.version} at {engine.path} ({engine.source})")


def placeholders(env_dir: Path) -> list[str]:
    """`file:line value (why)` of every placeholder left in the env's values (the one detector
    plan/up/apply also use: chromactl.lifecycle.placeholders)."""
    return [h.describe() for h in find_placeholders(env_dir)]


_BUILD_REF = re.compile(r"(?:\.\./)+(build/[A-Za-z0-9_./-]+)")


def _rotation_source_available() -> bool:
    try:
        return (package.source_dir() / "handler.py").is_file()
    except ChromactlError:
        return False


def check_module_pin(env: Any) -> Check | None:
    """How the env's pinned stack module compares with this chromactl (scaffolded envs pin one by ref)."""
    status = pin_status(env.dir)
    if status is None or status.state == "local":
        return None
    name = f"{env.name}: stack module"
    if status.state == "current":
        return Check(name, "ok", status.message)
    if status.state == "older":
        notes = "; ".join(status.changes) or "see CHANGELOG.md"
        return Check(name, "warn", status.message, f"What changed since: {notes}")
    return Check(name, "warn", status.message)


def check_local_files(envs: list[Any]) -> list[Check]:
    """The backend switch, and build artefacts the env roots read (e.g. build/token-rotation.zip)."""
    out: list[Check] = []
    try:
        kind = backend_kind()
    except ChromactlError as exc:
        return [Check("backend", "fail", exc.message, exc.hint or "")]
    if kind == "local":
        out.append(Check("backend", "warn", "CHROMACTL_BACKEND=local: state is kept under .chromactl/state on this machine, not in S3",
                         "Unset CHROMACTL_BACKEND for real environments."))
    for env in envs:
        root = env.dir.parent.parent
        missing = sorted({m for p in env.dir.glob("*.tf") for m in _BUILD_REF.findall(p.read_text(encoding="utf-8", errors="replace"))
                          if not (root / m).is_file()})
        # plan builds the rotation zip itself (lifecycle.plan.ensure_build_artifacts) from the function's source
        # (this checkout's, or the copy an installed wheel carries): its absence is no failure
        built_by_plan = [m for m in missing if m == "build/token-rotation.zip" and _rotation_source_available()]
        if built_by_plan:
            out.append(Check(f"{env.name}: build files", "ok", f"{', '.join(built_by_plan)} not built yet: `chromactl plan` builds it"))
            missing = [m for m in missing if m not in built_by_plan]
        if missing:
            out.append(Check(f"{env.name}: build files", "fail", "missing " + ", ".join(missing), "Run `make zip` (or `make setup`) in the project."))
    return out


def run_doctor(env_name: str | None, factory: Any, *, root: Path | None = None, loaded: EnvConfig | None = None) -> list[Check]:
    """Every check for `env_name` (all envs when None); `loaded`: that env, when the caller has loaded it."""
    checks = [check_engine()]
    envs = []
    names = [env_name] if env_name else list_envs(root)
    for name in names:
        try:
            env = loaded if loaded is not None and loaded.name == name else load_env(name, root)
        except ChromactlError as exc:
            checks.append(Check(f"config {name}", "fail", exc.message, exc.hint or ""))
            continue
        checks.append(Check(f"config {name}", "ok", f"{env.config_path} is valid ({env.kind})"))
        envs.append(env)
    aws_envs = [e for e in envs if e.is_aws]
    if not aws_envs:
        return checks
    checks.extend(check_local_files(aws_envs))
    # credentials: once, against the first env's state region
    first = aws_envs[0]
    assert first.state is not None
    identity: dict[str, Any] | None = None
    try:
        identity = dict(factory.client("sts", first.state.region).get_caller_identity())
        checks.append(Check("aws credentials", "ok", f"account {identity.get('Account')} as {identity.get('Arn')}"))
    except Exception as exc:  # noqa: BLE001 - reported as one phrase
        phrase = exc.message if isinstance(exc, ChromactlError) else describe_aws_error(exc)
        checks.append(
            Check("aws credentials", "fail", f"STS get_caller_identity failed: {phrase}",
                  "Check the network, a proxy (HTTPS_PROXY) or AWS_ENDPOINT_URL: AWS did not answer, so the credentials were not checked."
                  if phrase.startswith("cannot reach AWS") else
                  "Set --profile / AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (e.g. `aws sso login`).")
        )
    for env in aws_envs:
        assert env.state is not None and env.primary_region is not None
        prefix = f"{env.name}: "
        hits = find_placeholders(env.dir)
        if hits:
            refusal = ("sandbox env: plan warns, up/apply refuse them" if env.sandbox
                       else "plan/up/apply refuse them; a sandbox (--sandbox, sandbox = true under [env]) may plan with them")
            # a fail where plan refuses them (lifecycle/placeholders.refuse_placeholders), a warning where it only warns
            checks.append(Check(prefix + "placeholders", "warn" if env.sandbox else "fail", f"placeholder values left ({refusal}): " + summary(hits),
                                f"Replace the REPLACE markers, documentation account ids, example.com names and documentation "
                                f"address ranges in {env.dir} with your values."))
        else:
            checks.append(Check(prefix + "placeholders", "ok", "no placeholders left"))
        pin = check_module_pin(env)
        if pin is not None:
            checks.append(pin)
        try:
            checks.append(Check(prefix + "toml vs tfvars", *facts_check(env)))
        except ChromactlError as exc:  # a tfvars file Terraform cannot read either
            checks.append(Check(prefix + "toml vs tfvars", "fail", exc.message, exc.hint or ""))
        if identity is None:
            checks.append(Check(prefix + "aws checks", "skip", "skipped: no working AWS credentials"))
            continue
        if env.account_id:
            if identity.get("Account") == env.account_id:
                checks.append(Check(prefix + "account", "ok", f"credentials are for the env's account {env.account_id}"))
            else:
                checks.append(Check(prefix + "account", "fail", f"credentials are for account {identity.get('Account')}, the env declares {env.account_id}",
                                    "Use the env's account (--profile), or fix env.account_id in " + str(env.config_path)))
        regions = [env.primary_region, *env.failover_regions, env.state.region]
        try:
            described = factory.client("ec2", env.state.region).describe_regions(AllRegions=True).get("Regions", [])
            status = {r["RegionName"]: r.get("OptInStatus", "opt-in-not-required") for r in described}
            off = [r for r in dict.fromkeys(regions) if status.get(r) == "not-opted-in"]
            if off:
                checks.append(Check(prefix + "regions", "fail", "not enabled for this account: " + ", ".join(off),
                                    "Enable them in the AWS console (Account > AWS Regions), or pick other regions."))
            else:
                checks.append(Check(prefix + "regions", "ok", "primary " + env.primary_region + ", failover " + (", ".join(env.failover_regions) or "none") + ", state " + env.state.region))
        except Exception as exc:  # noqa: BLE001 - reported as one phrase
            checks.append(Check(prefix + "regions", "warn", f"names are valid; could not ask EC2 which are enabled: {describe_aws_error(exc)}"))
        checks.extend(check_zones(env, factory))
        checks.extend(check_cache_secret(env, factory))
        s3 = factory.client("s3", env.state.region)
        bucket = env.state.bucket
        try:
            s3.head_bucket(Bucket=bucket)
            versioning = s3.get_bucket_versioning(Bucket=bucket).get("Status")
            if versioning == "Enabled":
                checks.append(Check(prefix + "state bucket", "ok", f"s3://{bucket} ({env.state.region}) reachable and versioned"))
            else:
                checks.append(Check(prefix + "state bucket", "fail", f"s3://{bucket} is not versioned",
                                    f"Run `chromactl bootstrap --env {env.name}` (it turns versioning on and is idempotent)."))
        except Exception as exc:  # noqa: BLE001 - reported as one phrase
            phrase = describe_aws_error(exc)
            missing = "404" in phrase or "NoSuchBucket" in phrase or "Not Found" in phrase
            checks.append(Check(prefix + "state bucket", "fail",
                                f"s3://{bucket} does not exist in {env.state.region}" if missing else f"s3://{bucket} unreachable: {phrase}",
                                f"Run `chromactl bootstrap --env {env.name}`." if missing else "Check credentials and network; the bucket must be in [state] region."))
    if identity is not None:
        checks.extend(check_eip_quota([e for e in aws_envs if not e.account_id or e.account_id == identity.get("Account")], factory))
    return checks


def check_zones(env: Any, factory: Any) -> list[Check]:
    """Per region of the env: the zones its terraform.tfvars names are zones the account has (aws/zones.py)."""
    out: list[Check] = []
    for region in dict.fromkeys([env.primary_region, *env.failover_regions]):
        configured = env_zones(env.dir, region)
        if configured is None:
            continue  # no azs_by_region entry for the region: nothing to check
        name = f"{env.name}: zones {region}"
        try:
            available = account_zones(factory, region)
        except Exception as exc:  # noqa: BLE001 - reported as one phrase
            out.append(Check(name, "warn", f"could not list the Availability Zones of {region}: {describe_aws_error(exc)}",
                             "Allow ec2:DescribeAvailabilityZones to check them."))
            continue
        missing = missing_zones(configured, available)
        if missing:
            out.append(Check(name, "fail",
                             f"{', '.join(missing)} {'is not a zone' if len(missing) == 1 else 'are not zones'} of this account in {region} "
                             f"(it has {', '.join(available) or 'none'}); zone names differ per account",
                             f"Set azs_by_region[\"{region}\"] in {env.dir / 'terraform.tfvars'} to zones of: aws ec2 "
                             f"describe-availability-zones --region {region} --query 'AvailabilityZones[].ZoneName'"))
        else:
            out.append(Check(name, "ok", f"{', '.join(configured)} are zones of this account"))
    return out


def check_cache_secret(env: Any, factory: Any) -> list[Check]:
    """Per region of the env: the pull-through cache's credentials secret exists (aws/pull_through.py)."""
    secret = cache_secret(env.dir)
    if secret is None:
        return []
    out: list[Check] = []
    for region in dict.fromkeys([env.primary_region, *env.failover_regions]):
        name = f"{env.name}: pull-through cache secret {region}"
        if not secret.name.startswith(PREFIX):
            out.append(Check(name, "fail", f"{secret.name} (terraform.tfvars:{secret.line}) does not start with {PREFIX}, "
                             "which ECR requires of a pull-through cache's secret",
                             f"Name it {PREFIX}<something> in terraform.tfvars and create it in each region."))
            continue
        try:
            exists = secret_exists(factory, region, secret.name)
        except Exception as exc:  # noqa: BLE001 - reported as one phrase
            out.append(Check(name, "warn", f"could not look up {secret.name} in {region}: {describe_aws_error(exc)}",
                             "Allow secretsmanager:DescribeSecret to check it."))
            continue
        if exists:
            out.append(Check(name, "ok", f"{secret.name} exists in {region}"))
        else:
            out.append(Check(name, "fail",
                             f"{secret.name} (image_pull_through_cache, terraform.tfvars:{secret.line}) does not exist in {region}; "
                             "the plan reads it",
                             f"Create it with your Docker Hub user and access token: {secret.create_command(region)} "
                             "(or set image_pull_through_cache = null to pull the image directly)."))
    return out


def check_eip_quota(envs: list[Any], factory: Any) -> list[Check]:
    """Per primary region of the envs in this account: Elastic IPs needed (1 per NAT gateway) against the quota."""
    out: list[Check] = []
    names = {e.name for e in envs}
    for region, need in sorted(regional_needs(envs).items()):
        name = f"elastic IPs {region}"
        per_env = ", ".join(f"{k} {v}" for k, v in sorted(need.envs.items())) or "none known"
        unknown = f"; not counted (no azs_by_region for {region} in terraform.tfvars): {', '.join(need.unknown)}" if need.unknown else ""
        try:
            quota, source = eip_quota(factory, region)
            others, ours = allocated(factory, region, names)
        except Exception as exc:  # noqa: BLE001 - reported as one phrase
            out.append(Check(name, "warn", f"could not read the Elastic IP quota or addresses in {region}: {describe_aws_error(exc)}",
                             "Allow servicequotas:GetServiceQuota and ec2:DescribeAddresses to check it."))
            continue
        total = others + need.needed
        detail = (f"{need.needed} needed by these envs' NAT gateways ({per_env}) + {others} held by other resources = {total} "
                  f"of {quota} ({source} {QUOTA_CODE}; {ours} already held by these stacks){unknown}")

        def fix(wanted: int, region: str = region) -> str:
            return (f"Request 'EC2-VPC Elastic IPs' >= {wanted} in {region}: aws service-quotas request-service-quota-increase "
                    f"--service-code ec2 --quota-code {QUOTA_CODE} --desired-value {wanted} --region {region}; "
                    f"or set single_nat_gateway = true in the non-production envs.")

        with_failover = total + need.failover_needed
        rebuilds = ", ".join(f"{k} {v}" for k, v in sorted(need.failover.items()))
        if total > quota:
            out.append(Check(name, "fail", detail, fix(total)))
        elif with_failover > quota:  # a failover rebuild here would stop at its NAT gateways' addresses
            out.append(Check(name, "warn", f"{detail}; a failover rebuild here ({rebuilds}) would need {with_failover}", fix(with_failover)))
        else:
            out.append(Check(name, "ok", detail + (f"; failover rebuilds here ({rebuilds}) fit too" if rebuilds else "")))
    return out


def failed(checks: list[Check]) -> bool:
    return any(c.status == "fail" for c in checks)
