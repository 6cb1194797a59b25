"""Small pure pieces of the failover: the restore directory name, the image check, reading the primary's state."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from chromactl.errors import OperationFailed
from chromactl.failover import aws as A
from chromactl.failover.model import RTO_TARGET_REPLICA_S, STEPS, modelled_rto_s, step_model

from tests.failover.conftest import PRIMARY, REPLICA_FS, SOURCE_FS, TARGET, primary_state


def test_restore_dir_name_is_utc_with_milliseconds() -> None:
    when = datetime(2022, 1, 17, 9, 53, 32, 695123, tzinfo=timezone(timedelta(hours=1)))
    assert A.restore_dir_name(when) == "aws-backup-restore_2022-01-17T08-53-32-695Z"


def test_primary_state_parsing() -> None:
    state = primary_state()
    outputs = A.state_outputs(state)
    assert outputs["file_system_id"] == SOURCE_FS and outputs["replica_file_system_id"] == REPLICA_FS
    assert A.access_point_root(state) == "/chroma"
    del state["outputs"]["file_system_root_directory"]
    state["resources"][0]["instances"][0]["attributes"]["root_directory"][0]["path"] = "/data/chroma"
    assert A.access_point_root(state) == "/data/chroma"  # from the access point when the output is absent
    assert A.task_images(state) == ["chromadb/chroma:1.5.9"]
    assert A.access_point_root(None) == A.DEFAULT_ROOT and A.task_images(None) == []


def test_image_check() -> None:
    public = A.check_image(["chromadb/chroma:1.5.9"], TARGET, PRIMARY, factory=None)
    assert "public registry image" in public["notes"][0]
    with pytest.raises(OperationFailed, match="lives in ECR in the failed primary region"):
        A.check_image([f"123456789012.dkr.ecr.{PRIMARY}.amazonaws.com/chroma:1.5.9"], TARGET, PRIMARY, factory=None)


def test_rto_model_within_target_and_every_figure_sourced() -> None:
    assert [m.name for m in step_model("replica")] == list(STEPS)
    assert modelled_rto_s("replica") <= RTO_TARGET_REPLICA_S
    assert modelled_rto_s("backup") > modelled_rto_s("replica")
    assert all(m.source and m.seconds > 0 for m in step_model("backup"))


def test_journal_never_stores_a_sensitive_output_here_or_in_its_mirror(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Issue 20.9: the journal records each step's outputs, locally and in the S3 mirror; never a secret."""
    import json

    from chromactl.failover.journal import Journal

    mirrored: list[bytes] = []
    j = Journal(path=tmp_path / "j.json", env="prod", target_region="us-west-2", primary_region="us-east-1",
                source="replica", mirror=mirrored.append)
    secret = "s3cr3t-value-9f8e7d"
    j.begin("apply")
    j.finish("apply", {"outputs": {"endpoint_url": "https://chroma.example.com", "token_secret_arn": "arn:aws:secretsmanager:us-west-2:123456789012:secret:x",
                                   "bootstrap_token": secret, "admin": {"value": secret, "type": "string", "sensitive": True},
                                   "db_password": secret}}, 1.0)
    j.save()
    local = (tmp_path / "j.json").read_text()
    for text in (local, mirrored[-1].decode()):
        assert secret not in text
        data = json.loads(text)
        out = data["steps"]["apply"]["outputs"]["outputs"]
        assert out["endpoint_url"] == "https://chroma.example.com" and out["token_secret_arn"].startswith("arn:aws:")
    assert oct((tmp_path / "j.json").stat().st_mode & 0o777) == "0o600"


_SENSITIVE_MAIN_TF = """\
terraform {
  required_version = ">= 1.10"
}

variable "region" {
  type    = string
  default = "us-west-2"
}

variable "existing_file_system_id" {
  type    = string
  default = ""
}

variable "existing_root_directory" {
  type    = string
  default = ""
}

variable "enable_cross_region_dr" {
  type    = string
  default = "true"
}

resource "terraform_data" "svc" {
  input = var.existing_file_system_id
}

output "endpoint_url" {
  value = "https://chroma.${var.region}.example.com"
}

# An innocent name the name filter cannot catch: only Terraform's flag says it is secret.
output "endpoint_note" {
  value     = "n0te-${terraform_data.svc.id}-4c1d"
  sensitive = true
}
"""


def test_failover_apply_step_never_journals_a_sensitive_output_with_an_innocent_name(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Issue 20.9: the apply step's outputs come from a real (offline) Terraform apply as bare values; Terraform's
    `sensitive` flag must travel with them into the journal, so `endpoint_note` (no secret-looking name) is dropped
    from the journal file and from its S3 mirror, while the step still gets its value for the next steps."""
    import json

    from chromactl.config import load_env
    from chromactl.failover.core import Run, Settings, _apply
    from chromactl.failover.journal import REDACTED, Journal
    from chromactl.failover.ports import Ports
    from chromactl.output import Output

    root = tmp_path / "proj"
    (root / "terraform").mkdir(parents=True)
    env_dir = root / "envs" / "prod"
    env_dir.mkdir(parents=True)
    (env_dir / "main.tf").write_text(_SENSITIVE_MAIN_TF)
    (env_dir / "chromactl.toml").write_text('[env]\nkind = "aws"\nprotected = true\n[regions]\nprimary = "us-east-1"\n'
                                            'failover = ["us-west-2"]\n[state]\nbucket = "chromactl-test-state-prod"\nregion = "us-east-2"\n')
    cli_config = tmp_path / "terraformrc"
    cli_config.write_text("")
    monkeypatch.setenv("CHROMACTL_ROOT", str(root))
    monkeypatch.setenv("CHROMACTL_BACKEND", "local")
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(cli_config))
    env = load_env("prod", root)

    mirrored: list[bytes] = []
    journal = Journal(path=tmp_path / "j.json", env="prod", target_region=TARGET, primary_region=PRIMARY, source="replica",
                      mirror=mirrored.append)
    journal.finish("preflight", {"primary": {}}, 0.1)
    journal.finish("promote", {"file_system_id": "fs-0123456789abcdef0", "root_directory": "/chroma"}, 0.1)
    run = Run(env=env, target=TARGET, journal=journal, factory=None, ports=Ports(), clock=A.Clock(), settings=Settings(),
              output=Output(json=True), profile=None, recovery_point=None, restore_dir=None, accept_data_diff=False)
    journal.begin("apply")
    res = _apply(run)  # real terraform init/plan/apply/output on the offline project
    note = res["outputs"]["endpoint_note"]
    assert note.startswith("n0te-") and res["outputs"]["endpoint_url"] == "https://chroma.us-west-2.example.com"
    journal.finish("apply", res, 1.0)
    journal.save()
    for text in ((tmp_path / "j.json").read_text(), mirrored[-1].decode()):
        assert note not in text
        stored = json.loads(text)["steps"]["apply"]["outputs"]["outputs"]
        assert stored["endpoint_note"] == REDACTED and stored["endpoint_url"] == "https://chroma.us-west-2.example.com"


def test_primary_state_outputs_keep_terraforms_sensitive_flag() -> None:
    """The preflight reads the primary's state as bare values; its sensitive flags reach the journal's scrub too."""
    from chromactl.failover.journal import REDACTED, scrub

    state = primary_state()
    state["outputs"]["endpoint_url"] = {"value": "https://chroma.example.com", "type": "string", "sensitive": True}
    picked = A.state_outputs(state).pick(("endpoint_url", "cluster_name"))
    assert picked["endpoint_url"] == "https://chroma.example.com"  # the step itself still reads the value
    assert scrub({"primary": picked}) == {"primary": {"endpoint_url": REDACTED, "cluster_name": picked["cluster_name"]}}
