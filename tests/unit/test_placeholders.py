"""The one placeholder detector (doctor warns with it; plan/up/apply refuse with it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from chromactl.errors import ConfigError
from chromactl.lifecycle.placeholders import find_placeholders, refuse_placeholders

REPO = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path, tfvars: str, toml: str = "[env]\nkind = \"aws\"\n") -> Path:
    d = tmp_path / "envs" / "x"
    d.mkdir(parents=True)
    (d / "terraform.tfvars").write_text(tfvars, encoding="utf-8")
    (d / "chromactl.toml").write_text(toml, encoding="utf-8")
    return d


def test_each_kind_is_found_with_file_line_and_value(tmp_path: Path) -> None:
    d = _env(tmp_path, "\n".join([  # noqa: FLY002 - one line per case
        'account_id = "123456789012"',
        'other      = "111122223333"',
        'domain     = "chroma.example.com"',
        'cidrs      = ["203.0.113.0/24", "198.51.100.7/32", "192.0.2.1/32"]',
        'bucket     = "state-replace-me"',
        'cert       = "arn:aws:acm:us-east-1:999999999999:certificate/00000000-0000-0000-0000-000000000000"',
        'token      = "REPLACE"',
    ]) + "\n")
    hits = find_placeholders(d)
    got = {(h.path.name, h.line, h.value) for h in hits}
    assert ("terraform.tfvars", 1, '"123456789012"') in got
    assert ("terraform.tfvars", 2, '"111122223333"') in got
    assert ("terraform.tfvars", 3, '"chroma.example.com"') in got
    assert {("terraform.tfvars", 4, v) for v in ('"203.0.113.0/24"', '"198.51.100.7/32"', '"192.0.2.1/32"')} <= got
    assert ("terraform.tfvars", 5, '"state-replace-me"') in got
    assert any(h.line == 6 and "00000000-0000" in h.value for h in hits)
    assert ("terraform.tfvars", 7, '"REPLACE"') in got
    assert hits[0].describe().startswith('terraform.tfvars:1 "123456789012" (AWS documentation account id: put your 12-digit account id')


def test_comments_and_lookalikes_are_not_placeholders(tmp_path: Path) -> None:
    d = _env(tmp_path, "\n".join([  # noqa: FLY002 - one line per case
        'account_id = "210987654321" # REPLACE with your account (123456789012 shown in docs)',
        '// REPLACE: a comment in HCL style',
        '/* example.com in a block comment',
        '   still 123456789012 */',
        'domain = "chroma.examples.com"',           # not the reserved domain
        'cidr   = "10.203.0.113/32"',               # not the documentation range
        'acct   = "1234567890123"',                 # 13 digits: not the doc id
        'tag    = "team#1"  # a hash inside a string is not a comment',
    ]) + "\n", toml='[env]\nkind = "aws" # REPLACE nothing here\n')
    assert find_placeholders(d) == []


def test_values_after_a_hash_in_a_string_are_still_read(tmp_path: Path) -> None:
    d = _env(tmp_path, 'note = "#1 REPLACE"\n')
    assert [h.value for h in find_placeholders(d)] == ['"#1 REPLACE"']


def test_auto_tfvars_and_the_toml_are_read(tmp_path: Path) -> None:
    d = _env(tmp_path, 'size = "small"\n', toml='[env]\naccount_id = "123456789012"\n')
    (d / "extra.auto.tfvars").write_text('alarm_emails = ["ops@example.org"]\n', encoding="utf-8")
    where = sorted(h.where for h in find_placeholders(d))
    assert where == ["chromactl.toml:2", "extra.auto.tfvars:1"]


def test_json_variable_files_terraform_loads_are_read(tmp_path: Path) -> None:
    """terraform.tfvars.json and *.auto.tfvars.json are loaded automatically, like their HCL forms ("Variable
    Definition Precedence", https://developer.hashicorp.com/terraform/language/values/variables), so a
    placeholder there reaches AWS the same way (issue 12 review follow-up)."""
    d = _env(tmp_path, 'size = "small"\n')
    (d / "terraform.tfvars.json").write_text('{\n  "account_id": "444455556666",\n  "tag": "#1 # not a comment"\n}\n')
    (d / "zz.auto.tfvars.json").write_text('{"allowed_cidrs": ["10.0.0.0/8", "198.51.100.0/24"], "note": "// REPLACE"}')
    (d / "a.auto.tfvars").write_text('domain = "chroma.example.org"\n')
    got = [(h.where, h.value) for h in find_placeholders(d)]
    assert got == [
        ("terraform.tfvars.json:2", '"444455556666"'),
        ("a.auto.tfvars:1", '"chroma.example.org"'),
        ("zz.auto.tfvars.json:1", '"// REPLACE"'),  # JSON has no comments: a "//" inside a string is a value
        ("zz.auto.tfvars.json:1", '"198.51.100.0/24"'),
    ], got
    with pytest.raises(ConfigError) as info:
        refuse_placeholders("x", d, "apply")
    assert 'terraform.tfvars.json:2 "444455556666"' in info.value.message
    assert "sandbox or not" in (info.value.hint or "") and "--sandbox" not in (info.value.hint or "")


def test_every_documentation_account_id_is_a_placeholder(tmp_path: Path) -> None:
    ids = ("123456789012", "111122223333", "444455556666", "012345678901")
    d = _env(tmp_path, "".join(f'a{i} = "{a}"\n' for i, a in enumerate(ids)))
    assert [h.value for h in find_placeholders(d)] == [f'"{a}"' for a in ids]


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_the_shipped_example_envs_are_refused(env: str) -> None:
    d = REPO / "envs" / env
    with pytest.raises(ConfigError) as info:
        refuse_placeholders(env, d, "plan")
    msg = info.value.message
    assert f"Refusing to plan env {env!r}" in msg
    assert 'terraform.tfvars:6 "123456789012"' in msg  # account_id, with its file, line and value
    assert "--sandbox" in (info.value.hint or "") and "sandbox = true" in (info.value.hint or "")
    assert info.value.exit_code == 2
