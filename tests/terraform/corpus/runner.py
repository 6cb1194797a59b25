"""Runs one corpus case (or a control) through validate -> plan -> apply with real Terraform and
the offline provider, stopping at the first step that fails; returns where it stopped and the
error diagnostics of that step."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tfoffline import harness

from .cases import Case

STEPS = ("validate", "plan", "apply")


@dataclass
class Outcome:
    failed_at: str | None  # validate | plan | apply | None (all passed)
    errors: list[dict[str, Any]] = field(default_factory=list)
    output: str = ""


def mutate(root: Path, file: str, pattern: str, repl: str, required: bool) -> int:
    """Apply a regex substitution to `file` inside the copy at `root`; the number of matches."""
    path = root / file if not file.startswith("envs/") else root / "envs" / file.split("/", 1)[1]
    text = path.read_text()
    new, n = re.subn(pattern, repl, text, flags=re.DOTALL)
    if required and n != 1:
        raise AssertionError(
            f"{file}: the mutation {pattern!r} matched {n} times (must be exactly 1)"
        )
    path.write_text(new)
    return n


def copy_for(env_name: str, dest: Path) -> Path:
    """envs/<env_name> and terraform/ as committed, under dest (copy_root keeps the layout)."""
    return harness.copy_root(f"envs/{env_name}", dest)


def _json_errors(text: str) -> list[dict[str, Any]]:
    out = []
    for line in text.splitlines():
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        d = msg.get("diagnostic") if isinstance(msg, dict) else None
        if d and d.get("severity") == "error":
            out.append(d)
    return out


def run_steps(root: Path, env: Mapping[str, str], last: str = "apply") -> Outcome:
    result = harness.validate(root, env=env)
    if not result.get("valid"):
        return Outcome("validate", harness.errors(result))
    if last == "validate":
        return Outcome(None)
    plan = harness.run(
        root, "plan", "-json", "-no-color", "-input=false", "-out=tfplan", env=env, timeout=900
    )
    if plan.returncode != 0:
        return Outcome("plan", _json_errors(plan.stdout), plan.stdout[-4000:] + plan.stderr[-2000:])
    if last == "plan":
        return Outcome(None)
    applied = harness.run(
        root, "apply", "-json", "-no-color", "-input=false", "tfplan", env=env, timeout=900
    )
    if applied.returncode != 0:
        return Outcome(
            "apply", _json_errors(applied.stdout), applied.stdout[-4000:] + applied.stderr[-2000:]
        )
    return Outcome(None)


def run_case(case: Case, dest: Path, env: Mapping[str, str]) -> Outcome:
    """One case; a case that cannot run (its mutation no longer applies, Terraform hangs) is an
    outcome of its own ("error"), so it fails alone instead of taking the corpus down."""
    try:
        root = copy_for(case.env, dest)
        mutate(root.parent.parent, case.file, case.pattern, case.repl, required=True)
        return run_steps(root, env, last=case.step)
    except (AssertionError, OSError, harness.TerraformFailed) as exc:
        return Outcome("error", [], f"{type(exc).__name__}: {exc}")


def matching(case: Case, errors: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    hits = []
    for d in errors:
        text = d.get("summary", "") + "\n" + (d.get("detail") or "")
        if not any(d.get("summary", "").startswith(s) or s in text for s in case.summaries):
            continue
        if not all(f in text for f in case.fragments):
            continue
        if (
            case.address
            and case.address not in (d.get("address") or "")
            and case.step != "validate"
        ):
            continue
        hits.append(d)
    return hits
