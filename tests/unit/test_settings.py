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


def _env_reads(tree: ast.AST) -> list[tuple[int, ast.expr]]:
    """(line, key) of every os.environ.get(key) / os.getenv(key) / os.environ[key] in a module."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args:
            func = ast.unparse(node.func)
            if func in ("os.environ.get", "os.getenv", "environ.get", "getenv"):
                found.append((node.lineno, node.args[0]))
        elif isinstance(node, ast.Subscript) and ast.unparse(node.value) in ("os.environ", "environ") and isinstance(node.ctx, ast.Load):
            found.append((node.lineno, node.slice))
    return found


def _chromactl_reads(text: str) -> list[str]:
    tree = ast.parse(text)
    constants = {t.id: n.value.value for n in ast.walk(tree) if isinstance(n, ast.Assign)
                 and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)
                 for t in n.targets if isinstance(t, ast.Name)}
    hits = []
    for line, key in _env_reads(tree):
        name = key.value if isinstance(key, ast.Constant) else constants.get(key.id) if isinstance(key, ast.Name) else None
        if isinstance(name, str) and name.startswith("CHROMACTL_"):
            hits.append(f"{line}: {name}")
    return hits


def test_no_module_but_settings_reads_a_chromactl_variable() -> None:
    offenders = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel == "settings.py":
            continue
        hits = _chromactl_reads(path.read_text(encoding="utf-8"))
        if hits:
            offenders[rel] = hits
    assert not offenders, f"read CHROMACTL_* through chromactl.settings.current(), not os.environ: {offenders}"


def test_the_scan_sees_the_ways_a_variable_is_read() -> None:
    text = ('import os\nNAME = "CHROMACTL_X"\na = os.environ.get("CHROMACTL_A", "1")\nb = os.getenv(NAME)\n'
            'c = os.environ["CHROMACTL_C"]\nd = os.environ.get("HOME")\n')
    assert _chromactl_reads(text) == ["3: CHROMACTL_A", "4: CHROMACTL_X", "5: CHROMACTL_C"]


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
