"""Day-2 test world: a temp project with AWS envs (prod protected with a failover region, dev without),
botocore Stubbers for AWS Backup (moto 5.2.5's server has no backup-jobs, copy-jobs, restore-jobs or
recovery-points routes: moto/backup/urls.py), a fake clock so bounded waits take no time."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.filled import TEST_ACCOUNT

PRIMARY = "us-east-1"
FAILOVER = "us-west-2"
OTHER = "eu-west-1"
ACCOUNT = TEST_ACCOUNT  # the account the filled env applies as (tests/fixtures/filled.py)
FS = "fs-0123456789abcdef0"
VAULT = "chromactl-prod"
DR_VAULT = "chromactl-prod-dr-from-us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/chromactl-prod-{PRIMARY}-backup"
FS_ARN = f"arn:aws:elasticfilesystem:{PRIMARY}:{ACCOUNT}:file-system/{FS}"
DR_VAULT_ARN = f"arn:aws:backup:{FAILOVER}:{ACCOUNT}:backup-vault:{DR_VAULT}"

def write_env(root: Path, name: str, *, protected: bool) -> None:
    """The failover tests' env file (primary us-east-1, failover us-west-2, state bucket in us-east-2)."""
    from tests.failover.conftest import write_env as failover_env

    failover_env(root, name, protected=protected)


def stack_outputs(env: str = "prod", *, copy: bool = True) -> dict[str, Any]:
    """The stack outputs a day-2 verb reads (names as terraform/stack/outputs.tf)."""
    out: dict[str, Any] = {
        "file_system_id": FS, "backup_vault_name": f"chromactl-{env}", "backup_role_arn": ROLE, "account_id": ACCOUNT,
        "region": PRIMARY, "failover_region": FAILOVER, "file_system_root_directory": "/chroma",
        "cluster_name": f"chromactl-{env}", "service_name": f"chromactl-{env}",
    }
    if copy:
        out["dr_backup_vault_name"] = DR_VAULT
    return out


@dataclass
class FakeClock:
    """A.Clock's shape; sleep advances monotonic time, so a bounded wait is exercised without waiting."""

    t: float = 0.0
    sleeps: list[float] = field(default_factory=list)

    def monotonic(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.sleeps.append(s)
        self.t += s

    def now(self) -> Any:
        from datetime import UTC, datetime

        return datetime.now(UTC)

    def as_clock(self) -> Any:
        from chromactl.failover.aws import Clock

        return Clock(now=self.now, sleep=self.sleep, monotonic=self.monotonic)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    (root / "terraform").mkdir(parents=True)
    write_env(root, "prod", protected=True)
    write_env(root, "staging", protected=False)
    local = root / "envs" / "local"
    local.mkdir(parents=True)
    (local / "chromactl.toml").write_text('[env]\nkind = "local"\n')
    monkeypatch.setenv("CHROMACTL_ROOT", str(root))
    return root


@pytest.fixture
def backup_stub() -> Iterator[tuple[Any, Any]]:
    """(client, Stubber) for AWS Backup in the primary region; every queued response must be used."""
    import boto3
    from botocore.stub import Stubber

    client = boto3.client("backup", region_name=PRIMARY, aws_access_key_id="testing", aws_secret_access_key="testing")
    stub = Stubber(client)
    stub.activate()
    try:
        yield client, stub
    finally:
        stub.deactivate()


def factory_with(**clients: Any) -> Any:
    """A ClientFactory whose (service, region) clients are the given stubbed ones (keys: service_region)."""
    from chromactl.aws.session import ClientFactory

    overrides = {}
    for key, client in clients.items():
        service, region = key.split("__")
        overrides[(service, region.replace("_", "-"))] = client
    return ClientFactory(overrides=overrides)


# --- real Terraform against the offline provider (as tests/failover) ----------------------------------------

from tests.failover.conftest import chroma  # noqa: F401  (the session's real Chroma behind nginx, token TOKEN)


@pytest.fixture(scope="module")
def applied_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """envs/prod applied once, for real, by lifecycle.apply_region against the offline provider (local backend):
    the stack as `up` leaves it, file system and protect guard included. Tests copy it (tf_project)."""
    from chromactl.config import load_env
    from chromactl.failover.ports import Ports
    from chromactl.output import Output
    from tfoffline import harness

    from tests.failover.conftest import make_project

    base = tmp_path_factory.mktemp("day2-template")
    root = make_project(base / "project")
    write_env(root, "prod", protected=True)
    # The apply refuses placeholders (issue 17): fill the copy's as a user would. The Stubbers and moto answer
    # as ACCOUNT (a documentation id), so the env declares no account for a verb to compare it with.
    import re

    from tests.fixtures.filled import fill_placeholders

    prod = root / "envs" / "prod"
    toml = prod / "chromactl.toml"
    toml.write_text(re.sub(r"(?m)^account_id = .*\n", "", toml.read_text()))
    fill_placeholders(prod)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CHROMACTL_ROOT", str(root))
        mp.setenv("CHROMACTL_BACKEND", "local")
        mp.setenv("TF_CLI_CONFIG_FILE", str(harness.write_cli_config(base / "tfrc")))
        mp.setenv("NO_COLOR", "1")
        Ports().apply_region(load_env("prod"), PRIMARY, extra_vars=None, output=Output(json=True), auto_approve=True)
    return root


@pytest.fixture
def tf_project(applied_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the applied project (its state included; Terraform's data dir left to a fresh init)."""
    import shutil

    from tfoffline import harness

    root = tmp_path / "project"
    shutil.copytree(applied_template, root, symlinks=True, ignore=shutil.ignore_patterns(".terraform"))
    write_env(root, "staging", protected=False)
    monkeypatch.setenv("CHROMACTL_ROOT", str(root))
    monkeypatch.setenv("CHROMACTL_BACKEND", "local")
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(harness.write_cli_config(tmp_path / "tfrc")))
    monkeypatch.setenv("NO_COLOR", "1")
    return root


def state_of(root: Path, env: str = "prod", region: str = PRIMARY) -> dict[str, Any]:
    import json

    return json.loads((root / ".chromactl" / "state" / env / region / "terraform.tfstate").read_text())


def resources(state: dict[str, Any], rtype: str) -> list[dict[str, Any]]:
    return [i["attributes"] for r in state["resources"] if r["mode"] == "managed" and r["type"] == rtype for i in r["instances"]]
