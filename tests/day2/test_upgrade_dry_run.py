"""`upgrade --dry-run` on the repository's own envs: every step and call, and the modelled one-writer downtime from
each env's expected vectors (terraform.tfvars) printed beside its RTO target (chromactl.toml); nothing is asked of
AWS or Terraform. The figures and their sources: docs/upgrade.md (this test keeps the table there true)."""

from __future__ import annotations

from pathlib import Path

import pytest
from chromactl.cli.app import main

from tests.fixtures.envelope import result_of

REPO = Path(__file__).resolve().parents[2]
NEW = "chromadb/chroma:1.6.0@sha256:" + "ab" * 32


@pytest.mark.parametrize(("env", "index_mib", "total_s"), [("dev", 647, 195.1), ("staging", 6461, 311.4), ("prod", 32302, 828.2)])
def test_dry_run_models_the_downtime_beside_the_rto(env: str, index_mib: int, total_s: float, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CHROMACTL_ROOT", str(REPO))
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # anything that reached AWS would fail
    assert main(["upgrade", "--env", env, "--image", NEW, "--dry-run", "--json"]) == 0
    res = result_of(capsys.readouterr().out)
    assert [s["step"] for s in res["steps"]] == ["preflight", "backup", "apply", "wait", "gate", "rollback"]
    down = res["modelled_downtime"]
    assert down["index_mib"] == index_mib and down["total_s"] == total_s
    assert down["stop_s"] == 90 and down["healthy_s"] == 30 and res["rto_target_minutes"] == 15 and res["within_rto"] is True
    assert main(["upgrade", "--env", env, "--image", NEW, "--dry-run"]) == 0
    text = capsys.readouterr().out
    assert f"Modelled downtime with one writer: {total_s:.0f} s" in text and "RTO target 15 min" in text and "Nothing was changed." in text
    assert f"{index_mib:,} MiB" in (REPO / "docs" / "upgrade.md").read_text()


def test_dry_run_refuses_a_non_chroma_image(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CHROMACTL_ROOT", str(REPO))
    assert main(["upgrade", "--env", "dev", "--image", "nginx:1.27.0@sha256:" + "ab" * 32, "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: 'nginx' is not a Chroma image") and "Traceback" not in err


def test_dry_run_refuses_a_non_primary_region_like_the_real_run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CHROMACTL_ROOT", str(REPO))
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    assert main(["upgrade", "--env", "prod", "--region", "us-west-2", "--image", NEW, "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: upgrade runs in the primary region us-east-1 of env 'prod', not us-west-2.") and "Traceback" not in err
