"""The value Terraform will use for a root-module input of an env, and where it is set.

Terraform's "Variable Definition Precedence"
(https://developer.hashicorp.com/terraform/language/values/variables#variable-definition-precedence):
terraform.tfvars, then terraform.tfvars.json, then *.auto.tfvars / *.auto.tfvars.json in lexical order
of their names, a later file winning over an earlier one; -var / -var-file on the command line last.
When no file sets an input, the `default` of its `variable` block (the env's variables.tf, a link to
envs/_root/variables.tf) is used. The files are the ones the placeholder check reads
(lifecycle.placeholders.env_files), comments stripped by the same reader; an HCL value is read when it
is a plain string, number or bool on its `name = ...` line, or a `name = { "key" = ... }` map (its keys).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chromactl.aws.zones import code_lines
from chromactl.errors import ConfigError
from chromactl.lifecycle.placeholders import env_files


@dataclass(frozen=True)
class Setting:
    value: str | None  # the scalar as text (a number as written, a bool as true/false); None for a map
    keys: frozenset[str] | None  # a map's keys; None for a scalar
    path: Path  # the file that sets it (variables.tf for a default)
    line: int  # 1-based line of the `name =` (or `default =`)
    default: bool = False  # True: no file sets it, the variable's default applies

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


def _tfvars_files(env_dir: Path) -> list[Path]:
    return [p for p in env_files(env_dir) if p.name.endswith((".tfvars", ".tfvars.json"))]


def _scalar(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    return None


_SCALAR = r'(?:"((?:[^"\\]|\\.)*)"|(-?[0-9][0-9.eE+-]*|true|false|null))'


def _from_hcl(lines: list[str], name: str, path: Path) -> Setting | None:
    """`name = ...` at the top level of `lines` (a key inside another input's map or object is not it)."""
    head = re.compile(rf'^\s*{re.escape(name)}\s*=\s*(.*)$')
    found: Setting | None = None
    depth = 0
    for n, line in enumerate(lines, 1):
        m = head.match(line) if depth == 0 else None
        depth += sum(line.count(c) for c in "{[") - sum(line.count(c) for c in "}]")
        if not m:
            continue
        rest = m.group(1).strip()
        s = re.fullmatch(_SCALAR, rest)
        if s:
            value = s.group(1) if s.group(1) is not None else s.group(2)
            found = Setting(None if value == "null" else value, None, path, n)
        elif rest.startswith("{"):
            body: list[str] = [rest[1:]]
            depth = rest.count("{") - rest.count("}")
            for more in lines[n:]:
                if depth <= 0:
                    break
                body.append(more)
                depth += more.count("{") - more.count("}")
            keys = re.findall(r'^\s*"?([A-Za-z0-9_.-]+)"?\s*=', "\n".join(body), re.MULTILINE)
            found = Setting(None, frozenset(keys), path, n)
        else:
            found = Setting(rest, None, path, n)  # an expression this reader does not evaluate, shown as written
        break  # an input is set once per file (Terraform refuses a duplicate)
    return found


def _from_json(text: str, name: str, path: Path) -> Setting | None:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        # Terraform refuses to plan with it as well (an error diagnostic); guessing past it would read
        # a value Terraform never uses.
        raise ConfigError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg}).",
                          "Fix the file; Terraform refuses to plan with it too.") from None
    if not isinstance(data, dict) or name not in data:
        return None
    line = next((n for n, raw in enumerate(text.splitlines(), 1) if f'"{name}"' in raw), 1)
    value = data[name]
    if isinstance(value, dict):
        return Setting(None, frozenset(str(k) for k in value), path, line)
    return Setting(_scalar(value), None, path, line)


def file_setting(env_dir: Path, name: str) -> Setting | None:
    """Where the last file Terraform loads that sets `name` sets it (the winning file), None: no file does."""
    won: Setting | None = None
    for path in _tfvars_files(env_dir):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        found = _from_json(text, name, path) if path.name.endswith(".json") else _from_hcl(code_lines(text), name, path)
        if found is not None:
            won = found
    return won


def default_setting(env_dir: Path, name: str) -> Setting | None:
    """The `default` of `variable "name"` in the env's variables.tf, None when it has none."""
    path = env_dir / "variables.tf"
    try:
        lines = code_lines(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return None
    start = next((i for i, line in enumerate(lines) if re.match(rf'^variable\s+"{re.escape(name)}"\s*\{{', line)), None)
    if start is None:
        return None
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("}")), len(lines))
    found = _from_hcl(lines[start + 1:end], "default", path)
    if found is None:
        return None
    return Setting(found.value, found.keys, path, found.line + start + 1, default=True)


def setting(env_dir: Path, name: str) -> Setting | None:
    """The value Terraform uses for `name` without -var: the winning file's, else the variable's default."""
    return file_setting(env_dir, name) or default_setting(env_dir, name)
