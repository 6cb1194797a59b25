"""The one JSON envelope every `--json` run prints: one document on stdout, success or error.

    {"schema": "chromactl/v1", "command": "token rotate", "ok": true, "result": {...}, "error": null}

- `schema` names the shape of the whole document, `result` included; it changes (v2) only when a key
  is removed or renamed or a value changes type. New keys are additive and keep the version
  (tests/unit/test_json_contract.py pins every verb's shape against tests/unit/json_shapes.json).
- `command` is the verb's path without the program name (`smoke`, `backup list`, `token rotate`).
- `ok` is true exactly when the exit code is 0 (`plan --check` with drift exits 2: `ok` false, the
  plan under `result`).
- `result` is the verb's result (what `--json` printed before the envelope, one level down), or null
  when the verb failed before it had one.
- `error` is null, or `{"message", "hint", "exit_code", "detail"}`: the sentence and hint also printed
  on stderr. A verb that printed its result and then failed (`size --memory`, `token age
  --max-age-days`, `token check` on drift) has both, in the same document.

Errors go on stdout too, as terraform's `-json` diagnostics do (`terraform validate -json`: one
document on stdout, `valid` false, `diagnostics`): a script reads exactly one document from stdout
whatever happened, and stderr keeps the plain sentence for people and CI logs. gh instead prints
errors only on stderr and nothing on stdout, which leaves a script with an empty stdout to tell apart
from a result.

`to_json` turns a result into plain JSON data: a `to_dict()` method first (the result dataclasses
have one: they choose their keys), else `dataclasses.asdict`, else the mapping as is.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

SCHEMA = "chromactl/v1"
ENVELOPE_KEYS = ("schema", "command", "ok", "result", "error")


def _default(obj: Any) -> Any:
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    return str(obj)


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=False, default=_default)


def to_json(result: Any) -> Any:
    """A result (a dataclass with or without to_dict, a mapping, None) as plain JSON data."""
    if result is None:
        return None
    if hasattr(result, "to_dict"):
        result = result.to_dict()
    elif dataclasses.is_dataclass(result) and not isinstance(result, type):
        result = dataclasses.asdict(result)
    elif isinstance(result, Mapping):
        result = dict(result)
    # one pass through the encoder: datetimes, paths and nested dataclasses become what dumps prints
    return json.loads(dumps(result))


@dataclasses.dataclass(frozen=True)
class ErrorInfo:
    """An error as the envelope carries it (and stderr prints it)."""

    message: str
    hint: str | None
    exit_code: int
    detail: str | None = None


def envelope(command: str | None, exit_code: int, result: Any = None, error: ErrorInfo | None = None) -> dict[str, Any]:
    """The one document a `--json` run prints."""
    return {
        "schema": SCHEMA,
        "command": command,
        "ok": exit_code == 0,
        "result": to_json(result),
        "error": None if error is None else dataclasses.asdict(error),
    }
