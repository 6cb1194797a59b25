"""Placeholder values left in an env's files, and the guard that keeps them away from AWS.

One detector for `doctor` (a warning) and for plan/up/apply (a refusal before
Terraform runs, unless the env is declared a sandbox). It reads the files
Terraform loads on its own (terraform.tfvars, *.auto.tfvars) and the env's
chromactl.toml, ignores comments, and reports file, line and value for:

- the REPLACE markers the shipped example envs use (`REPLACE`, `replace-me`);
- AWS's documentation account ids 123456789012 and 111122223333 (the
  account ids AWS's own examples use; an apply with `allowed_account_ids`
  set to one of them stops only at the provider's account check);
- the reserved example domains (RFC 2606: example.com/.net/.org);
- the documentation address ranges (RFC 5737: 192.0.2.0/24,
  198.51.100.0/24, 203.0.113.0/24), which no client ever comes from;
- the all-zero UUID of the example certificate ARNs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from chromactl.errors import ConfigError

_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"REPLACE|(?i:replace[-_]?me)"), "REPLACE marker"),
    (re.compile(r"(?<!\d)(?:123456789012|111122223333)(?!\d)"), "AWS documentation account id"),
    (re.compile(r"(?i)(?<![a-z0-9-])example\.(?:com|net|org)(?![a-z0-9-])"), "reserved example domain (RFC 2606)"),
    (re.compile(r"(?<![\d.])(?:192\.0\.2|198\.51\.100|203\.0\.113)\.\d{1,3}(?!\d)"), "documentation address range (RFC 5737)"),
    (re.compile(r"00000000-0000-0000-0000-000000000000"), "all-zero example UUID"),
)

MAX_SHOWN = 5


@dataclass(frozen=True)
class Placeholder:
    path: Path
    line: int
    value: str  # the string literal (or bare token) holding the placeholder
    why: str

    @property
    def where(self) -> str:
        return f"{self.path.name}:{self.line}"

    def describe(self) -> str:
        return f"{self.where} {self.value} ({self.why})"


def _strip_comment(line: str, *, slashes: bool) -> str:
    """The line without its comment: `#` (and `//` in HCL) outside double-quoted strings."""
    in_str = escaped = False
    for i, ch in enumerate(line):
        if in_str:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_str = False
            continue
        if ch == '"':
            in_str = True
        elif ch == "#" or (slashes and line.startswith("//", i)):
            return line[:i]
    return line


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def _value_at(code: str, start: int, end: int) -> str:
    for m in _STRING.finditer(code):
        if m.start() <= start and end <= m.end():
            text = m.group(0)
            return text if len(text) <= 90 else text[:86] + '..."'
    return code[start:end]


def env_files(env_dir: Path) -> list[Path]:
    """The files of an env that carry its values: what Terraform loads by itself, and chromactl.toml."""
    files = [env_dir / "terraform.tfvars", *sorted(env_dir.glob("*.auto.tfvars")), env_dir / "chromactl.toml"]
    return [p for p in files if p.is_file()]


def find_placeholders(env_dir: Path) -> list[Placeholder]:
    """Every placeholder left in the env's values, in file and line order (comments ignored)."""
    hits: list[Placeholder] = []
    block_comment = False
    for path in env_files(env_dir):
        hcl = path.suffix == ".tfvars"
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for n, raw in enumerate(text.splitlines(), 1):
            line = raw
            if hcl:  # /* ... */ comments (rare in tfvars, but legal)
                if block_comment:
                    end = line.find("*/")
                    if end < 0:
                        continue
                    line, block_comment = line[end + 2:], False
                start = line.find("/*")
                if start >= 0 and '"' not in line[:start]:
                    end = line.find("*/", start + 2)
                    block_comment = end < 0
                    line = line[:start] + ("" if end < 0 else line[end + 2:])
            code = _strip_comment(line, slashes=hcl)
            seen: set[str] = set()
            for pattern, why in _RULES:
                for m in pattern.finditer(code):
                    value = _value_at(code, m.start(), m.end())
                    if value in seen:
                        continue  # one report per value and line (an ARN may hold two kinds)
                    seen.add(value)
                    hits.append(Placeholder(path, n, value, why))
        block_comment = False
    return hits


def refuse_placeholders(env_name: str, env_dir: Path, verb: str) -> None:
    """Raise a ConfigError naming file, line and value when placeholders would reach AWS."""
    hits = find_placeholders(env_dir)
    if not hits:
        return
    shown = "; ".join(h.describe() for h in hits[:MAX_SHOWN])
    more = f"; and {len(hits) - MAX_SHOWN} more" if len(hits) > MAX_SHOWN else ""
    raise ConfigError(
        f"Refusing to {verb} env {env_name!r}: {env_dir} still holds placeholder values that would reach AWS: {shown}{more}.",
        f"Put your own values there (`chromactl doctor --env {env_name}` lists them), or, if this env is a sandbox, "
        f"pass --sandbox or set sandbox = true under [env] in {env_dir / 'chromactl.toml'}.",
    )
