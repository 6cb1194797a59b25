"""Placeholder values left in an env's files, and the guard that keeps them away from AWS.

One detector for `doctor` (a warning), `plan` (a refusal before Terraform runs,
a warning for a sandbox env) and up/apply/failover's apply (always a refusal: a
real apply never starts with placeholders, sandbox or not). It reads the files
Terraform loads on its own - terraform.tfvars, terraform.tfvars.json,
*.auto.tfvars and *.auto.tfvars.json ("Variable Definition Precedence",
https://developer.hashicorp.com/terraform/language/values/variables) - and the
env's chromactl.toml, ignores comments, and reports file, line and value for:

- the REPLACE markers the shipped example envs use (`REPLACE`, `replace-me`);
- AWS's documentation account ids (DOC_ACCOUNT_IDS: the account ids AWS's own
  examples use; an apply with `allowed_account_ids` set to one of them stops
  only at the provider's account check, after the backend is set up);
- the reserved example domains (RFC 2606: example.com/.net/.org);
- the documentation address ranges (RFC 5737: 192.0.2.0/24,
  198.51.100.0/24, 203.0.113.0/24), which no client ever comes from;
- the all-zero UUID of the example certificate ARNs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from chromactl.aws.zones import code_lines
from chromactl.aws.zones import strip_comment as _strip_comment
from chromactl.errors import ConfigError

# The account ids AWS documents its examples with, never a real account:
# 123456789012 in the ARNs of https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html,
# 111122223333 and 444455556666 in the policies of
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html,
# 012345678901 on https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-identifiers.html.
DOC_ACCOUNT_IDS = ("123456789012", "111122223333", "444455556666", "012345678901")

_RULES: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"REPLACE|(?i:replace[-_]?me)"), "REPLACE marker", "the value its comment asks for"),
    (re.compile(r"(?<!\d)(?:" + "|".join(DOC_ACCOUNT_IDS) + r")(?!\d)"), "AWS documentation account id",
     "your 12-digit account id (aws sts get-caller-identity)"),
    (re.compile(r"(?i)(?<![a-z0-9-])example\.(?:com|net|org)(?![a-z0-9-])"), "reserved example domain, RFC 2606",
     "your own domain, or \"\" for the ALB's DNS name"),
    (re.compile(r"(?<![\d.])(?:192\.0\.2|198\.51\.100|203\.0\.113)\.\d{1,3}(?!\d)"), "documentation address range, RFC 5737",
     "your clients' networks (CIDRs)"),
    (re.compile(r"00000000-0000-0000-0000-000000000000"), "all-zero example UUID", "the ARN of your ACM certificate"),
)

# A refusal or a doctor warning names every placeholder up to ALL_SHOWN of them, else the first ALL_SHOWN
# and how many more (a fresh production env from `chromactl init` holds about six).
ALL_SHOWN = 10
_DOMAIN_WHY = _RULES[2][1]
_EMAIL_FILL = "your team's e-mail address"


@dataclass(frozen=True)
class Placeholder:
    path: Path
    line: int
    value: str  # the string literal (or bare token) holding the placeholder
    why: str
    fill: str = ""  # what to put there instead

    @property
    def where(self) -> str:
        return f"{self.path.name}:{self.line}"

    def describe(self) -> str:
        return f"{self.where} {self.value} ({self.why}" + (f": put {self.fill})" if self.fill else ")")


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def _value_at(code: str, start: int, end: int) -> str:
    for m in _STRING.finditer(code):
        if m.start() <= start and end <= m.end():
            text = m.group(0)
            return text if len(text) <= 90 else text[:86] + '..."'
    return code[start:end]


def env_files(env_dir: Path) -> list[Path]:
    """The files of an env that carry its values: what Terraform loads by itself, and chromactl.toml."""
    files = [
        env_dir / "terraform.tfvars",
        env_dir / "terraform.tfvars.json",
        *sorted([*env_dir.glob("*.auto.tfvars"), *env_dir.glob("*.auto.tfvars.json")], key=lambda p: p.name),
        env_dir / "chromactl.toml",
    ]
    return [p for p in files if p.is_file()]


def find_placeholders(env_dir: Path, only: tuple[str, ...] | None = None) -> list[Placeholder]:
    """Every placeholder left in the env's values (in the files named `only`, if given), in file and line order (comments ignored)."""
    hits: list[Placeholder] = []
    for path in env_files(env_dir):
        if only is not None and path.name not in only:
            continue
        hcl = path.suffix == ".tfvars"
        json_file = path.name.endswith(".tfvars.json")  # JSON has no comments: every line is values
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if hcl:  # /* ... */ comments too (rare in tfvars, but legal)
            lines = code_lines(text)
        else:
            lines = [raw if json_file else _strip_comment(raw, slashes=False) for raw in text.splitlines()]
        for n, code in enumerate(lines, 1):
            seen: set[str] = set()
            for pattern, why, fill in _RULES:
                for m in pattern.finditer(code):
                    value = _value_at(code, m.start(), m.end())
                    if value in seen:
                        continue  # one report per value and line (an ARN may hold two kinds)
                    seen.add(value)
                    what = _EMAIL_FILL if why == _DOMAIN_WHY and "@" in value else fill  # alarm_emails, not domain_name
                    hits.append(Placeholder(path, n, value, why, what))
    return hits


def summary(hits: list[Placeholder]) -> str:
    """Every placeholder described when there are at most ALL_SHOWN, else the first ALL_SHOWN and how many more."""
    more = f"; and {len(hits) - ALL_SHOWN} more" if len(hits) > ALL_SHOWN else ""
    return "; ".join(h.describe() for h in hits[:ALL_SHOWN]) + more


def refuse_placeholders(env_name: str, env_dir: Path, verb: str, only: tuple[str, ...] | None = None) -> None:
    """Raise a ConfigError naming file, line, value and what to fill when placeholders would reach AWS.

    A plan may be let through for a sandbox env (the caller decides); the hint says so only for
    `plan`: an apply (up, apply, failover's apply) is refused sandbox or not. `bootstrap` looks
    only at chromactl.toml (`only`): the state bucket's name and the account are all it sends.
    """
    hits = find_placeholders(env_dir, only)
    if not hits:
        return
    hint = f"Put your own values there (`chromactl doctor --env {env_name}` lists them)"
    if verb == "bootstrap":
        hint += "; bootstrap creates the state bucket chromactl.toml names, sandbox or not."
    elif verb == "plan":
        hint += (f"; to plan a sandbox with them anyway, pass --sandbox or set sandbox = true under [env] in "
                 f"{env_dir / 'chromactl.toml'} (an apply still refuses them).")
    else:
        hint += "; a real apply never starts with placeholders, sandbox or not."
    raise ConfigError(
        f"Refusing to {verb} env {env_name!r}: {env_dir} still holds placeholder values that would reach AWS: {summary(hits)}.",
        hint,
    )


def placeholder_warning(env_name: str, env_dir: Path) -> str | None:
    """The warning a sandbox plan prints instead of refusing, or None when nothing is left to fill."""
    hits = find_placeholders(env_dir)
    if not hits:
        return None
    return (f"sandbox env {env_name!r} plans with placeholder values ({summary(hits)}); "
            "up/apply refuse them until you put your own.")
