"""The "remote" side of resources for drift tests: what AWS holds when something other than
Terraform changed it (the token-rotation function rewriting a listener rule's header values, an
operator deleting an alarm).

A test writes a JSON side file and points TFOFFLINE_REMOTE at it (Terraform passes its
environment to the provider). ReadResource (refresh, the start of every plan and apply) consults
it the way the real provider's read asks AWS:

    {"aws_lb_listener_rule": {"<id>": {"condition": [...]}},    # these attributes now read so
     "aws_cloudwatch_metric_alarm": {"<id>": null}}              # gone from AWS

Attributes not named keep their state values; `null` means the object no longer exists, so
Terraform drops it from state and plans to create it. `harness.set_remote()` writes the file.
Stdlib only.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

UNCHANGED = object()


class RemoteFileError(Exception):
    """The side file named by TFOFFLINE_REMOTE is unreadable (one sentence)."""


def side_file() -> Path | None:
    named = os.environ.get("TFOFFLINE_REMOTE")
    return Path(named) if named else None


def read(path: Path, type_name: str, current: Any) -> Any:
    """The object as AWS now holds it: UNCHANGED, None (deleted) or the changed state dict."""
    if not isinstance(current, dict):
        return UNCHANGED
    try:
        doc = json.loads(path.read_text()) if path.exists() else {}
    except (OSError, ValueError) as exc:
        raise RemoteFileError(
            f"The remote side file {path} (TFOFFLINE_REMOTE) is unreadable ({exc})."
        ) from None
    if not isinstance(doc, dict):
        raise RemoteFileError(
            f"The remote side file {path} (TFOFFLINE_REMOTE) must hold a JSON object."
        )
    by_id = doc.get(type_name)
    if not isinstance(by_id, dict) or current.get("id") not in by_id:
        return UNCHANGED
    change = by_id[current.get("id")]
    if change is None:
        return None
    if not isinstance(change, dict):
        raise RemoteFileError(
            f"The remote side file {path}: {type_name}.{current.get('id')} must be an object or null."
        )
    out = dict(current)
    out.update(change)
    return out
