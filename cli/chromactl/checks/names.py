"""Chroma's collection name rule, checked before any request (a bad name is a usage error, exit 2).

The rule is the server's own: chroma-core/chroma rust/types/src/validators.rs, `validate_name`
(the Rust frontend of Chroma 1.x, which answers HTTP 400 "Expected a name containing 3-512
characters from [a-zA-Z0-9._-], starting and ending with a character in [a-zA-Z0-9]"):
  1. 3-512 characters from [a-zA-Z0-9._-], first and last in [a-zA-Z0-9] (`ALNUM_RE`);
  2. no two consecutive periods (`DP_RE`);
  3. not a valid IP address (`IpAddr::from_str`).
"""

from __future__ import annotations

import ipaddress
import re

from chromactl.errors import UsageError

_ALNUM = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9._-]{1,510}[a-zA-Z0-9]")


def name_problem(name: str) -> str | None:
    """Why Chroma would refuse `name` as a collection name, or None when it accepts it."""
    if not _ALNUM.fullmatch(name):
        return "it must be 3-512 characters from a-z A-Z 0-9 . _ -, starting and ending with a letter or digit"
    if ".." in name:
        return "it must not hold two consecutive periods (..)"
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return None
    return "it must not be an IP address"


def check_collection_name(name: str, flag: str = "--collection") -> str:
    """`name` when Chroma accepts it; else a UsageError naming the rule it breaks."""
    problem = name_problem(name)
    if problem:
        raise UsageError(f"{flag} {name!r} is not a valid Chroma collection name: {problem}.",
                         f"Pass a name such as {flag} my-vectors (Chroma's rule: 3-512 characters of [a-zA-Z0-9._-]).")
    return name
