"""The import-layer contract of cli/chromactl (issue 15), checked from the source, imports inside
functions included: `make lint` runs it (python tools/layers/contract.py) and so does `make test`
(tests/unit/test_import_contract.py).

Three rules:
1. Layers point one way: a module may import its own layer or a lower one, never a higher one
   (LAYERS, top to bottom; docs/DESIGN.md says why the layers are cut where they are).
2. No cycle between components (a component is a top-level package or module of chromactl), so
   siblings in one layer may use each other, but only one way round.
3. An import inside a function (or class body) says why it is not at the top of the file, with a
   `# lazy: <reason>` comment on its line or the line above; the reasons are start-up time (boto3,
   chromadb, rich, a command-only module), nothing else.

No third-party dependency: it is a page of `ast`, so it runs before `make tools` has built anything.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

# Top to bottom. A component not listed here is a violation too (a new package must pick a layer).
LAYERS: tuple[tuple[str, ...], ...] = (
    ("cli",),
    ("workflows", "scaffold", "config_facts"),
    ("failover", "drills", "day2"),
    ("lifecycle", "checks", "rotation", "local"),
    ("stack", "terraform", "aws"),
    ("context", "config", "output", "render", "errors", "poll", "regions", "resources", "modules", "sizing", "settings", "__init__"),
)

# Leaf modules that sit in a package of a higher layer for what they are about, but import only the
# bottom layer, so every layer may use them: the rotation Lambda's zip builder (plan builds the zip
# before Terraform reads it). Being in the bottom layer, the contract holds them to importing only it.
LEAF_MODULES: tuple[str, ...] = ("rotation.package",)

# Imports that break a rule today and cannot move yet, each with the reason; an entry that matches
# no import any more fails the check (tests/unit/test_import_contract.py), so the list only shrinks.
# (file under cli/chromactl, imported module) -> reason. Empty: the last one (failover/core.py recording
# the Chroma version through day2/version.py) went when the record moved to failover/version_record.py.
EXEMPT: dict[tuple[str, str], str] = {}

# Files rule 3 skips (none: the mutation measurement that froze some is finished, docs/testing.md).
FROZEN_FILES: tuple[str, ...] = ()

# A component whose in-function imports all have one reason, said once here instead of on each.
LAZY_COMPONENTS: dict[str, str] = {
    "cli": "a command imports its workflow when it runs, so `chromactl --help` loads Typer and the option declarations only",
}

# Files whose in-function imports predate rule 3: at most this many may lack a reason (path under
# cli/chromactl -> count). Empty since every such import moved to the top of its file; kept so an
# import that cannot move yet is counted here rather than silently allowed.
LAZY_BASELINE: dict[str, int] = {}

LAZY_MARK = "# lazy:"


@dataclass(frozen=True)
class Import:
    path: Path  # the importing file
    line: int
    source: str  # the importing module, e.g. chromactl.lifecycle.plan
    target: str  # the imported module, e.g. chromactl.aws.session
    inner: bool  # inside a function or class body
    end_line: int = 0  # the statement's last line (a parenthesised import spans several)


@dataclass(frozen=True)
class Violation:
    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        try:
            shown = self.path.resolve().relative_to(Path.cwd())
        except ValueError:
            shown = self.path
        return f"{shown}:{self.line}: {self.message}"


def module_name(root: Path, path: Path) -> str:
    """chromactl.x.y for root/x/y.py (root is the chromactl package directory)."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join([root.name, *parts])


def component(module: str) -> str:
    """The top-level package or module of chromactl a module belongs to ('__init__' for the package
    itself), or the leaf module (LEAF_MODULES) it is."""
    parts = module.split(".")
    for leaf in LEAF_MODULES:
        if ".".join(parts[1:]) == leaf or ".".join(parts[1:]).startswith(leaf + "."):
            return leaf
    return parts[1] if len(parts) > 1 else "__init__"


def _is_module(root: Path, dotted: str) -> bool:
    """Whether chromactl.a.b names a module (a.py or a package) under root, not a name inside one."""
    rel = Path(*dotted.split(".")[1:]) if "." in dotted else Path()
    return dotted.startswith(root.name + ".") and ((root / rel).with_suffix(".py").exists() or (root / rel / "__init__.py").exists())


def _inner_ids(tree: ast.AST) -> set[int]:
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            for sub in ast.walk(node):
                if isinstance(sub, (ast.Import, ast.ImportFrom)):
                    ids.add(id(sub))
    return ids


def imports_of(root: Path, path: Path, text: str | None = None) -> Iterator[Import]:
    """Every chromactl import in one file, with the absolute name of what it imports."""
    source = module_name(root, path)
    tree = ast.parse(text if text is not None else path.read_text(), filename=str(path))
    inner = _inner_ids(tree)
    package = source if path.name == "__init__.py" else source.rpartition(".")[0]
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        else:
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            # `from chromactl import lifecycle` imports the sub-package, not just the root.
            targets = [f"{mod}.{a.name}" if _is_module(root, f"{mod}.{a.name}") else mod for a in node.names]
        for target in targets:
            if target == root.name or target.startswith(root.name + "."):
                yield Import(path, node.lineno, source, target, id(node) in inner, node.end_lineno or node.lineno)


def _layer_of(comp: str) -> int | None:
    for i, layer in enumerate(LAYERS):
        if comp in layer:
            return i
    if comp in LEAF_MODULES:
        return len(LAYERS) - 1
    return None


def _has_reason(lines: list[str], line: int, end_line: int = 0) -> bool:
    """A `# lazy:` comment on the line above the import, or on any line of it."""
    above = lines[line - 2].strip() if line >= 2 else ""
    return above.startswith(LAZY_MARK) or any(LAZY_MARK in text for text in lines[line - 1:max(line, end_line)])


def _rel(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def _exemption(root: Path, imp: Import, exempt: dict[tuple[str, str], str]) -> tuple[str, str] | None:
    rel = _rel(root, imp.path)
    for key in exempt:
        if key[0] == rel and (imp.target == key[1] or imp.target.startswith(key[1] + ".")):
            return key
    return None


def check_imports(root: Path, imports: Iterable[Import], texts: dict[Path, list[str]],
                  exempt: dict[tuple[str, str], str]) -> list[Violation]:
    out: list[Violation] = []
    edges: dict[tuple[str, str], Import] = {}
    used: set[tuple[str, str]] = set()
    unreasoned: dict[Path, list[Import]] = {}
    for imp in imports:
        src, dst = component(imp.source), component(imp.target)
        rel = _rel(root, imp.path)
        if (imp.inner and src not in LAZY_COMPONENTS and not rel.startswith(FROZEN_FILES)
                and not _has_reason(texts[imp.path], imp.line, imp.end_line)):
            unreasoned.setdefault(imp.path, []).append(imp)
        if (key := _exemption(root, imp, exempt)) is not None:
            used.add(key)
            continue
        if src == dst:
            continue
        ls, ld = _layer_of(src), _layer_of(dst)
        if ls is None or ld is None:
            unknown = src if ls is None else dst
            out.append(Violation(imp.path, imp.line, f"chromactl.{unknown} is in no layer of tools/layers/contract.py LAYERS"))
            continue
        if ld < ls:
            out.append(Violation(imp.path, imp.line, f"{imp.source} imports {imp.target}: {src} (layer {ls}) must not import {dst} (higher layer {ld})"))
        edges.setdefault((src, dst), imp)
    for path, found in sorted(unreasoned.items()):
        allowed = LAZY_BASELINE.get(_rel(root, path), 0)
        if len(found) > allowed:
            for imp in found[allowed:] if allowed else found:
                out.append(Violation(imp.path, imp.line, f"import of {imp.target} inside a function without a '{LAZY_MARK} <reason>' comment"
                                     + (f" ({len(found)} in this file, at most {allowed} allowed by LAZY_BASELINE)" if allowed else "")))
    for key in sorted(set(exempt) - used):
        out.append(Violation(root / key[0], 1, f"EXEMPT entry {key} matches no import any more: remove it from tools/layers/contract.py"))
    for (a, b), imp in sorted(edges.items()):
        if a < b and (b, a) in edges:
            back = edges[(b, a)]
            out.append(Violation(imp.path, imp.line, f"cycle between {a} and {b}: {imp.source} imports {imp.target}, "
                                 f"and {back.source} (line {back.line}) imports {back.target}"))
    return out


def check(root: Path, exempt: dict[tuple[str, str], str] | None = None) -> list[Violation]:
    """Every violation of the contract under root (the chromactl package directory); `exempt`
    defaults to EXEMPT, the known exceptions of the real package."""
    texts: dict[Path, list[str]] = {}
    imports: list[Import] = []
    for path in sorted(root.rglob("*.py")):
        text = path.read_text()
        texts[path] = text.splitlines()
        imports.extend(imports_of(root, path, text))
    return check_imports(root, imports, texts, EXEMPT if exempt is None else exempt)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    root = Path(args[0]) if args else Path(__file__).resolve().parents[2] / "cli" / "chromactl"
    violations = check(root)
    for v in violations:
        print(v)
    if violations:
        print(f"{len(violations)} import-contract violation(s); the layers are in tools/layers/contract.py and docs/DESIGN.md", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
