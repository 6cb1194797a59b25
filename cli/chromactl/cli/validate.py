"""Checks on command-line values that Click's ranges let through, done before any work starts.

Click's FloatRange compares with `<`/`>`, so `nan` passes every bound, and `inf`
or `1e300` pass a lower bound: a socket timeout of `1e300` then fails deep in
the standard library with an OverflowError. These turn such input into one
sentence, a hint and exit 2. Also: which options the user actually gave (not
their defaults), so options that cannot apply together are refused up front.
"""

from __future__ import annotations

import math
from typing import Any

import click

from chromactl.errors import UsageError

MAX_REQUEST_TIMEOUT_S = 3600.0  # one request; anything longer is a hang, not a timeout


def bounded(flag: str, value: float, lo: float, hi: float, example: str, *, lo_inclusive: bool = False) -> float:
    """`value` when it is a finite number in (lo, hi] (or [lo, hi]); else a UsageError naming the flag."""
    ok = math.isfinite(value) and (value >= lo if lo_inclusive else value > lo) and value <= hi
    if not ok:
        low = f"at least {lo:g}" if lo_inclusive else f"more than {lo:g}"
        raise UsageError(f"{flag} must be a finite number, {low} and at most {hi:g} (got {value!r}).", f"e.g. {flag} {example}.")
    return value


def request_timeout(value: float, flag: str = "--timeout") -> float:
    return bounded(flag, value, 0.0, MAX_REQUEST_TIMEOUT_S, "10")


def given(ctx: click.Context, name: str) -> bool:
    """True when the user set the parameter (command line or environment), not its default."""
    source = ctx.get_parameter_source(name)
    return source is not None and source not in (click.core.ParameterSource.DEFAULT, click.core.ParameterSource.DEFAULT_MAP)


def from_environment(ctx: click.Context, name: str) -> bool:
    return ctx.get_parameter_source(name) == click.core.ParameterSource.ENVIRONMENT


def refuse_together(ctx: click.Context, first: str, others: dict[str, str], why: str, hint: str) -> None:
    """UsageError when option `first` and any of `others` (param name -> flag) were both given."""
    clash = [flag for name, flag in others.items() if given(ctx, name)]
    if clash:
        raise UsageError(f"{', '.join(clash)} cannot be used with {first}: {why}.", hint)


def none_if_default(ctx: click.Context, name: str, value: Any) -> Any:
    return value if given(ctx, name) else None
