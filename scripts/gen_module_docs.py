#!/usr/bin/env python3
"""Generate (or check) the inputs/outputs tables of the Terraform modules' READMEs.

    .venv/bin/python scripts/gen_module_docs.py            # rewrite the tables
    .venv/bin/python scripts/gen_module_docs.py --check    # exit 1 if a README is out of step

The tables are generated from variables.tf and outputs.tf with python-hcl2 and
live between `<!-- BEGIN_TF_DOCS -->` and `<!-- END_TF_DOCS -->` (the
terraform-docs markers); the prose around them is left alone. Without
arguments it covers terraform/modules/* and terraform/stack.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from pathlib import Path
from typing import Any

BEGIN = "<!-- BEGIN_TF_DOCS -->"
END = "<!-- END_TF_DOCS -->"
REPO = Path(__file__).resolve().parents[1]


class DocsError(Exception):
    """A module's files cannot be read or its README has broken markers."""


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        try:
            return json.loads(text)
        except ValueError:
            return text[1:-1]
    return text


def _expr(text: str) -> str:
    """An HCL expression as written: `${list(string)}` -> `list(string)`."""
    if text.startswith("${") and text.endswith("}"):
        return text[2:-1]
    return text


def _hcl_value(value: Any) -> str:
    """A default value as HCL source (python-hcl2 keeps string literals quoted)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, str):
        return _expr(value) if value.startswith("${") else value
    if isinstance(value, list):
        return "[" + ", ".join(_hcl_value(v) for v in value) + "]"
    if isinstance(value, dict):
        items = [(k, v) for k, v in value.items() if k != "__is_block__"]
        if not items:
            return "{}"
        return "{ " + ", ".join(f"{_unquote(k)} = {_hcl_value(v)}" for k, v in items) + " }"
    return str(value)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _load(path: Path) -> dict[str, Any]:
    import hcl2  # python-hcl2, in the project's .venv
    from lark.exceptions import LarkError  # python-hcl2's parser

    if not path.is_file():
        return {}
    try:
        with path.open(encoding="utf-8") as fh:
            return hcl2.load(fh)
    except (LarkError, ValueError, OSError) as exc:
        raise DocsError(f"{path} cannot be parsed: {exc}") from None


def _blocks(data: dict[str, Any], kind: str) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for entry in data.get(kind, []):
        for name, body in entry.items():
            out.append((_unquote(name), body))
    return out


def render_tables(module_dir: Path) -> str:
    """The markdown between the markers for one module directory."""
    variables = _blocks(_load(module_dir / "variables.tf"), "variable")
    outputs = _blocks(_load(module_dir / "outputs.tf"), "output")
    lines = ["## Inputs", ""]
    if variables:
        lines += ["| Name | Description | Type | Default | Required |", "|------|-------------|------|---------|:--------:|"]
        for name, body in variables:
            desc = _unquote(str(body.get("description", "")))
            vtype = _expr(str(body.get("type", "any")))
            required = "default" not in body
            default = "n/a" if required else f"`{_hcl_value(body['default'])}`"
            lines.append(
                f"| `{name}` | {_cell(desc)} | `{_cell(vtype)}` | {_cell(default)} | {'yes' if required else 'no'} |"
            )
    else:
        lines.append("No inputs.")
    lines += ["", "## Outputs", ""]
    if outputs:
        lines += ["| Name | Description |", "|------|-------------|"]
        for name, body in outputs:
            lines.append(f"| `{name}` | {_cell(_unquote(str(body.get('description', ''))))} |")
    else:
        lines.append("No outputs.")
    return "\n".join(lines)


def updated_readme(module_dir: Path) -> tuple[Path, str, str]:
    """(path, current text, text with fresh tables) for module_dir/README.md."""
    readme = module_dir / "README.md"
    current = readme.read_text(encoding="utf-8") if readme.is_file() else ""
    block = f"{BEGIN}\n{render_tables(module_dir)}\n{END}"
    if BEGIN in current or END in current:
        start, end = current.find(BEGIN), current.find(END)
        if start < 0 or end < 0 or end < start:
            raise DocsError(f"{readme} has a broken {BEGIN} / {END} pair.")
        new = current[:start] + block + current[end + len(END):]
    else:
        title = f"# {module_dir.name}\n\n" if not current.strip() else current.rstrip() + "\n\n"
        new = title + block + "\n"
    return readme, current, new


def default_dirs(repo: Path = REPO) -> list[Path]:
    mods = sorted(p for p in (repo / "terraform" / "modules").glob("*") if (p / "variables.tf").is_file())
    stack = repo / "terraform" / "stack"
    return mods + ([stack] if (stack / "variables.tf").is_file() else [])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when a README's tables are out of step")
    parser.add_argument("dirs", nargs="*", type=Path, help="module directories (default: terraform/modules/*, terraform/stack)")
    args = parser.parse_args(argv)
    dirs = args.dirs or default_dirs()
    stale = []
    try:
        for d in dirs:
            if not (d / "variables.tf").is_file() and not (d / "outputs.tf").is_file():
                print(f"gen_module_docs: {d} has neither variables.tf nor outputs.tf.", file=sys.stderr)
                return 2
            readme, current, new = updated_readme(d)
            if current == new:
                continue
            if args.check:
                stale.append(readme)
                diff = difflib.unified_diff(current.splitlines(), new.splitlines(), str(readme), "generated", lineterm="", n=1)
                print("\n".join(list(diff)[:40]), file=sys.stderr)
            else:
                readme.write_text(new, encoding="utf-8")
                print(f"updated {readme}")
    except DocsError as exc:
        print(f"gen_module_docs: {exc}", file=sys.stderr)
        return 2
    if stale:
        names = ", ".join(str(p) for p in stale)
        print(f"gen_module_docs: out of step with variables.tf/outputs.tf: {names}.", file=sys.stderr)
        print("Run: .venv/bin/python scripts/gen_module_docs.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
