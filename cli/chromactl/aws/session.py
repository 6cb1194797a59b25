"""boto3 clients with timeouts, retries bounded, and per-region endpoint overrides.

All AWS calls in chromactl go through a ClientFactory so that:
- every client has connect/read timeouts and a bounded retry count;
- tests (and drills) can point one region at a dead endpoint or a fake, via
  CHROMACTL_AWS_ENDPOINTS='{"us-east-1": "http://127.0.0.1:9"}' or by passing
  `overrides={("efs", "us-west-2"): client}` (e.g. a botocore Stubber's client);
- boto3 is imported only when a client is first needed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from chromactl import settings
from chromactl.errors import ConfigError

CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 30.0
MAX_ATTEMPTS = 3


def _endpoint_map() -> dict[str, str]:
    raw = settings.current().aws_endpoints
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except json.JSONDecodeError:
        raise ConfigError("CHROMACTL_AWS_ENDPOINTS is not valid JSON.", 'Write it as {"us-east-1": "http://127.0.0.1:5000"}.') from None
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise ConfigError("CHROMACTL_AWS_ENDPOINTS must map region names to URLs.", 'Write it as {"us-east-1": "http://127.0.0.1:5000"}.')
    return data


@dataclass
class ClientFactory:
    """Creates (and caches) boto3 clients per (service, region)."""

    profile: str | None = None
    connect_timeout: float = CONNECT_TIMEOUT_S
    read_timeout: float = READ_TIMEOUT_S
    max_attempts: int = MAX_ATTEMPTS
    overrides: dict[tuple[str, str], Any] = field(default_factory=dict)
    _cache: dict[tuple[str, str], Any] = field(default_factory=dict)
    _session: Any = None

    def session(self) -> Any:
        if self._session is None:
            import boto3
            import botocore.exceptions

            try:
                self._session = boto3.session.Session(profile_name=self.profile) if self.profile else boto3.session.Session()
            except botocore.exceptions.ProfileNotFound:
                raise ConfigError(f"The AWS profile {self.profile!r} does not exist.", "Check --profile / AWS_PROFILE against ~/.aws/config.") from None
        return self._session

    def client(self, service: str, region: str, *, read_timeout: float | None = None, max_attempts: int | None = None) -> Any:
        key = (service, region)
        if key in self.overrides:
            return self.overrides[key]
        if read_timeout is None and max_attempts is None and key in self._cache:
            return self._cache[key]
        from botocore.config import Config

        # `total_max_attempts` counts the first request too (1 = no retry); botocore's `max_attempts`
        # would count retries only, one attempt more than asked (botocore/config.py, Config `retries`).
        config = Config(
            region_name=region,
            connect_timeout=self.connect_timeout,
            read_timeout=read_timeout or self.read_timeout,
            retries={"total_max_attempts": max_attempts or self.max_attempts, "mode": "standard"},
        )
        kwargs: dict[str, Any] = {"region_name": region, "config": config}
        endpoint = _endpoint_map().get(region)
        if endpoint:
            kwargs["endpoint_url"] = endpoint
        client = self.session().client(service, **kwargs)
        if read_timeout is None and max_attempts is None:
            self._cache[key] = client
        return client


def error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore ClientError ("" for anything else, e.g. a connection failure).

    botocore puts the service's code at exc.response["Error"]["Code"] (botocore/exceptions.py,
    ClientError; botocore/parsers.py fills it for every protocol, e.g. "NoSuchKey", "404" for a
    HEAD without a body). Plain attribute reads: no botocore import needed.
    """
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return ""
    err = response.get("Error")
    return str(err.get("Code") or "") if isinstance(err, dict) else ""


def describe_aws_error(exc: BaseException) -> str:
    """One short phrase for a botocore error (code and message, or the connection failure)."""
    try:
        import botocore.exceptions as bex
    except ImportError:  # pragma: no cover
        return str(exc)
    if isinstance(exc, bex.ClientError):
        err = exc.response.get("Error", {})
        return f"{err.get('Code', 'Error')}: {err.get('Message', '')}".strip()
    if isinstance(exc, bex.NoCredentialsError):
        return "no AWS credentials found"
    if isinstance(exc, (bex.EndpointConnectionError, bex.ConnectTimeoutError, bex.ReadTimeoutError, bex.ConnectionClosedError)):
        return f"cannot reach AWS ({type(exc).__name__})"
    return f"{type(exc).__name__}: {exc}"
