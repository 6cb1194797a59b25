"""envs/<env>/chromactl.toml: every problem names the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest
from chromactl.config import list_envs, load_env
from chromactl.errors import ConfigError

GOOD = """
[env]
kind = "aws"
protected = true
account_id = "123456789012"

[regions]
primary = "us-east-1"
failover = ["us-west-2"]

[state]
bucket = "chromactl-state-test"
region = "us-east-2"

[slo]
p95_ms = 100
p99_ms = 250
"""


def make_root(tmp_path: Path, name: str, text: str) -> Path:
    (tmp_path / "terraform").mkdir(exist_ok=True)
    env_dir = tmp_path / "envs" / name
    env_dir.mkdir(parents=True)
    (env_dir / "chromactl.toml").write_text(text)
    return tmp_path


def test_good_config_loads(tmp_path: Path) -> None:
    root = make_root(tmp_path, "prod", GOOD)
    env = load_env("prod", root)
    assert env.is_aws and env.protected
    assert env.primary_region == "us-east-1" and env.failover_regions == ("us-west-2",)
    assert env.state is not None and env.state.bucket == "chromactl-state-test"
    assert env.state_key("us-west-2") == "chromactl/prod/us-west-2/terraform.tfstate"
    assert env.slo.p95_ms == 100.0
    assert list_envs(root) == ["prod"]


@pytest.mark.parametrize(
    "mutate, needle",
    [
        (lambda t: t.replace('primary = "us-east-1"', 'primary = "us-east-9"'), "us-east-9"),
        (lambda t: t.replace('bucket = "chromactl-state-test"\n', ""), "state.bucket"),
        (lambda t: t.replace('bucket = "chromactl-state-test"', 'bucket = "Bad_Bucket"'), "state.bucket"),
        (lambda t: t.replace('region = "us-east-2"', 'region = "us-east-1"'), "state.region"),
        (lambda t: t.replace("protected = true", 'protected = "yes"'), "env.protected"),
        (lambda t: t.replace('account_id = "123456789012"', 'account_id = "12"'), "env.account_id"),
        (lambda t: t.replace('failover = ["us-west-2"]', 'failover = ["us-east-1"]'), "regions.failover"),
        (lambda t: t.replace("p95_ms = 100", "p95_ms = -1"), "slo.p95_ms"),
        (lambda t: t.replace("[regions]", "[regionz]"), "[regions]"),
        (lambda t: t + "\n[broken\n", "not valid TOML"),
    ],
)
def test_bad_config_names_file_and_key(tmp_path: Path, mutate, needle: str) -> None:
    root = make_root(tmp_path, "prod", mutate(GOOD))
    with pytest.raises(ConfigError) as info:
        load_env("prod", root)
    assert needle in info.value.message
    assert info.value.exit_code == 2
    if "TOML" not in needle:
        assert "chromactl.toml" in info.value.message
    assert info.value.hint


def test_unknown_env_lists_known(tmp_path: Path) -> None:
    root = make_root(tmp_path, "dev", GOOD)
    with pytest.raises(ConfigError) as info:
        load_env("prodd", root)
    assert "prodd" in info.value.message and "dev" in (info.value.hint or "")


def test_local_env_refuses_non_loopback(tmp_path: Path) -> None:
    root = make_root(tmp_path, "local", '[env]\nkind = "local"\n[local]\nhost = "0.0.0.0"\n')
    with pytest.raises(ConfigError) as info:
        load_env("local", root)
    assert "local.host" in info.value.message


def test_repo_envs_all_load() -> None:
    root = Path(__file__).resolve().parents[2]
    names = list_envs(root)
    assert "local" in names
    for name in names:
        load_env(name, root)


def test_aws_envs_share_one_root() -> None:
    """dev/staging/prod link their .tf files to envs/_root: one root, per-env tfvars and toml."""
    root = Path(__file__).resolve().parents[2]
    shared = root / "envs" / "_root"
    for name in list_envs(root):
        env = load_env(name, root)
        if not env.is_aws:
            continue
        for tf in ("main.tf", "variables.tf", "outputs.tf", "versions.tf"):
            path = env.dir / tf
            assert path.is_symlink(), f"{path} should link to envs/_root/{tf}"
            assert path.resolve() == (shared / tf).resolve()
        assert (env.dir / "terraform.tfvars").is_file() and not (env.dir / "terraform.tfvars").is_symlink()


@pytest.mark.parametrize(
    ("mutate", "line", "needle"),
    [
        # issue 20.2: a misspelled guard must not silently turn the guard off
        (lambda t: t.replace("protected = true", "protcted = true"), 4, "unknown key 'protcted' in [env] (did you mean 'protected'?)"),
        (lambda t: t + "\n[dnss]\nzone_id = \"Z1\"\n", 19, "unknown table [dnss] (did you mean [dns]?)"),
        (lambda t: t.replace("p99_ms = 250", "p59_ms = 250"), 17, "unknown key 'p59_ms' in [slo] (did you mean 'p99_ms'?)"),
        (lambda t: "color = true\n" + t, 1, "unknown top-level key 'color'"),
    ],
)
def test_unknown_keys_and_tables_are_errors_with_line_and_closest_name(tmp_path: Path, mutate, line: int, needle: str) -> None:
    root = make_root(tmp_path, "prod", mutate(GOOD))
    with pytest.raises(ConfigError) as info:
        load_env("prod", root)
    path = root / "envs" / "prod" / "chromactl.toml"
    assert info.value.message.startswith(f"{path}:{line}: "), info.value.message
    assert needle in info.value.message and info.value.exit_code == 2


def test_misspelled_protected_is_refused_by_the_cli(tmp_path: Path) -> None:
    """`envs --json` used to show "protected": false for `protcted = true`; now it is an error, exit 2."""
    from tests.checks.helpers import run_cli

    root = make_root(tmp_path, "prod", GOOD.replace("protected = true", "protcted = true"))
    res = run_cli("--json", "envs", env={"CHROMACTL_ROOT": str(root)})
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert "protcted" in res.stderr and "protected" in res.stderr and "Traceback" not in res.stderr


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "+nan"])
def test_non_finite_slos_are_refused(tmp_path: Path, value: str) -> None:
    root = make_root(tmp_path, "prod", GOOD.replace("p95_ms = 100", f"p95_ms = {value}"))
    with pytest.raises(ConfigError, match="slo.p95_ms must be a positive finite number"):
        load_env("prod", root)


def test_non_utf8_file_gets_a_sentence(tmp_path: Path) -> None:
    root = make_root(tmp_path, "prod", "x")
    (root / "envs" / "prod" / "chromactl.toml").write_bytes(GOOD.encode().replace(b"[slo]", b"# caf\xe9\n[slo]"))
    with pytest.raises(ConfigError) as info:
        load_env("prod", root)
    assert ":15: the file is not UTF-8 text (byte 0xe9" in info.value.message and info.value.exit_code == 2
