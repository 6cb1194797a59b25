"""What a check talks to: an endpoint URL, its token (never printed), TLS and timeout.

Where a Target comes from (--endpoint, the local server, or a stack's outputs and its token in
Secrets Manager) is chromactl/workflows/endpoint.py's job: the checks know no Terraform or AWS.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

from chromactl.errors import UsageError

DEFAULT_TIMEOUT_S = 10.0
_ENV_VAR = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def split_userinfo(url: str) -> tuple[str, tuple[str, str] | None]:
    """`http://user:pw@host/x` -> (`http://host/x`, ("user", "pw")): credentials never travel inside a URL
    chromactl prints, stores (checkpoints, reports) or puts in an error message."""
    from urllib.parse import unquote, urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return url, None
    if "@" not in parts.netloc:
        return url, None
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    return urlunsplit((parts.scheme, hostport, parts.path, parts.query, parts.fragment)), (unquote(user), unquote(password))


def redact_url(url: str) -> str:
    """The URL without its user info (for anything shown or stored)."""
    return split_userinfo(url)[0]


@dataclass(frozen=True)
class Target:
    url: str  # never holds user info: __post_init__ moves it to basic_auth
    token: str | None = field(default=None, repr=False)
    verify_tls: bool = True
    timeout_s: float = DEFAULT_TIMEOUT_S
    token_header: str = "authorization"
    env: str | None = None
    region: str | None = None
    server_name: str | None = None  # TLS server name and Host, when `url` is another name for the same server
    basic_auth: tuple[str, str] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        clean, creds = split_userinfo(self.url or "")
        if creds is not None:
            object.__setattr__(self, "url", clean)
            object.__setattr__(self, "basic_auth", creds)
        if not re.match(r"^https?://[^\s/@]+", self.url or ""):
            raise UsageError(f"{self.url!r} is not an http(s) URL.", "Pass --endpoint like https://chroma.example.com or http://127.0.0.1:8000.")
        if self.token is not None and not _header_safe(self.token):
            raise UsageError(
                "The token holds characters an HTTP header cannot carry (non-ASCII, spaces or control characters).",
                "Check the token's value (chromactl's own tokens are lowercase letters and digits); it was not sent anywhere.",
            )
        if self.timeout_s <= 0:
            raise UsageError("The timeout must be positive.", "Pass --timeout in seconds, e.g. 10.")
        if self.token_header.lower() not in ("authorization", "x-chroma-token"):
            raise UsageError(f"Unknown token header {self.token_header!r}.", "Use authorization or x-chroma-token.")

    @property
    def has_token(self) -> bool:
        return bool(self.token)

    def client(self, *, pool_size: int = 8, timeout_s: float | None = None) -> Any:
        from chromactl.checks.client import (
            ChromaClient,  # lazy: httpx comes with the client, only when a check runs
        )

        return ChromaClient(
            self.url,
            self.token,
            token_header=self.token_header,
            verify_tls=self.verify_tls,
            timeout_s=timeout_s or self.timeout_s,
            pool_size=pool_size,
            server_name=self.server_name,
            basic_auth=self.basic_auth,
        )

    def describe(self) -> dict[str, Any]:
        """What may be printed: never the token."""
        return {"url": self.url, "auth": "token" if self.token else "none", "env": self.env, "region": self.region}


def _header_safe(token: str) -> bool:
    """Visible ASCII only (RFC 9110 field values; httpx and http.client encode headers as ASCII/latin-1)."""
    return all(33 <= ord(ch) <= 126 for ch in token)


def token_from_env_var(var: str | None) -> str | None:
    if not var:
        return None
    if not _ENV_VAR.match(var):
        raise UsageError(
            "--token-env takes the NAME of an environment variable, not a token.",
            "export CHROMA_TOKEN=... and pass --token-env CHROMA_TOKEN.",
        )
    value = os.environ.get(var)
    if not value:
        raise UsageError(f"The environment variable {var} is not set or empty.", f"export {var}=<token> first.")
    token = value.strip()
    if not _header_safe(token):
        raise UsageError(
            f"The token in {var} holds characters an HTTP header cannot carry (non-ASCII, spaces or control characters).",
            f"Check the value of {var}; it was not sent anywhere.",
        )
    return token
