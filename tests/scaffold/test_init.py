"""`chromactl init` in-process: what it writes, what it refuses, and what it leaves to fill in.

The offline plan of a scaffolded env is in test_init_plan.py; the installed-wheel flow in
test_wheel_install.py.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from chromactl import __version__
from chromactl.config import load_env
from chromactl.modules import DEFAULT_MODULE_REPOSITORY, env_pin

from tests.fixtures.envelope import result_of
from tests.lifecycle.conftest import assert_clean_error, run_cli

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty 'infrastructure repository' as the current directory (no envs/, no checkout)."""
    proj = tmp_path / "infra"
    proj.mkdir()
    monkeypatch.chdir(proj)
    for var in ("CHROMACTL_ROOT", "CHROMACTL_ENV", "CHROMACTL_REGION", "CHROMACTL_JSON", "CHROMACTL_MODULE_SOURCE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    return proj


def test_init_writes_a_pinned_env_and_gitignore(repo: Path) -> None:
    res = run_cli("init", "--env", "prod", "--region", "us-east-1", "--failover-region", "us-west-2", "--json")
    assert res.code == 0, res.err
    data = result_of(res.out)
    env_dir = repo / "envs" / "prod"
    assert sorted(data["wrote"]) == sorted(
        [f"envs/prod/{n}" for n in ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "terraform.tfvars", "chromactl.toml")]
        + [".gitignore"]
    )
    assert data["module_source"] == f"{DEFAULT_MODULE_REPOSITORY}//terraform/stack?ref=v{__version__}"
    pin = env_pin(env_dir)
    assert pin is not None and pin.ref == f"v{__version__}" and pin.source == data["module_source"]
    # the root is the shared env root this chromactl ships, with only the module source pinned
    for name in ("variables.tf", "outputs.tf", "versions.tf"):
        assert (env_dir / name).read_text() == (REPO / "envs" / "_root" / name).read_text()
    shipped = (REPO / "envs" / "_root" / "main.tf").read_text()
    written = (env_dir / "main.tf").read_text()
    assert written.endswith(shipped.replace('"../../terraform/stack"', f'"{data["module_source"]}"'))
    # a valid env for chromactl, protected by default, the regions as asked
    env = load_env("prod", repo)
    assert env.is_aws and env.protected and env.primary_region == "us-east-1"
    assert list(env.failover_regions) == ["us-west-2"]
    assert env.state is not None and env.state.region != env.primary_region
    tfvars = (env_dir / "terraform.tfvars").read_text()
    assert re.search(r'(?m)^region\s*=\s*"us-east-1"$', tfvars) and re.search(r'(?m)^failover_region\s*=\s*"us-west-2"$', tfvars)
    assert re.search(r'(?m)^  "us-east-1"\s*= \["us-east-1a", "us-east-1b", "us-east-1c"\]$', tfvars)
    assert re.search(r'(?m)^env\s*=\s*"prod"$', tfvars)
    # every value the user must choose is marked, and doctor's detector finds them
    assert data["to_fill"], data
    assert any(f.startswith("terraform.tfvars:") for f in data["to_fill"])
    assert any(f.startswith("chromactl.toml:") for f in data["to_fill"])
    ignored = (repo / ".gitignore").read_text().splitlines()
    for entry in (".terraform/", ".chromactl/", "/build/", "*.tfplan", "*.tfstate"):
        assert entry in ignored
    assert "build/" not in ignored  # only the top-level build/ (the rotation zip), not every build/ folder of the repository
    assert ".terraform.lock.hcl" not in ignored  # the dependency lock file is meant to be committed


def test_init_fills_account_and_domain_and_sandbox(repo: Path) -> None:
    (repo / ".gitignore").write_text("node_modules/\n.terraform/\n")
    res = run_cli(
        "init", "--env", "try-it", "--region", "eu-west-1", "--account", "000000000000",
        "--domain", "chroma.internal.acme.test", "--sandbox", "--json",
    )
    assert res.code == 0, res.err
    data = result_of(res.out)
    assert data["failover_region"] == "eu-central-1" and data["sandbox"] is True
    env_dir = repo / "envs" / "try-it"
    tfvars = (env_dir / "terraform.tfvars").read_text()
    assert re.search(r'(?m)^account_id\s*=\s*"000000000000"', tfvars)
    assert re.search(r'(?m)^domain_name\s*=\s*"chroma.internal.acme.test"', tfvars)
    assert re.search(r'(?m)^  "eu-west-1"\s*= \["eu-west-1a", "eu-west-1b"\]$', tfvars)  # the sandbox example: 2 AZs
    assert re.search(r"(?m)^single_nat_gateway\s*=\s*true", tfvars)
    toml = tomllib.loads((env_dir / "chromactl.toml").read_text())
    assert toml["env"]["protected"] is False and toml["env"]["sandbox"] is True
    assert toml["env"]["account_id"] == "000000000000"
    assert toml["state"]["bucket"] == "chromactl-state-try-it-000000000000"
    # the account is no longer a placeholder; the certificates still are
    assert not any("account_id" in ln for ln in tfvars.splitlines() if "REPLACE" in ln.split("#")[0])
    assert data["to_fill"] and all(f.startswith("terraform.tfvars:") for f in data["to_fill"])
    # existing .gitignore kept, only the missing entries added, once
    lines = (repo / ".gitignore").read_text().splitlines()
    assert lines[:2] == ["node_modules/", ".terraform/"] and lines.count(".terraform/") == 1
    again = run_cli("init", "--env", "second", "--region", "eu-west-1", "--json")
    assert again.code == 0, again.err
    assert result_of(again.out)["gitignore_added"] == []


def test_init_refuses_to_overwrite(repo: Path) -> None:
    assert run_cli("init", "--env", "prod", "--region", "us-east-1").code == 0
    tfvars = repo / "envs" / "prod" / "terraform.tfvars"
    tfvars.write_text(tfvars.read_text() + "\n# my edit\n")
    before = {p: p.read_bytes() for p in (repo / "envs" / "prod").iterdir()}
    res = run_cli("init", "--env", "prod", "--region", "us-west-2")
    assert_clean_error(res, 2, "never overwrites")
    assert {p: p.read_bytes() for p in (repo / "envs" / "prod").iterdir()} == before


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--env", "Prod"], "not a name"),
        (["--env", "local"], "the embedded env"),
        # names that collide with the repository's layout, or are no folder name at all (issue 17 review, item 6)
        (["--env", "envs"], "the folder that holds the envs"),
        (["--env", "_root"], "not a name"),
        (["--env=-x"], "not a name"),
        (["--env", "."], "not a name"),
        (["--env", ".."], "not a name"),
        (["--env", "../../etc"], "not a name"),
        (["--env", "a-long-name"], "1 to 10"),  # the stack module's var.env rule: it would pass init and fail at plan
        # AWS's documentation account ids are no account (issue 17 review, item 3)
        (["--env", "x", "--account", "123456789012"], "AWS's documentation examples"),
        (["--env", "x", "--account", "111122223333"], "AWS's documentation examples"),
        (["--env", "x", "--account", "12345678901a"], "not an AWS account id"),
        (["--env", "x", "--allowed-cidr", "203.0.113.0/24"], "documentation range"),
        (["--env", "x", "--allowed-cidr", "10.0.0.1/16"], "not an IPv4 network"),
        (["--env", "x", "--certificate-arn", "arn:aws:acm:eu-west-3:000000000000:certificate/abc"], "neither of the env's regions"),
        (["--env", "x", "--account", "000000000000", "--certificate-arn", "arn:aws:acm:us-east-1:000000000001:certificate/abc"],
         "belongs to account 000000000001"),
        (["--env", "x", "--certificate-arn", "arn:aws:acm:us-east-1:123456789012:certificate/abc"], "example ARN"),
        (["--env", "x", "--region", "us-east-9"], "Unknown AWS region"),
        (["--env", "x", "--failover-region", "us-east-1"], "failover region is the primary"),
        (["--env", "x", "--account", "12345"], "not an AWS account id"),
        (["--env", "x", "--domain", "not a domain"], "not a domain name"),
        (["--env", "x", "--domain", "example.com"], "reserved example domain"),  # issue 17 review, item 8
        (["--env", "x", "--domain", "chroma.example.org"], "reserved example domain"),
        (["--env", "x", "--module-source", "git::https://example.org/m.git//terraform/stack?ref=v1"], "already names"),
        # issue 17 review, item 5: only a git source pins anything with ?ref=
        (["--env", "x", "--module-source", "/srv/mirrors/chromactl"], "not a git URL"),
        (["--env", "x", "--module-source", "../chromactl"], "not a git URL"),
        (["--env", "x", "--module-source", "https://example.org/chromactl.zip"], "an archive"),
        (["--env", "x", "--module-source", "http://git.example.org/chromactl.git"], "plain HTTP"),
        (["--env", "x", "--module-source", "git.example.org/platform/chromactl"], "not a git URL"),
        (["--env", "x", "--module-source", "git::https://example.org/my repo.git"], "whitespace"),
        (["--env", "x", "--module-source", "   "], "whitespace"),
    ],
)
def test_init_bad_input_writes_nothing(repo: Path, args: list[str], needle: str) -> None:
    full = ["init", *args]
    if "--region" not in args:
        full += ["--region", "us-east-1"]
    res = run_cli(*full)
    assert_clean_error(res, 2, needle)
    assert list(repo.iterdir()) == []


def test_init_uses_the_module_source_given(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHROMACTL_MODULE_SOURCE", "git::ssh://git@git.internal.example.org/platform/chromactl.git")
    res = run_cli("init", "--env", "prod", "--region", "us-east-1", "--json")
    assert res.code == 0, res.err
    assert result_of(res.out)["module_source"] == (
        f"git::ssh://git@git.internal.example.org/platform/chromactl.git//terraform/stack?ref=v{__version__}"
    )


@pytest.mark.parametrize(
    ("given", "pinned"),
    [  # Terraform reads a bare https:// address as an HTTP archive and git@host:path as git only on github.com
        ("https://git.example.org/platform/chromactl.git", "git::https://git.example.org/platform/chromactl.git"),
        ("git@git.example.org:platform/chromactl.git", "git::ssh://git@git.example.org/platform/chromactl.git"),
        ("ssh://git@git.example.org/platform/chromactl.git", "git::ssh://git@git.example.org/platform/chromactl.git"),
        ("git::file:///srv/mirrors/chromactl", "git::file:///srv/mirrors/chromactl"),
    ],
)
def test_init_makes_the_module_source_a_git_source(repo: Path, monkeypatch: pytest.MonkeyPatch, given: str, pinned: str) -> None:
    monkeypatch.setenv("CHROMACTL_MODULE_SOURCE", given)
    res = run_cli("init", "--env", "prod", "--region", "us-east-1", "--json")
    assert res.code == 0, res.err
    assert result_of(res.out)["module_source"] == f"{pinned}//terraform/stack?ref=v{__version__}"


def test_envs_and_project_root_work_in_a_user_repository(repo: Path) -> None:
    assert run_cli("init", "--env", "prod", "--region", "us-east-1").code == 0
    sub = repo / "envs" / "prod"
    import os

    os.chdir(sub)  # from anywhere inside the repository
    res = run_cli("envs", "--json")
    assert res.code == 0, res.err
    assert [e["name"] for e in result_of(res.out)["envs"]] == ["local", "prod"]  # local: built in (review finding 2)


def test_placeholder_hints_and_all_of_them_listed(repo: Path) -> None:
    """Issue 17 review, item 8: the alarm address's hint asks for an e-mail address (it said the domain_name
    hint), and a fresh production env's placeholders (about six) are all named, with no "and 1 more"."""
    from chromactl.lifecycle.placeholders import ALL_SHOWN, find_placeholders, summary

    assert run_cli("init", "--env", "prod", "--region", "us-east-1", "--failover-region", "us-west-2").code == 0
    hits = find_placeholders(repo / "envs" / "prod")
    email = [h for h in hits if "@example.com" in h.value]
    assert email and all(h.fill == "your team's e-mail address" for h in email), email
    assert 5 < len(hits) <= ALL_SHOWN
    text = summary(hits)
    assert "more" not in text and all(h.describe() in text for h in hits)
    res = run_cli("plan", "--env", "prod")
    assert res.code == 2 and "more" not in res.err and all(h.where in res.err for h in hits), res.err
    many = hits * 3
    assert summary(many).endswith(f"; and {len(many) - ALL_SHOWN} more")
