"""Secrets Manager rotation function for chromactl's API token (AWS Lambda, Python 3.12).

Chroma 1.x has no authentication of its own, so the ALB is the lock. Terraform owns the HTTPS
listener (its default action answers 401) and the open `GET /api/v2/heartbeat` rule; this
function owns the two token rules on that listener and is the only writer of their values, so no
token value ever belongs to a Terraform resource (a refresh would write it into the state and
every saved plan: hashicorp/terraform #20349, #15477):

- priority 10: header `Authorization` equal to `Bearer <token>`  -> forward to the target group
- priority 20: header `X-Chroma-Token` equal to `<token>`         -> forward to the target group

Before the first rotation the rules do not exist and the listener's default 401 answers every
request but the heartbeat: the env is closed, no known value forwards. Secrets Manager's four
steps, so that clients never see a gap:

- createSecret: draw a new token and store it as the AWSPENDING version.
- setSecret: both rules accept {current, pending} (and the previous token while its grace period
  runs), creating a rule that is missing (a replaced listener), and forward.
- testSecret: through the ALB, a GET of /api/v2/version with the pending token (in either header)
  must pass the rule (200; a 502/503/504 from the ALB still proves it passed, the service may be
  starting) and one without a token must get 401. Not /api/v2/heartbeat: the stack forwards GET
  heartbeat without a token (health probes), so it would prove nothing.
- finishSecret: move AWSCURRENT to the pending version; both rules accept {new current} and, for
  GRACE_SECONDS, the token it replaced (tags on the rules record until when and for which version).

A scheduled event `{"chromactl": "maintain"}` (EventBridge, every few minutes) reconciles: it
re-creates missing rules (a replaced listener or ALB is never closed for good), drops the previous
token once its grace period is over, and logs `ROTATION_STUCK` (a metric filter alarms on it)
when a version stays AWSPENDING too long. It never edits a rule while a rotation is in progress.

A rule holds at most 5 condition values in total (ELB quotas page) and a condition at most 3
(rule condition types page); these rules hold one http-header condition with at most 3 values
(previous in grace, current, pending), and every write is checked against both limits before
it is sent.

Every step is idempotent (a retried step changes nothing twice), a failure in any step leaves the
current token accepted, and a pending value that never made it to AWSCURRENT is dropped by the
next successful setSecret or finishSecret. Token values are never logged or returned.

Configuration (environment variables, set by Terraform):
  LISTENER_ARN       the HTTPS listener whose token rules this function owns
  TARGET_GROUP_ARN   where the rules forward
  ENDPOINT_URL       https://... the ALB's endpoint (plain http only for loopback tests)
  VERIFY_TLS         "true" / "false" (false when the URL's host is not on the certificate)
  TLS_SERVER_NAME    optional: the name on the certificate (the env's domain). The probe then
                     connects to ENDPOINT_URL's host (the ALB's own DNS name) but sends and
                     verifies this name in TLS and as Host, so the test reaches this stack's ALB
                     even while the domain's DNS does not point at it yet (first apply, failover).
Optional: GRACE_SECONDS (3600; 0: the previous token is refused at finishSecret),
STUCK_AFTER_SECONDS (3600), HTTP_TIMEOUT_SECONDS (5), TEST_ATTEMPTS (5),
TEST_RETRY_DELAY_SECONDS (3), TEST_BUDGET_SECONDS (40; never more than the invocation's
remaining time less 5 s), TEST_PATH (/api/v2/version).

Only the standard library and boto3 (both in the Lambda runtime) are imported. The function ships
alone (its zip holds this file only), so it keeps its own copies of what chromactl has one of:
`_error_code` (chromactl.aws.session.error_code), its clock and bounded waits (chromactl.poll) and the
hand-paged ListSecretVersionIds (botocore has no paginator for it, as chromactl.rotation.token says).
"""

from __future__ import annotations

import http.client
import logging
import os
import re
import secrets
import ssl
import string
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

logger = logging.getLogger("chromactl.token_rotation")  # propagates to the Lambda runtime's root handler
logger.setLevel(logging.INFO)

STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")
CURRENT = "AWSCURRENT"
PENDING = "AWSPENDING"
PREVIOUS = "AWSPREVIOUS"
MAINTAIN_EVENT = {"chromactl": "maintain"}

# The ALB compares header values case-insensitively and treats `*` and `?` as
# wildcards; a condition value holds at most 128 characters. So a token is 64
# characters of [a-z0-9] (about 330 bits after case folding), drawn uniformly
# with the `secrets` module (the OS CSPRNG): no character class is forced, no
# extra API call or permission, and the alphabet is exactly the safe one.
TOKEN_LENGTH = 64
TOKEN_ALPHABET = string.ascii_lowercase + string.digits
TOKEN_RE = re.compile(r"^[a-z0-9]{64}$")
ALB_VALUE_MAX = 128
# "Condition values per rule: 5" (ELB quotas page,
# https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html).
ALB_CONDITION_VALUES_MAX = 5
# "You can specify up to three match evaluations per condition" (Listener rule condition types,
# https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-condition-types.html).
ALB_VALUES_PER_CONDITION_MAX = 3

# The token rules this function owns, by header: (priority, header name as written).
AUTH_RULES = {"authorization": (10, "Authorization"), "x-chroma-token": (20, "X-Chroma-Token")}
GRACE_UNTIL_TAG = "chromactl:grace-until"  # epoch seconds: the previous token is refused after it
GRACE_FOR_TAG = "chromactl:grace-for"  # the AWSCURRENT version id the grace was granted with
STUCK_MARK = "ROTATION_STUCK"  # the rotation log group's metric filter counts this word

BEARER_HEADER = "authorization"
TOKEN_HEADER = "x-chroma-token"
DEFAULT_TEST_PATH = "/api/v2/version"  # cheap, behind the token rules (heartbeat is not)
OPEN_PATHS = ("/api/v2/heartbeat",)
# A request that passed the auth rule reaches the target group; when the service
# is still starting the ALB itself answers one of these. Only the listener's
# default action (and the rules' uninitialised fixed response) answers 401.
PASSED_RULE = frozenset({200, 502, 503, 504})

_CLIENT_REQUEST_TOKEN_RE = re.compile(r"^[A-Za-z0-9-]{32,64}$")
_SECRET_ARN_RE = re.compile(r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$")
_LISTENER_ARN_RE = re.compile(r"^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:listener/app/[^/]+/[0-9a-f]+/[0-9a-f]+$")
_TG_ARN_RE = re.compile(r"^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup/.+$")
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_HOSTNAME_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")


class RotationError(Exception):
    """A step cannot proceed; Secrets Manager marks the rotation failed and retries it."""


def new_token() -> str:
    """A fresh token: 64 characters drawn uniformly from [a-z0-9]."""
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH))


def is_token(value: object) -> bool:
    return isinstance(value, str) and bool(TOKEN_RE.match(value))


def _env_number(environ: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise RotationError(f"{name} must be a number, not {raw!r}.") from None
    if not low <= value <= high:
        raise RotationError(f"{name} must be between {low:g} and {high:g}, not {value:g}.")
    return value


@dataclass(frozen=True)
class Settings:
    listener_arn: str
    target_group_arn: str
    endpoint_url: str
    verify_tls: bool = True
    http_timeout: float = 5.0
    test_attempts: int = 5
    test_retry_delay: float = 3.0
    test_budget: float = 40.0
    test_path: str = DEFAULT_TEST_PATH
    tls_server_name: str | None = None
    grace_seconds: float = 3600.0
    stuck_after_seconds: float = 3600.0
    secret_arn: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        missing = [k for k in ("LISTENER_ARN", "TARGET_GROUP_ARN", "ENDPOINT_URL") if not env.get(k, "").strip()]
        if missing:
            raise RotationError(f"Missing environment variables: {', '.join(missing)}.")
        listener = env["LISTENER_ARN"].strip()
        if not _LISTENER_ARN_RE.match(listener):
            raise RotationError(f"LISTENER_ARN is not an Application Load Balancer listener ARN: {listener!r}.")
        secret_arn = env.get("SECRET_ARN", "").strip() or None
        if secret_arn is not None and not _SECRET_ARN_RE.match(secret_arn):
            raise RotationError(f"SECRET_ARN is not a Secrets Manager secret ARN: {secret_arn!r}.")
        tg = env["TARGET_GROUP_ARN"].strip()
        if not _TG_ARN_RE.match(tg):
            raise RotationError(f"TARGET_GROUP_ARN is not a target group ARN: {tg!r}.")
        url = env["ENDPOINT_URL"].strip().rstrip("/")
        parts = urllib.parse.urlsplit(url)
        if parts.scheme == "http" and parts.hostname not in _LOOPBACK:
            raise RotationError("ENDPOINT_URL must be https:// (the token must not cross the network in clear text).")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise RotationError(f"ENDPOINT_URL is not an http(s) URL: {url!r}.")
        verify_raw = env.get("VERIFY_TLS", "true").strip().lower()
        if verify_raw not in ("true", "false", "1", "0", "yes", "no"):
            raise RotationError(f"VERIFY_TLS must be true or false, not {verify_raw!r}.")
        server_name = env.get("TLS_SERVER_NAME", "").strip().rstrip(".").lower() or None
        if server_name is not None:
            if not _HOSTNAME_RE.match(server_name):
                raise RotationError(f"TLS_SERVER_NAME is not a DNS name: {server_name!r}.")
            if parts.scheme != "https":
                raise RotationError("TLS_SERVER_NAME needs an https:// ENDPOINT_URL.")
        path = env.get("TEST_PATH", "").strip() or DEFAULT_TEST_PATH
        if not re.match(r"^/api/v2/[a-z0-9/_-]+$", path) or path.rstrip("/") in OPEN_PATHS:
            raise RotationError(f"TEST_PATH must be an /api/v2/ path behind the token rules, not {path!r}.")
        return cls(
            listener_arn=listener,
            target_group_arn=tg,
            endpoint_url=url,
            verify_tls=verify_raw in ("true", "1", "yes"),
            http_timeout=_env_number(env, "HTTP_TIMEOUT_SECONDS", 5.0, 0.1, 60),
            test_attempts=int(_env_number(env, "TEST_ATTEMPTS", 5, 1, 20)),
            test_retry_delay=_env_number(env, "TEST_RETRY_DELAY_SECONDS", 3.0, 0, 60),
            test_budget=_env_number(env, "TEST_BUDGET_SECONDS", 40.0, 1, 840),
            test_path=path,
            tls_server_name=server_name,
            grace_seconds=_env_number(env, "GRACE_SECONDS", 3600, 0, 7 * 86400),
            stuck_after_seconds=_env_number(env, "STUCK_AFTER_SECONDS", 3600, 60, 7 * 86400),
            secret_arn=secret_arn,
        )


def _client(service: str) -> Any:
    config = Config(connect_timeout=5, read_timeout=15, retries={"max_attempts": 4, "mode": "standard"})
    return boto3.client(service, config=config)


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def validate_event(event: Any) -> tuple[str, str, str]:
    """(secret ARN, client request token, step) from a Secrets Manager rotation event."""
    if not isinstance(event, dict):
        raise RotationError("The event is not a JSON object.")
    arn, token, step = event.get("SecretId"), event.get("ClientRequestToken"), event.get("Step")
    if not isinstance(arn, str) or not _SECRET_ARN_RE.match(arn):
        raise RotationError("The event's SecretId is not a Secrets Manager secret ARN.")
    if not isinstance(token, str) or not _CLIENT_REQUEST_TOKEN_RE.match(token):
        raise RotationError("The event's ClientRequestToken is not a valid version id.")
    if step not in STEPS:
        raise RotationError(f"The event's Step must be one of {', '.join(STEPS)}.")
    return arn, token, step


class Rotation:
    """One rotation of one secret: the four steps against Secrets Manager and the ALB rules."""

    def __init__(
        self,
        arn: str,
        token: str,
        settings: Settings,
        sm: Any,
        elb: Any,
        remaining_s: float | None = None,
        clock: Any = time.time,
    ):
        self.arn = arn
        self.token = token
        self.settings = settings
        self.sm = sm
        self.elb = elb
        self.clock = clock
        # testSecret must end (and say why) before Lambda kills the invocation.
        budget = settings.test_budget if remaining_s is None else min(settings.test_budget, remaining_s - 5.0)
        self.test_deadline = time.monotonic() + max(1.0, budget)
        self.rules = AuthRules(elb, settings.listener_arn, settings.target_group_arn)

    # -- entry ---------------------------------------------------------------
    def run(self, step: str) -> None:
        meta = self.sm.describe_secret(SecretId=self.arn)
        if not meta.get("RotationEnabled"):
            raise RotationError(f"Secret {self.arn} does not have rotation enabled.")
        versions: dict[str, list[str]] = meta.get("VersionIdsToStages") or {}
        stages = versions.get(self.token)
        if stages is None:
            # Secrets Manager normally creates the AWSPENDING placeholder before
            # calling us; createSecret may also make the version itself (the
            # very first rotation of a secret created with no value).
            if step != "createSecret":
                raise RotationError(f"Secret version {self.token} does not exist for {self.arn}.")
        elif CURRENT in stages and PENDING not in stages:
            if step == "finishSecret":
                # Finished before; make sure the rules carry the current token (and the previous in grace).
                logger.info("finishSecret: version %s is already AWSCURRENT; checking the rules.", self.token)
                self._apply([self._required_current_token(), *self._previous_in_grace(self.token)], "finishSecret")
                return
            logger.info("%s: version %s is already AWSCURRENT for %s; nothing to do.", step, self.token, self.arn)
            return
        elif PENDING not in stages:
            raise RotationError(f"Secret version {self.token} is not AWSPENDING for {self.arn} (stages: {stages}).")
        getattr(self, {"createSecret": "create", "setSecret": "set", "testSecret": "test", "finishSecret": "finish"}[step])()

    # -- the four steps --------------------------------------------------------
    def create(self) -> None:
        try:
            existing = self.sm.get_secret_value(SecretId=self.arn, VersionId=self.token, VersionStage=PENDING)
        except ClientError as exc:
            if _error_code(exc) != "ResourceNotFoundException":
                raise
        else:
            if not is_token(existing.get("SecretString")):
                raise RotationError(f"The AWSPENDING value of version {self.token} is not a 64-character [a-z0-9] token.")
            logger.info("createSecret: version %s already holds a pending token; nothing to do.", self.token)
            return
        # The first version of a secret also gets AWSCURRENT from Secrets Manager
        # itself (there is no current yet); the later steps handle that case.
        self.sm.put_secret_value(
            SecretId=self.arn, ClientRequestToken=self.token, SecretString=new_token(), VersionStages=[PENDING]
        )
        logger.info("createSecret: stored a new token as version %s (AWSPENDING).", self.token)

    def set(self) -> None:
        pending = self._pending_token()
        current = self._current_token(required=False)
        current_id = self._version_with(CURRENT)
        previous = self._previous_in_grace(current_id) if current_id and current_id != self.token else []
        accepted = [t for t in (current, pending) if t is not None] + previous
        self._apply(accepted, "setSecret")

    def test(self) -> None:
        pending = self._pending_token()
        probe = Probe(self.settings, self.test_deadline)
        last = ""
        attempt = 0
        while attempt < self.settings.test_attempts:
            attempt += 1
            bearer = probe.status({"Authorization": f"Bearer {pending}"})
            header = probe.status({"X-Chroma-Token": pending})
            anonymous = probe.status({})
            ok = bearer in PASSED_RULE and header in PASSED_RULE and anonymous == 401
            last = f"bearer={_show(bearer)} x-chroma-token={_show(header)} no-token={_show(anonymous)}"
            logger.info("testSecret attempt %d/%d: %s", attempt, self.settings.test_attempts, last)
            if ok:
                return
            pause = self.settings.test_retry_delay
            if attempt >= self.settings.test_attempts or time.monotonic() + pause + 1.0 >= self.test_deadline:
                break
            time.sleep(pause)
        raise RotationError(
            f"testSecret failed after {attempt} attempts ({last}); the current token stays accepted. "
            "Next: fix the cause named here, then `chromactl token rotate --abandon-pending`."
        )

    def finish(self) -> None:
        current_id = self._version_with(CURRENT)
        if current_id != self.token:
            kwargs = {"SecretId": self.arn, "VersionStage": CURRENT, "MoveToVersionId": self.token}
            if current_id:
                kwargs["RemoveFromVersionId"] = current_id
            self.sm.update_secret_version_stage(**kwargs)
            logger.info("finishSecret: AWSCURRENT moved from %s to %s.", current_id or "(none)", self.token)
        # The token just replaced (now AWSPREVIOUS) stays accepted for the grace period, which
        # starts now (once per version: a retried finishSecret does not extend it).
        previous = self._grace_for_new_current()
        # Rules first, then AWSPENDING off: a failure in between is retried with
        # the version still pending, so this step runs again in full.
        self._apply([self._required_current_token(), *previous], "finishSecret")
        self.sm.update_secret_version_stage(SecretId=self.arn, VersionStage=PENDING, RemoveFromVersionId=self.token)
        logger.info("finishSecret: rotation of %s to version %s complete.", self.arn, self.token)

    # -- helpers -------------------------------------------------------------
    def _version_with(self, label: str) -> str | None:
        versions = (self.sm.describe_secret(SecretId=self.arn).get("VersionIdsToStages") or {}).items()
        return next((v for v, s in versions if label in s), None)

    def _grace_for_new_current(self) -> list[str]:
        if self.settings.grace_seconds <= 0:
            return []
        grace = self.rules.grace()
        if grace is None or grace[1] != self.token:
            until = int(self.clock() + self.settings.grace_seconds)
            self.rules.pending_grace = (until, self.token)
            logger.info("finishSecret: the previous token stays accepted for %d s.", int(self.settings.grace_seconds))
        return self._previous_in_grace(self.token)

    def _previous_in_grace(self, current_id: str | None) -> list[str]:
        """[the AWSPREVIOUS token] while the grace granted with `current_id` runs, else []."""
        if self.settings.grace_seconds <= 0 or current_id is None:
            return []
        grace = self.rules.pending_grace or self.rules.grace()
        if grace is None or grace[1] != current_id or self.clock() >= grace[0]:
            return []
        try:
            value = self.sm.get_secret_value(SecretId=self.arn, VersionStage=PREVIOUS).get("SecretString")
        except ClientError as exc:
            if _error_code(exc) == "ResourceNotFoundException":
                return []
            raise
        return [value] if is_token(value) else []

    def _pending_token(self) -> str:
        value = self.sm.get_secret_value(SecretId=self.arn, VersionId=self.token, VersionStage=PENDING).get("SecretString")
        if not is_token(value):
            raise RotationError(f"The AWSPENDING value of version {self.token} is not a 64-character [a-z0-9] token.")
        return value

    def _required_current_token(self) -> str:
        value = self._current_token(required=True)
        assert value is not None  # required=True raises instead
        return value

    def _current_token(self, required: bool = True) -> str | None:
        try:
            value = self.sm.get_secret_value(SecretId=self.arn, VersionStage=CURRENT).get("SecretString")
        except ClientError as exc:
            if _error_code(exc) == "ResourceNotFoundException" and not required:
                return None
            raise
        if not is_token(value):
            if required:
                raise RotationError("The AWSCURRENT value is not a 64-character [a-z0-9] token; refusing to put it in a rule.")
            # Never put a malformed value (a `*` would match anything) in a rule.
            logger.warning("The AWSCURRENT value is not a 64-character [a-z0-9] token; it is left out of the rules.")
            return None
        return value

    def _apply(self, tokens: list[str], step: str) -> None:
        tokens = list(dict.fromkeys(tokens))
        if not tokens or not all(is_token(t) for t in tokens):
            raise RotationError("Refusing to write a rule without valid tokens.")
        for header, changed in self.rules.ensure(tokens).items():
            logger.info("%s: %s rule %s (%d accepted token(s)).", step, AUTH_RULES[header][1], changed, len(tokens))


def maintain(sm: Any, elb: Any, settings: Settings, secret_id: str, clock: Any = time.time) -> dict[str, Any]:
    """The scheduled reconcile: re-create missing rules, end the previous token's grace period,
    flag a rotation stuck in AWSPENDING. Returns a summary without any token value."""
    meta = sm.describe_secret(SecretId=secret_id)
    arn = str(meta.get("ARN") or secret_id)
    stages: dict[str, list[str]] = meta.get("VersionIdsToStages") or {}
    current_id = next((v for v, s in stages.items() if CURRENT in s), None)
    pending_id = next((v for v, s in stages.items() if PENDING in s and CURRENT not in s), None)
    summary: dict[str, Any] = {"secret": arn, "current_version": current_id, "rotation_in_progress": pending_id is not None}
    if pending_id is not None:
        created = _version_created(sm, arn, pending_id)
        age = None if created is None else clock() - created
        summary["pending_age_s"] = None if age is None else round(age)
        if age is not None and age >= settings.stuck_after_seconds:
            logger.error(
                "%s: version %s of %s has been AWSPENDING for %d s. The current token still works; "
                "read this log group, then run `chromactl token rotate --abandon-pending`.",
                STUCK_MARK, pending_id, arn, int(age),
            )
            summary["stuck"] = True
    if current_id is None:
        logger.info("maintain: %s has no current token yet; the listener stays closed (default 401).", arn)
        summary["rules"] = "none (no token yet)"
        return summary
    rotation = Rotation(arn, current_id, settings, sm, elb, clock=clock)
    if pending_id is not None:
        if len(rotation.rules.find()) == len(AUTH_RULES):
            summary["rules"] = "left alone (rotation in progress)"
            return summary
        # A rule went missing during a rotation (replaced listener): re-create it as setSecret would.
        Rotation(arn, pending_id, settings, sm, elb, clock=clock).set()
        summary["rules"] = "re-created (rotation in progress)"
        return summary
    accepted = list(dict.fromkeys([rotation._required_current_token(), *rotation._previous_in_grace(current_id)]))
    changes = rotation.rules.ensure(accepted)
    summary["rules"] = changes
    summary["accepted_tokens"] = len(accepted)
    logger.info("maintain: %s; %d token(s) accepted.", ", ".join(f"{AUTH_RULES[h][1]} rule {c}" for h, c in changes.items()), len(accepted))
    return summary


def _version_created(sm: Any, arn: str, version_id: str) -> float | None:
    next_token: str | None = None
    for _page in range(20):  # bounded: 20 pages of 100 versions
        kwargs: dict[str, Any] = {"SecretId": arn, "MaxResults": 100, "IncludeDeprecated": False}
        if next_token:
            kwargs["NextToken"] = next_token
        page = sm.list_secret_version_ids(**kwargs)
        for v in page.get("Versions", []):
            if v.get("VersionId") == version_id and v.get("CreatedDate") is not None:
                created = v["CreatedDate"]
                return float(created.timestamp()) if hasattr(created, "timestamp") else float(created)
        next_token = page.get("NextToken")
        if not next_token:
            return None
    return None


def _show(status: int | None) -> str:
    return "no answer" if status is None else str(status)


def rule_values(header_name: str, tokens: list[str]) -> list[str]:
    """The condition values for a rule on `header_name`: the whole header value."""
    name = header_name.lower()
    if name == BEARER_HEADER:
        values = [f"Bearer {t}" for t in tokens]
    elif name == TOKEN_HEADER:
        values = list(tokens)
    else:
        raise RotationError(f"An auth rule matches header {header_name!r}; expected Authorization or X-Chroma-Token.")
    for v in values:
        if len(v) > ALB_VALUE_MAX or "*" in v or "?" in v:
            raise RotationError("A rule value would exceed 128 characters or contain a wildcard.")
    return values


def condition_value_count(conditions: list[dict[str, Any]]) -> int:
    """Condition values a rule's conditions hold in total, as the ALB counts them against its quota."""
    total = 0
    for cond in conditions:
        configs = [v for k, v in cond.items() if k.endswith("Config") and isinstance(v, dict)]
        if configs:
            for cfg in configs:
                total += len(cfg.get("Values") or [])
        else:
            total += len(cond.get("Values") or [])
    return total


def _auth_header(rule: dict[str, Any]) -> str | None:
    """The auth header (lower case) a rule matches on, or None for any other rule."""
    for c in rule.get("Conditions") or []:
        if c.get("Field") == "http-header":
            name = str((c.get("HttpHeaderConfig") or {}).get("HttpHeaderName", "")).lower()
            if name in AUTH_RULES:
                return name
    return None


class AuthRules:
    """The two token rules on the listener: found by their header, created when missing."""

    def __init__(self, elb: Any, listener_arn: str, target_group_arn: str):
        self.elb = elb
        self.listener_arn = listener_arn
        self.target_group_arn = target_group_arn
        self.pending_grace: tuple[int, str] | None = None  # (until, version) to write with the next ensure()

    def _all(self) -> list[dict[str, Any]]:
        rules: list[dict[str, Any]] = []
        marker: str | None = None
        for _page in range(20):  # bounded: a listener holds at most 100 rules (ELB quotas page)
            kwargs: dict[str, Any] = {"ListenerArn": self.listener_arn, "PageSize": 400}
            if marker:
                kwargs["Marker"] = marker
            try:
                page = self.elb.describe_rules(**kwargs)
            except ClientError as exc:
                if _error_code(exc) == "ListenerNotFound":
                    raise RotationError(
                        f"Listener {self.listener_arn} was not found: apply the stack (it sets LISTENER_ARN)."
                    ) from None
                raise
            rules.extend(page.get("Rules") or [])
            marker = page.get("NextMarker")
            if not marker:
                break
        return rules

    def find(self) -> dict[str, dict[str, Any]]:
        """{header: rule} for the token rules on the listener. A second rule on the same header or
        a foreign rule at one of their priorities is refused (someone else edits this listener)."""
        found: dict[str, dict[str, Any]] = {}
        by_priority = {str(r.get("Priority")): r for r in self._all()}
        for header, (priority, _name) in AUTH_RULES.items():
            rule = by_priority.get(str(priority))
            if rule is None:
                continue
            if _auth_header(rule) != header:
                raise RotationError(
                    f"Priority {priority} on listener {self.listener_arn} holds a rule that is not the {AUTH_RULES[header][1]} token rule; "
                    "remove it (the rotation function owns priorities 10 and 20)."
                )
            found[header] = rule
        for rule in by_priority.values():
            header = _auth_header(rule)
            if header is not None and found.get(header, {}).get("RuleArn") != rule.get("RuleArn"):
                raise RotationError(
                    f"Listener {self.listener_arn} has a second {AUTH_RULES[header][1]} rule ({rule.get('RuleArn')}) "
                    f"at priority {rule.get('Priority')}; delete it (only priorities 10 and 20 are the token rules)."
                )
        return found

    def grace(self) -> tuple[int, str] | None:
        """(until, version) of the previous token's grace period, from the rules' tags."""
        rules = self.find()
        arns = [r["RuleArn"] for r in rules.values()]
        if not arns:
            return None
        descriptions = self.elb.describe_tags(ResourceArns=arns).get("TagDescriptions") or []
        for desc in descriptions:
            tags = {t.get("Key"): t.get("Value") for t in desc.get("Tags") or []}
            until, version = tags.get(GRACE_UNTIL_TAG), tags.get(GRACE_FOR_TAG)
            if until and version and until.isdigit():
                return int(until), version
        return None

    def _forwards(self, rule: dict[str, Any]) -> bool:
        actions = rule.get("Actions") or []
        return (
            len(actions) == 1
            and actions[0].get("Type") == "forward"
            and (
                actions[0].get("TargetGroupArn") == self.target_group_arn
                or [t.get("TargetGroupArn") for t in (actions[0].get("ForwardConfig") or {}).get("TargetGroups") or []]
                == [self.target_group_arn]
            )
        )

    def ensure(self, tokens: list[str]) -> dict[str, str]:
        """Both rules accept exactly `tokens` and forward; {header: created|updated|unchanged}."""
        found = self.find()
        result: dict[str, str] = {}
        for header, (priority, name) in AUTH_RULES.items():
            wanted = rule_values(name, tokens)
            conditions = [{"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": name, "Values": wanted}}]
            if len(wanted) > ALB_VALUES_PER_CONDITION_MAX:
                raise RotationError(
                    f"The {name} rule would compare {len(wanted)} values; an ALB condition takes at most {ALB_VALUES_PER_CONDITION_MAX}."
                )
            count = condition_value_count(conditions)
            if count > ALB_CONDITION_VALUES_MAX:
                raise RotationError(
                    f"The {name} rule would hold {count} condition values; an ALB rule holds at most {ALB_CONDITION_VALUES_MAX}."
                )
            actions = [{"Type": "forward", "TargetGroupArn": self.target_group_arn}]
            rule = found.get(header)
            if rule is None:
                try:
                    created = self.elb.create_rule(
                        ListenerArn=self.listener_arn, Priority=priority, Conditions=conditions, Actions=actions
                    )
                except ClientError as exc:
                    if _error_code(exc) != "PriorityInUse":
                        raise
                    # Created concurrently (a rotation step and the schedule): write it as wanted.
                    rule = self.find().get(header)
                    if rule is None:
                        raise
                else:
                    result[header] = "created"
                    rule = (created.get("Rules") or [{}])[0]
                    found[header] = rule
                    continue
            have = []
            for c in rule.get("Conditions") or []:
                if c.get("Field") == "http-header":
                    have = list((c.get("HttpHeaderConfig") or {}).get("Values") or [])
            if (
                self._forwards(rule)
                and len(rule.get("Conditions") or []) == 1
                and len(have) == len(set(have))
                and sorted(have) == sorted(wanted)
            ):
                result[header] = "unchanged"
                continue
            self.elb.modify_rule(RuleArn=rule["RuleArn"], Conditions=conditions, Actions=actions)
            result[header] = "updated"
        if self.pending_grace is not None:
            until, version = self.pending_grace
            arns = [r["RuleArn"] for r in found.values() if r.get("RuleArn")]
            self.elb.add_tags(
                ResourceArns=arns,
                Tags=[{"Key": GRACE_UNTIL_TAG, "Value": str(until)}, {"Key": GRACE_FOR_TAG, "Value": version}],
            )
            self.pending_grace = None
        return result


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # a redirect is an answer, not something to follow with a token


class _ServerNameHTTPSHandler(urllib.request.HTTPSHandler):
    """HTTPS to the URL's host, with `server_name` as the TLS server name (SNI and the name the
    certificate is verified against) instead of that host."""

    def __init__(self, context: ssl.SSLContext, server_name: str):
        super().__init__(context=context)
        self._tls_context = context
        self._server_name = server_name

    def https_open(self, req):  # type: ignore[no-untyped-def]
        context, server_name = self._tls_context, self._server_name

        class _Connection(http.client.HTTPSConnection):
            def connect(self) -> None:
                http.client.HTTPConnection.connect(self)  # TCP to the URL's host (the ALB)
                self.sock = context.wrap_socket(self.sock, server_hostname=server_name)

        return self.do_open(_Connection, req, context=context)


class Probe:
    """GET the heartbeat through the ALB with given headers; the status, or None if nothing answered."""

    def __init__(self, settings: Settings, deadline: float | None = None):
        self.url = settings.endpoint_url + settings.test_path
        self.timeout = settings.http_timeout
        self.deadline = deadline
        context = ssl.create_default_context()
        if not settings.verify_tls:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        self.host_header: dict[str, str] = {}
        if settings.tls_server_name:
            https: urllib.request.HTTPSHandler = _ServerNameHTTPSHandler(context, settings.tls_server_name)
            self.host_header = {"Host": settings.tls_server_name}
        else:
            https = urllib.request.HTTPSHandler(context=context)
        self.opener = urllib.request.build_opener(_NoRedirect(), https)

    def status(self, headers: dict[str, str]) -> int | None:
        timeout = self.timeout
        if self.deadline is not None:
            timeout = min(timeout, self.deadline - time.monotonic())
            if timeout <= 0.05:
                return None
        request = urllib.request.Request(self.url, headers={"User-Agent": "chromactl-token-rotation", **self.host_header, **headers}, method="GET")
        try:
            with self.opener.open(request, timeout=timeout) as response:
                response.read(4096)
                return int(response.status)
        except urllib.error.HTTPError as exc:
            exc.close()
            return int(exc.code)
        except (urllib.error.URLError, OSError) as exc:
            # The reason names the failure (refused, timeout, TLS), never a header.
            logger.info("testSecret: no answer from the endpoint (%s).", type(getattr(exc, "reason", exc)).__name__)
            return None


def lambda_handler(event: Any, context: Any) -> dict[str, Any] | None:
    """Entry point. Secrets Manager calls it once per step with SecretId, ClientRequestToken, Step;
    the EventBridge schedule calls it with {"chromactl": "maintain"} (returns a summary, no value)."""
    if event == MAINTAIN_EVENT:
        settings = Settings.from_env()
        if settings.secret_arn is None:
            raise RotationError("SECRET_ARN is not set: the scheduled maintenance needs the token secret's ARN.")
        return maintain(_client("secretsmanager"), _client("elbv2"), settings, settings.secret_arn)
    arn, token, step = validate_event(event)
    settings = Settings.from_env()
    logger.info("%s: secret %s, version %s.", step, arn, token)
    remaining = None
    if context is not None and hasattr(context, "get_remaining_time_in_millis"):
        remaining = context.get_remaining_time_in_millis() / 1000.0
    Rotation(arn, token, settings, _client("secretsmanager"), _client("elbv2"), remaining).run(step)
    return None
