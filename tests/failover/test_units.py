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
