"""The CHROMACTL_* environment variables are read once per run, in chromactl/settings.py (issue 15:
"environment variables read once, here"): no other module reads one, a `chromactl` run reads the
environment for them once, a bad value is a sentence naming the variable, and the README's table
lists exactly the variables Settings reads."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from chromactl import settings
from chromactl.errors import ConfigError
from chromactl.settings import Settings, installed

PACKAGE = Path(__file__).resolve().parents[2] / "cli" / "chromactl"
README = PACKAGE.parents[1] / "README.md"


# Every other use of the process environment in the package, with why it is not a setting. A new
# use (a read, a write, a copy, `in os.environ`) fails until it is listed here or goes through Settings.
ALLOWED = {
    ("cli/app.py", "Settings.from_environ(os.environ)"): "the edge: the one read of the CHROMACTL_* variables",
    ("output.py", "os.environ.get('NO_COLOR')"): "NO_COLOR (no-color.org) styles the stream it is read with",
    ("output.py", "os.environ.get('FORCE_COLOR')"): "rich's own terminal override, checked with the stream",
    ("output.py", "os.environ.get('TTY_COMPATIBLE')"): "rich's own terminal override, checked with the stream",
    ("output.py", "os.environ.get('TTY_INTERACTIVE')"): "rich's own terminal override, checked with the stream",
    ("checks/target.py", "os.environ.get(var)"): "the variable the user named with --token-env holds the token",
    ("terraform/runner.py", "os.environ.get('TF_CLI_CONFIG_FILE', '')"): "Terraform's own variable, part of the init fingerprint",
    ("terraform/runner.py", "dict(os.environ)"): "the environment Terraform runs with (plus TF_DATA_DIR and friends)",
    ("terraform/engine.py", "dict(os.environ)"): "the environment `terraform version` runs with",
    ("local/server.py", "dict(os.environ)"): "the environment the local Chroma server runs with",
    ("scaffold.py", "{**os.environ, 'CHECKPOINT_DISABLE': '1'}"): "the environment `terraform fmt` runs with",
}


def _environment_uses(text: str) -> list[str]:
    """The smallest enclosing call / subscript / comparison / literal of every os.environ, os.getenv or
    bare environ (from os import environ) in a module, as source text."""
    tree = ast.parse(text)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    uses = []
    for node in ast.walk(tree):
        is_env = (isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv") and ast.unparse(node.value) == "os") or (
            isinstance(node, ast.Name) and node.id in ("environ", "getenv"))
        if not is_env:
            continue
        outer: ast.AST = node
        while outer in parents and not isinstance(outer, (ast.Call, ast.Subscript, ast.Compare, ast.Dict, ast.Assign)):
            outer = parents[outer]
        uses.append(ast.unparse(outer))
    return uses


def test_no_module_but_settings_reads_the_environment_for_a_setting() -> None:
    found = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel != "settings.py":
            found |= {(rel, use) for use in _environment_uses(path.read_text(encoding="utf-8"))}
    assert not found - set(ALLOWED), (
        "read CHROMACTL_* through chromactl.settings.current() (or list a use that is not a setting in ALLOWED, "
        f"with its reason): {sorted(found - set(ALLOWED))}")
    assert not set(ALLOWED) - found, f"no longer used, drop from ALLOWED: {sorted(set(ALLOWED) - found)}"


def test_the_scan_sees_the_ways_the_environment_is_used() -> None:
    text = ('import os\nfrom os import environ\nNAME = "CHROMACTL_X"\na = os.environ.get("CHROMACTL_A", "1")\n'
            'b = os.getenv(NAME)\nc = os.environ["CHROMACTL_C"]\nos.environ["CHROMACTL_ROOT"] = "x"\n'
            'd = "CHROMACTL_D" in os.environ\ne = environ.get("CHROMACTL_E")\nf = os.environ.copy().get("X")\n')
    assert sorted(_environment_uses(text)) == sorted([
        "os.environ.get('CHROMACTL_A', '1')", "os.getenv(NAME)", "os.environ['CHROMACTL_C']",
        "os.environ['CHROMACTL_ROOT']", "'CHROMACTL_D' in os.environ", "environ.get('CHROMACTL_E')",
        "os.environ.copy()",
    ])


def test_a_bad_timeout_is_a_sentence_naming_the_variable() -> None:
    bad = Settings.from_environ({"CHROMACTL_TF_TIMEOUT": "abc"})
    with pytest.raises(ConfigError, match="CHROMACTL_TF_TIMEOUT='abc' is not a number of seconds"):
        _ = bad.tf_timeout_s
    for raw in ("0", "-5", "inf", "nan"):
        with pytest.raises(ConfigError):
            _ = Settings.from_environ({"CHROMACTL_TF_TIMEOUT": raw}).tf_timeout_s
    assert Settings.from_environ({"CHROMACTL_TF_TIMEOUT": " 90 "}).tf_timeout_s == 90.0
    assert Settings.from_environ({}).tf_timeout_s == 3600.0


def test_values_parse_as_documented() -> None:
    s = Settings.from_environ({"CHROMACTL_BACKEND": " Local ", "CHROMACTL_NO_BUNDLED_TERRAFORM": "Yes",
                               "CHROMACTL_EXTRA_REGIONS": "xx-new-1, ,yy-new-2", "CHROMACTL_MODULE_SOURCE": "  ",
                               "CHROMACTL_PROGRESS_EVERY": "junk", "CHROMACTL_JSON": "on"})
    assert (s.backend, s.no_bundled_terraform, s.extra_regions) == ("local", True, frozenset({"xx-new-1", "yy-new-2"}))
    assert s.module_source is None and s.progress_every_s == 10.0 and s.json is True
    assert Settings.from_environ({}) == Settings()


def test_installed_settings_win_over_the_environment_and_are_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHROMACTL_BACKEND", "local")
    assert settings.current().backend == "local"
    with installed(Settings(backend="s3")):
        monkeypatch.setenv("CHROMACTL_BACKEND", "other")  # a change during the run is not seen
        assert settings.current().backend == "s3"
    assert settings.current().backend == "other"


def test_the_readme_lists_every_variable_settings_reads() -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("### Environment variables", 1)[1].split("\n### ", 1)[0]
    rows = dict(re.findall(r"^\| `(CHROMACTL_[A-Z_]+)` \| (.+?) \|$", section, re.MULTILINE))
    assert rows == settings.VARIABLES
    source = (PACKAGE / "settings.py").read_text(encoding="utf-8")
    body = source.split("def from_environ", 1)[1].split("@property", 1)[0]
    read = set(re.findall(r'"(CHROMACTL_[A-Z_]+)"', body))
    assert read == set(settings.VARIABLES)
