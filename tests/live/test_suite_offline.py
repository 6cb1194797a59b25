"""The live suite's orchestration, run offline in `make test` (see tests/live/offline.py):
real Terraform (offline provider, local backend), moto's server, a real Chroma behind a
real nginx, the real rotation handler. Proves every step runs and passes, the report
records each step's duration, and `destroy` runs in a `finally` after a failure mid-suite
(the state is empty afterwards, the remaining steps are marked skipped)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chromactl_dev.live import STEPS, SuiteSettings, run_suite

from tests.live.offline import OfflineTarget, make_project, make_tiny_project

pytestmark = pytest.mark.slow

SMALL = SuiteSettings(wait_timeout_s=60, latency_queries=150, latency_concurrency=2, latency_seed_vectors=500, latency_dims=32,
                      rotation_timeout_s=60)


def _offline(tiny: bool, chroma_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from chromactl.config import load_env
    from chromactl.output import Output

    root, cli_config = (make_tiny_project if tiny else make_project)(tmp_path)
    monkeypatch.setenv("CHROMACTL_ROOT", str(root))
    monkeypatch.setenv("CHROMACTL_BACKEND", "local")
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(cli_config))
    monkeypatch.setenv("NO_COLOR", "1")
    for var in ("CHROMACTL_ENV", "CHROMACTL_REGION", "CHROMACTL_JSON", "CHROMACTL_TERRAFORM", "TF_DATA_DIR", "CHROMACTL_AWS_ENDPOINTS"):
        monkeypatch.delenv(var, raising=False)
    # Terraform must not reach the network (the registry is https); local http (moto, nginx) is not proxied
    for var in ("HTTPS_PROXY", "https_proxy"):
        monkeypatch.setenv(var, "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    nginx_dir = tmp_path / "nginx"
    target = OfflineTarget(load_env("dev"), Output(json=True), chroma_url=chroma_server.url, nginx_dir=nginx_dir, monkeypatch=monkeypatch)
    try:
        yield target
    finally:
        target.close()


@pytest.fixture
def offline(aws_env: Any, steady_tasks: None, chroma_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    yield from _offline(False, chroma_server, tmp_path, monkeypatch)


@pytest.fixture
def offline_tiny(aws_env: Any, steady_tasks: None, chroma_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    yield from _offline(True, chroma_server, tmp_path, monkeypatch)


def state_resources(root: Path) -> list[str]:
    path = root / ".chromactl" / "state" / "dev" / "us-east-1" / "terraform.tfstate"
    if not path.exists():
        return []
    return [r["type"] for r in json.loads(path.read_text()).get("resources", []) if r.get("mode") == "managed"]


def test_live_suite_offline_passes_end_to_end(offline: OfflineTarget, tmp_path: Path) -> None:
    report_path = tmp_path / "report" / "live.json"
    report = run_suite(offline, report_path=report_path, settings=SMALL)
    data = json.loads(report_path.read_text())
    assert report.ok, json.dumps(data, indent=2)[-4000:]
    assert [s["name"] for s in data["steps"]] == [*STEPS, "destroy"]
    assert all(s["ok"] and s["seconds"] >= 0 for s in data["steps"]) and data["destroyed"]
    assert offline.calls == ["up", "wait", "status", "destroy"]
    step = {s["name"]: s for s in data["steps"]}
    # real Terraform planned and applied the stack, then destroyed it
    assert offline.terraform_outputs["endpoint_url"].startswith("https://")
    assert state_resources(offline.env.dir.parent.parent) == []
    # the wait measured the simulated control plane starting the task (0.6 s + 0.3 s)
    assert step["wait"]["detail"]["running"] == 1 and step["wait"]["seconds"] >= 0.8
    assert step["unauthenticated"]["detail"] == {"no_token": 401, "wrong_token": 401, "our_token": 200}
    load = step["rotation"]["detail"]["load"]
    assert load["errors"] == 0 and load["requests"] > 0 and load["with_new_token"] > 0
    assert step["latency"]["detail"]["errors"] == 0 and step["latency"]["detail"]["count"] == 150
    print("\nlive suite (offline): " + ", ".join(f"{s['name']} {s['seconds']:.1f}s" for s in data["steps"]))


def test_destroy_runs_in_finally_after_a_failure_mid_suite(offline_tiny: OfflineTarget, tmp_path: Path) -> None:
    """Same orchestration and fakes; the env root is a tiny stand-in (built-in resources, the stack's
    output names) so this second apply/destroy costs seconds, not the whole stack's half minute."""
    offline = offline_tiny
    report_path = tmp_path / "live.json"

    def inject(step: str) -> None:
        if step == "smoke":
            raise RuntimeError("injected failure at smoke")

    report = run_suite(offline, report_path=report_path, settings=SMALL, inject=inject)
    data = json.loads(report_path.read_text())
    assert not report.ok and not data["ok"]
    step = {s["name"]: s for s in data["steps"]}
    assert step["up"]["ok"] and step["wait"]["ok"] and step["status"]["ok"], json.dumps(data["steps"])[:3000]
    assert not step["smoke"]["ok"] and "injected failure at smoke" in step["smoke"]["error"]
    assert all(step[n].get("skipped") for n in ("latency", "unauthenticated", "rotation"))
    assert step["destroy"]["ok"] and data["destroyed"]
    assert offline.calls[-1] == "destroy"
    assert state_resources(offline.env.dir.parent.parent) == []
    assert offline.proxy is None and offline.plane is None  # the local fakes are stopped too


def test_a_perpetual_diff_fails_the_up_step_and_the_stack_is_still_destroyed(offline_tiny: OfflineTarget, tmp_path: Path) -> None:
    """The suite's `up` plans again after the apply (issue 12, item 18): a resource that changes in every
    plan (here `timestamp()`, as a provider-normalised task definition would) fails the step, naming it."""
    offline = offline_tiny
    main_tf = offline.env.dir / "main.tf"
    main_tf.write_text(main_tf.read_text() + '\nresource "terraform_data" "clock" {\n  input = timestamp()\n}\n')
    report_path = tmp_path / "live.json"
    report = run_suite(offline, report_path=report_path, settings=SMALL)
    data = json.loads(report_path.read_text())
    step = {s["name"]: s for s in data["steps"]}
    assert not report.ok and not step["up"]["ok"]
    assert "does not converge" in step["up"]["error"] and "terraform_data.clock (update)" in step["up"]["error"], step["up"]
    assert all(step[n].get("skipped") for n in STEPS if n != "up")
    assert step["destroy"]["ok"] and state_resources(offline.env.dir.parent.parent) == []
