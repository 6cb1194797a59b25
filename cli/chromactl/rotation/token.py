"""The API token in Secrets Manager: read it, tell its age, rotate it and wait.

The rotation itself runs in the rotation Lambda (functions/token_rotation):
RotateSecret asks Secrets Manager to call it; here we only start it and watch
the secret's version stages until the new version is AWSCURRENT and no longer
AWSPENDING (the function removes AWSPENDING as its very last action, after the
ALB rules accept only the new token). Every wait is bounded.

Token values are returned by `read_current_token` to the caller that needs
them (the checks) and are never printed, logged or put in an error message.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chromactl.aws.session import ClientFactory, describe_aws_error, error_code
from chromactl.errors import ChromactlError, ConfigError, OperationFailed
from chromactl.poll import Clock, poll_until
from chromactl.stack import outputs as stack_outputs

if TYPE_CHECKING:  # pragma: no cover
    from chromactl.config import EnvConfig

CURRENT = "AWSCURRENT"
PENDING = "AWSPENDING"
TOKEN_RE = re.compile(r"^[a-z0-9]{64}$")
DEFAULT_TIMEOUT_S = 300.0
DEFAULT_POLL_S = 5.0
SECRET_NAME_TEMPLATE = "{project}-{env}/alb-token"
DEFAULT_PROJECT = "chromactl"


def default_log_group(env: str, project: str = DEFAULT_PROJECT) -> str:
    """The rotation function's log group as terraform/stack names it."""
    return f"/aws/lambda/{project}-{env}-token-rotation"


def default_secret_name(env: str, project: str = DEFAULT_PROJECT) -> str:
    """The secret's name as terraform/stack creates it (`<project>-<env>/alb-token`, per region)."""
    return SECRET_NAME_TEMPLATE.format(project=project, env=env)


def _outputs_secret(env: EnvConfig, region: str, profile: str | None) -> str | None:
    """The stack's token_secret_arn output for (env, region), or None when it cannot be read."""
    try:
        value = stack_outputs.read_outputs(env, region, profile=profile).get("token_secret_arn")
    except ChromactlError:
        return None
    return str(value) if value else None


def require_aws(env: EnvConfig) -> None:
    if not env.is_aws:
        raise ConfigError(
            f"Env {env.name!r} is a local env: it has no token in Secrets Manager.",
            "Token commands apply to AWS envs (the local sandbox has no auth).",
        )


def resolve_secret_id(
    env: EnvConfig,
    explicit: str | None = None,
    *,
    region: str | None = None,
    profile: str | None = None,
    on_info: Callable[[str], None] | None = None,
) -> str:
    """The secret to use: --secret-id if given; else the stack's `token_secret_arn` output for
    (env, region); else, when the state cannot be read, the name the stack gives it."""
    require_aws(env)
    if explicit is not None:
        explicit = explicit.strip()
        if not explicit:
            raise ConfigError("--secret-id is empty.", "Pass the secret's ARN or name, or leave --secret-id out.")
        return explicit
    if region is not None:
        found = _outputs_secret(env, region, profile)
        if found:
            return found
    name = default_secret_name(env.name)
    if on_info:
        on_info(f"no token_secret_arn output readable for {env.name}; using the stack's secret name {name}")
    return name


def _factory(profile: str | None) -> ClientFactory:
    """The client factory (a seam: tests substitute one whose clients they control)."""
    return ClientFactory(profile=profile)


def _sm(region: str, profile: str | None, factory: ClientFactory | None) -> Any:
    return (factory or _factory(profile)).client("secretsmanager", region)


def _fail(exc: BaseException, secret_id: str, doing: str) -> OperationFailed | ConfigError:
    """A ChromactlError for a botocore failure; never includes a secret value."""
    from botocore.exceptions import ClientError

    if isinstance(exc, ClientError):
        code = error_code(exc)
        if code == "ResourceNotFoundException":
            return ConfigError(
                f"Secret {secret_id} was not found while {doing}.",
                "Check the env and region, apply the stack, or pass --secret-id with the stack's token_secret_arn output.",
            )
        if code in ("AccessDeniedException", "AccessDenied", "UnrecognizedClientException"):
            return OperationFailed(
                f"AWS refused {doing} for {secret_id} ({code}).",
                "Use credentials allowed secretsmanager:DescribeSecret, GetSecretValue and RotateSecret on this secret.",
            )
    return OperationFailed(f"AWS call failed while {doing} for {secret_id}: {describe_aws_error(exc)}.", "Check credentials and network, then retry.")


def _describe(sm: Any, secret_id: str, doing: str) -> dict[str, Any]:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return dict(sm.describe_secret(SecretId=secret_id))
    except (ClientError, BotoCoreError) as exc:
        raise _fail(exc, secret_id, doing) from None


def _version_with(stages: dict[str, list[str]], label: str) -> str | None:
    return next((v for v, s in stages.items() if label in s), None)


def read_current_token(secret_arn: str, region: str, profile: str | None = None, *, factory: ClientFactory | None = None) -> str:
    """The AWSCURRENT token (for the checks' requests). Raises if none exists yet or it is malformed."""
    from botocore.exceptions import BotoCoreError, ClientError

    sm = _sm(region, profile, factory)
    try:
        value = sm.get_secret_value(SecretId=secret_arn, VersionStage=CURRENT).get("SecretString")
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            _describe(sm, secret_arn, "reading the token")  # raises "not found" if the secret itself is missing
            raise OperationFailed(
                f"Secret {secret_arn} has no current token yet: its first rotation has not completed.",
                "Wait for the rotation run at creation, or see the rotation function's logs; `chromactl token rotate` retries it.",
            ) from None
        raise _fail(exc, secret_arn, "reading the token") from None
    except BotoCoreError as exc:
        raise _fail(exc, secret_arn, "reading the token") from None
    if not isinstance(value, str) or not TOKEN_RE.match(value):
        raise OperationFailed(
            f"The current value of {secret_arn} is not a chromactl token (64 characters of a-z and 0-9).",
            "Rotate it with `chromactl token rotate`; never set it by hand.",
        )
    return value


@dataclass(frozen=True)
class TokenAge:
    secret: str
    version_id: str
    created: datetime
    age_days: float
    rotation_enabled: bool
    last_rotated: datetime | None
    next_rotation: datetime | None
    rotation_in_progress: bool

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("created", "last_rotated", "next_rotation"):
            data[key] = data[key].isoformat() if data[key] else None
        data["age_days"] = round(self.age_days, 2)
        return data


def _aware(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromtimestamp(float(value), tz=UTC)


def token_age(
    secret_arn: str,
    region: str,
    profile: str | None = None,
    *,
    factory: ClientFactory | None = None,
    now: datetime | None = None,
) -> TokenAge:
    """How old the current token is: days since its version (AWSCURRENT) was created."""
    from botocore.exceptions import BotoCoreError, ClientError

    sm = _sm(region, profile, factory)
    meta = _describe(sm, secret_arn, "reading the token's age")
    stages: dict[str, list[str]] = meta.get("VersionIdsToStages") or {}
    current = _version_with(stages, CURRENT)
    if current is None:
        raise OperationFailed(
            f"Secret {secret_arn} has no current token yet: its first rotation has not completed.",
            "See the rotation function's logs; `chromactl token rotate` retries it.",
        )
    created: datetime | None = None
    try:
        # Hand-paged: botocore has no paginator for ListSecretVersionIds (botocore/data/secretsmanager/
        # 2017-10-17/paginators-1.json names ListSecrets only); the API pages with NextToken / MaxResults
        # (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ListSecretVersionIds.html).
        next_token: str | None = None
        for _page in range(50):  # bounded: 50 pages of 100 versions
            kwargs: dict[str, Any] = {"SecretId": secret_arn, "MaxResults": 100}
            if next_token:
                kwargs["NextToken"] = next_token
            page = sm.list_secret_version_ids(**kwargs)
            for version in page.get("Versions", []):
                if version.get("VersionId") == current:
                    created = _aware(version.get("CreatedDate"))
            next_token = page.get("NextToken")
            if created is not None or not next_token:
                break
    except (ClientError, BotoCoreError) as exc:
        raise _fail(exc, secret_arn, "listing the token's versions") from None
    if created is None:
        raise OperationFailed(f"Secret {secret_arn}: the current version {current} has no creation date.", "Retry; if it persists, report it.")
    moment = now or datetime.now(UTC)
    pending = _version_with(stages, PENDING)
    return TokenAge(
        secret=str(meta.get("ARN") or secret_arn),
        version_id=current,
        created=created,
        age_days=max(0.0, (moment - created).total_seconds() / 86400.0),
        rotation_enabled=bool(meta.get("RotationEnabled")),
        last_rotated=_aware(meta.get("LastRotatedDate")),
        next_rotation=_aware(meta.get("NextRotationDate")),
        rotation_in_progress=pending is not None and pending != current,
    )


def check_timeout(timeout: float) -> float:
    if not 1 <= timeout <= 3600:
        raise ConfigError(f"--timeout must be between 1 and 3600 seconds, not {timeout:g}.", "Pick a timeout such as 300.")
    return timeout


@dataclass(frozen=True)
class RotationResult:
    secret: str
    version_id: str
    previous_version_id: str | None
    seconds: float
    abandoned_version_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["seconds"] = round(self.seconds, 1)
        return data


def abandon_pending(sm: Any, secret_id: str, stages: dict[str, list[str]]) -> str | None:
    """Take AWSPENDING off a version that never became current (a failed rotation). Its value then
    is no longer used by any step, and the next setSecret/finishSecret drops it from the rules."""
    from botocore.exceptions import BotoCoreError, ClientError

    pending = _version_with(stages, PENDING)
    if pending is None or CURRENT in stages.get(pending, []):
        return None
    try:
        sm.update_secret_version_stage(SecretId=secret_id, VersionStage=PENDING, RemoveFromVersionId=pending)
    except (ClientError, BotoCoreError) as exc:
        raise _fail(exc, secret_id, "abandoning the pending version") from None
    return pending


def start_rotation_and_wait(
    secret_arn: str,
    region: str,
    profile: str | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT_S,
    poll_interval: float | None = None,
    abandon_stuck: bool = False,
    factory: ClientFactory | None = None,
    on_progress: Callable[[str], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    log_group: str | None = None,
) -> RotationResult:
    """Start a rotation (RotateSecret) and wait, at most `timeout` seconds, until it finished.

    Finished means the new version carries AWSCURRENT and no longer AWSPENDING.
    Raises OperationFailed on timeout or when the rotation is abandoned; the
    current token keeps working in both cases (the function only drops the old
    value after promoting the new one).
    """
    from botocore.exceptions import BotoCoreError, ClientError

    check_timeout(timeout)
    say = on_progress or (lambda _m: None)
    poll = DEFAULT_POLL_S if poll_interval is None else poll_interval
    sm = _sm(region, profile, factory)
    start = clock()
    meta = _describe(sm, secret_arn, "starting a rotation")
    arn = str(meta.get("ARN") or secret_arn)
    if not meta.get("RotationEnabled"):
        raise OperationFailed(
            f"Secret {arn} has no rotation configured.",
            "Apply the env's stack: it configures the rotation function and schedule.",
        )
    stages: dict[str, list[str]] = meta.get("VersionIdsToStages") or {}
    previous = _version_with(stages, CURRENT)
    stuck = _version_with(stages, PENDING)
    abandoned = None
    if stuck is not None and stuck != previous:
        if not abandon_stuck:
            raise OperationFailed(
                f"A previous rotation of {arn} did not finish (version {stuck} is still AWSPENDING).",
                "See the rotation function's logs; run again with --abandon-pending to drop it and rotate anew.",
            )
        abandoned = abandon_pending(sm, arn, stages)
        say(f"abandoned the unfinished rotation (version {abandoned})")
    version = str(uuid.uuid4())
    try:
        response = sm.rotate_secret(SecretId=arn, ClientRequestToken=version)
    except (ClientError, BotoCoreError) as exc:
        raise _fail(exc, arn, "starting a rotation") from None
    version = str(response.get("VersionId") or version)
    say(f"rotation started: new version {version}")
    seen_pending: list[bool] = [False]

    def finished() -> tuple[bool, list[str]]:
        stages = _describe(sm, arn, "waiting for the rotation").get("VersionIdsToStages") or {}
        now_stages = list(stages.get(version, []))
        if CURRENT in now_stages and PENDING not in now_stages:
            return True, now_stages
        if PENDING in now_stages and not seen_pending[0]:
            seen_pending[0] = True
            say("new version is pending; the rotation function is setting and testing it")
        if seen_pending[0] and not now_stages:
            raise OperationFailed(
                f"The rotation of {arn} was abandoned (version {version} lost AWSPENDING before becoming current).",
                f"The current token still works; see the rotation function's log group {log_group or '(/aws/lambda/<project>-<env>-token-rotation)'} and rotate again.",
            )
        return False, now_stages

    def late(now_stages: list[str]) -> OperationFailed:
        state = ", ".join(now_stages) or "no stage"
        return OperationFailed(
            f"The rotation of {arn} did not finish within {timeout:g} s (version {version}: {state}).",
            f"The current token still works. See the rotation function's log group {log_group or '(/aws/lambda/<project>-<env>-token-rotation)'}; "
            "wait and check `chromactl token age`, or rotate again with --abandon-pending.",
        )

    # the bound counts from the first look, once RotateSecret has returned
    poll_until(finished, timeout_s=timeout, interval_s=poll, clock=Clock(monotonic=clock, sleep=sleep),
               on_timeout=late, min_sleep_s=0.05)
    say("rotation finished: the new token is current and the old one is no longer accepted")
    return RotationResult(secret=arn, version_id=version, previous_version_id=previous, seconds=clock() - start, abandoned_version_id=abandoned)
