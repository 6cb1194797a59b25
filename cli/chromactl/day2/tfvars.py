"""Values the day-2 verbs set on an env's stack, kept where every later plan reads them.

`envs/<env>/chromactl.auto.tfvars.json`: Terraform loads `*.auto.tfvars.json` files of the root
module after terraform.tfvars, so these values win over it on every plan, by chromactl or by hand
(https://developer.hashicorp.com/terraform/language/values/variables#variable-definition-precedence).
Without it, the next `chromactl apply` after a restore would plan the stack back onto a fresh, empty
file system, and after an upgrade back to the old image. Commit the file with the env.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from chromactl.config import EnvConfig
from chromactl.errors import ConfigError

FILE_NAME = "chromactl.auto.tfvars.json"


def path_of(env: EnvConfig) -> Path:
    return env.dir / FILE_NAME


def read(env: EnvConfig) -> dict[str, Any]:
    path = path_of(env)
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        raise ConfigError(f"{path} is not valid JSON.", "Fix it or remove it (it holds the values chromactl restore/upgrade set).") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a JSON object.", "Fix it or remove it.")
    return data


def update(env: EnvConfig, values: dict[str, Any]) -> Path:
    """Merge `values` (None removes a key) and write atomically."""
    data = read(env)
    for key, value in values.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    path = path_of(env)
    fd, tmp = tempfile.mkstemp(prefix=f".{FILE_NAME}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, sort_keys=True)
        fh.write("\n")
    os.replace(tmp, path)
    return path
