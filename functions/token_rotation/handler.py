"""Secrets Manager rotation function for chromactl's API token (AWS Lambda, Python 3.12).

Chroma 1.x has no authentication of its own, so the ALB is the lock: two listener
rules forward a request only when its `Authorization: Bearer <token>` or
`X-Chroma-Token: <token>` header carries an accepted value; the listener's default
action answers 401. This function rotates that token with Secrets Manager's four
steps, so that clients never see a gap:

- createSecret: draw a new token and store it as the AWSPENDING version.
- setSecret: both rules accept exactly {current, pending} and forward to the
  target group (the current token keeps working, the pending one starts to).
- testSecret: through the ALB, a GET of /api/v2/version with the pending token
  (in either header) must pass the rule (200; a 502/503/504 from the ALB still
  proves it passed, the service may be starting) and one without a token must get
  401. Not /api/v2/heartbeat: the stack forwards GET heartbeat without a token
  (health probes), so it would prove nothing.
- finishSecret: move AWSCURRENT to the pending version, then both rules accept
  exactly {new current}.

Every step is idempotent (a retried step changes nothing twice), a failure in
any step leaves the current token accepted, and a pending value that never made
it to AWSCURRENT is dropped by the next successful setSecret or finishSecret.
Token values are never logged.

Configuration (environment variables, set by Terraform):
  AUTH_RULE_ARNS     comma-separated listener-rule ARNs (bearer rule, header rule)
  TARGET_GROUP_ARN   where the rules forward once a token exists
  ENDPOINT_URL       https://... the ALB's endpoint (plain http only for loopback tests)
  VERIFY_TLS         "true" / "false" (false when the URL's host is not on the certificate)
  TLS_SERVER_NAME    optional: the name on the certificate (the env's domain). The probe then
                     connects to ENDPOINT_URL's host (the ALB's own DNS name) but sends and
                     verifies this name in TLS and as Host, so the test reaches this stack's ALB
                     even while the domain's DNS does not point at it yet (first apply, failover).
Optional: HTTP_TIMEOUT_SECONDS (5), TEST_ATTEMPTS (5), TEST_RETRY_DELAY_SECONDS (3),
TEST_BUDGET_SECONDS (40; never more than the invocation's remaining time less 5 s),
TEST_PATH (/api/v2/version).

Only the standard library and boto3 (both in the Lambda runtime) are imported.
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

# The ALB compares header values case-insensitively and treats `*` and `?` as
# wildcards; a condition value holds at most 128 characters. So a token is 64
# characters of [a-z0-9] (about 330 bits after case folding), drawn uniformly
# with the `secrets` module (the OS CSPRNG): no character class is forced, no
# extra API call or permission, and the alphabet is exactly the safe one.
TOKEN_LENGTH = 64
TOKEN_ALPHABET = string.ascii_lowercase + string.digits
TOKEN_RE = re.compile(r"^[a-z0-9]{64}$")
ALB_VALUE_MAX = 128

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
_RULE_ARN_RE = re.compile(r"^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:listener-rule/app/.+$")
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
    rule_arns: tuple[str, ...]
    target_group_arn: str
    endpoint_url: str
    verify_tls: bool = True
    http_timeout: float = 5.0
    test_attempts: int = 5
    test_retry_delay: float = 3.0
    test_budget: float = 40.0
    test_path: str = DEFAULT_TEST_PATH
    tls_server_name: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        missing = [k for k in ("AUTH_RULE_ARNS", "TARGET_GROUP_ARN", "ENDPOINT_URL") if not env.get(k, "").strip()]
        if missing:
            raise RotationError(f"Missing environment variables: {', '.join(missing)}.")
        rules = tuple(a.strip() for a in env["AUTH_RULE_ARNS"].split(",") if a.strip())
        bad = [a for a in rules if not _RULE_ARN_RE.match(a)]
        if not rules or bad:
            raise RotationError(f"AUTH_RULE_ARNS must list ALB listener-rule ARNs; not valid: {bad or 'empty'}.")
        if len(set(rules)) != len(rules):
            raise RotationError("AUTH_RULE_ARNS lists a rule twice.")
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
            rule_arns=rules,
            target_group_arn=tg,
            endpoint_url=url,
            verify_tls=verify_raw in ("true", "1", "yes"),
            http_timeout=_env_number(env, "HTTP_TIMEOUT_SECONDS", 5.0, 0.1, 60),
            test_attempts=int(_env_number(env, "TEST_ATTEMPTS", 5, 1, 20)),
            test_retry_delay=_env_number(env, "TEST_RETRY_DELAY_SECONDS", 3.0, 0, 60),
            test_budget=_env_number(env, "TEST_BUDGET_SECONDS", 40.0, 1, 840),
            test_path=path,
            tls_server_name=server_name,
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

    def __init__(self, arn: str, token: str, settings: Settings, sm: Any, elb: Any, remaining_s: float | None = None):
        self.arn = arn
        self.token = token
        self.settings = settings
        self.sm = sm
        self.elb = elb
        # testSecret must end (and say why) before Lambda kills the invocation.
        budget = settings.test_budget if remaining_s is None else min(settings.test_budget, remaining_s - 5.0)
        self.test_deadline = time.monotonic() + max(1.0, budget)

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
                # Finished before; make sure the rules carry only the current token.
                logger.info("finishSecret: version %s is already AWSCURRENT; checking the rules.", self.token)
                self._apply_rules([self._required_current_token()], "finishSecret")
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
        accepted = [t for t in (current, pending) if t is not None]
        self._apply_rules(list(dict.fromkeys(accepted)), "setSecret")

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
            f"testSecret failed after {attempt} attempts ({last}); the current token stays accepted."
        )

    def finish(self) -> None:
        meta = self.sm.describe_secret(SecretId=self.arn)
        current_id = next((v for v, s in (meta.get("VersionIdsToStages") or {}).items() if CURRENT in s), None)
        if current_id != self.token:
            kwargs = {"SecretId": self.arn, "VersionStage": CURRENT, "MoveToVersionId": self.token}
            if current_id:
                kwargs["RemoveFromVersionId"] = current_id
            self.sm.update_secret_version_stage(**kwargs)
            logger.info("finishSecret: AWSCURRENT moved from %s to %s.", current_id or "(none)", self.token)
        # Rules first, then AWSPENDING off: a failure in between is retried with
        # the version still pending, so this step runs again in full.
        self._apply_rules([self._required_current_token()], "finishSecret")
        self.sm.update_secret_version_stage(SecretId=self.arn, VersionStage=PENDING, RemoveFromVersionId=self.token)
        logger.info("finishSecret: rotation of %s to version %s complete.", self.arn, self.token)

    # -- helpers -------------------------------------------------------------
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

    def _apply_rules(self, tokens: list[str], step: str) -> None:
        if not tokens or not all(is_token(t) for t in tokens):
            raise RotationError("Refusing to write a rule without valid tokens.")
        for rule_arn in self.settings.rule_arns:
            changed = ensure_rule(self.elb, rule_arn, tokens, self.settings.target_group_arn)
            logger.info("%s: rule %s %s (%d accepted token(s)).", step, rule_arn, "updated" if changed else "unchanged", len(tokens))


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


def _auth_condition(rule: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    found = [
        (i, c)
        for i, c in enumerate(rule.get("Conditions") or [])
        if c.get("Field") == "http-header"
        and str((c.get("HttpHeaderConfig") or {}).get("HttpHeaderName", "")).lower() in (BEARER_HEADER, TOKEN_HEADER)
    ]
    if len(found) != 1:
        raise RotationError(f"Rule {rule.get('RuleArn')} must have exactly one Authorization or X-Chroma-Token condition.")
    return found[0]


def _clean_condition(cond: dict[str, Any]) -> dict[str, Any]:
    """A described condition as ModifyRule accepts it (the typed config, not the legacy Values)."""
    out = {k: v for k, v in cond.items() if k != "Values"}
    if len(out) == 1 and cond.get("Values"):
        out["Values"] = cond["Values"]
    return out


def ensure_rule(elb: Any, rule_arn: str, tokens: list[str], target_group_arn: str) -> bool:
    """Make the rule accept exactly `tokens` and forward; True if it had to change."""
    rules = elb.describe_rules(RuleArns=[rule_arn]).get("Rules") or []
    if len(rules) != 1:
        raise RotationError(f"Listener rule {rule_arn} was not found.")
    rule = rules[0]
    index, cond = _auth_condition(rule)
    header_name = cond["HttpHeaderConfig"]["HttpHeaderName"]
    wanted = rule_values(header_name, tokens)
    have = list(cond["HttpHeaderConfig"].get("Values") or [])
    actions = rule.get("Actions") or []
    forwards = (
        len(actions) == 1
        and actions[0].get("Type") == "forward"
        and (
            actions[0].get("TargetGroupArn") == target_group_arn
            or [t.get("TargetGroupArn") for t in (actions[0].get("ForwardConfig") or {}).get("TargetGroups") or []]
            == [target_group_arn]
        )
    )
    if forwards and len(have) == len(set(have)) and sorted(have) == sorted(wanted):
        return False
    conditions = [_clean_condition(c) for i, c in enumerate(rule.get("Conditions") or []) if i != index]
    conditions.append({"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": header_name, "Values": wanted}})
    elb.modify_rule(RuleArn=rule_arn, Conditions=conditions, Actions=[{"Type": "forward", "TargetGroupArn": target_group_arn}])
    return True


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


def lambda_handler(event: Any, context: Any) -> None:
    """Entry point: Secrets Manager calls this once per step with SecretId, ClientRequestToken, Step."""
    arn, token, step = validate_event(event)
    settings = Settings.from_env()
    logger.info("%s: secret %s, version %s.", step, arn, token)
    remaining = None
    if context is not None and hasattr(context, "get_remaining_time_in_millis"):
        remaining = context.get_remaining_time_in_millis() / 1000.0
    Rotation(arn, token, settings, _client("secretsmanager"), _client("elbv2"), remaining).run(step)
