"""The workflows return frozen dataclasses (issue 15), and each one's to_dict() has the keys of its verb's
pinned --json result (tests/unit/json_shapes.json), in the order the verb prints them.

The contract tests (tests/*/test_json_contract.py) run the verbs; this holds the types themselves: the
return annotation of each workflow names its dataclass, and a result built with the same fields prints
exactly the pinned keys, no more (a renamed or dropped field) and no fewer.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from chromactl.checks.smoke import SmokeReport, Step
from chromactl.config import load_env
from chromactl.day2.status import ChromaSection
from chromactl.lifecycle import apply
from chromactl.lifecycle.apply import ApplyResult, DestroyResult
from chromactl.lifecycle.summary import PlanSummary
from chromactl.render import to_json
from chromactl.workflows import bootstrap, status, up
from chromactl.workflows.bootstrap import BootstrapResult
from chromactl.workflows.status import LocalStatusResult, StatusResult
from chromactl.workflows.up import LocalUpResult, UpResult

from tests.fixtures.json_contract import load_golden, problems

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def _summary() -> PlanSummary:
    s = PlanSummary()
    s.add("create", "aws_ecs_service", "aws_ecs_service.chroma")
    return s


def _smoke() -> SmokeReport:
    return SmokeReport(target={"url": "http://127.0.0.1:8000", "auth": "none", "env": "dev", "region": "us-east-1"},
                       steps=[Step("heartbeat", True, 0.01, "server answered")], collection="chromactl-check-1")


def _applied(destroy: bool = False) -> ApplyResult:
    return ApplyResult("dev", "us-east-1", destroy, _summary(), 12.3)


def _up(smoke: SmokeReport | None) -> UpResult:
    return UpResult("dev", "us-east-1", "https://chroma.example.com", _applied(), _summary(),
                    {"converged": True, "changes": {}, "output_changes": 0}, None,
                    stable=None if smoke is None else {"stable": True}, smoke=smoke,
                    token=None if smoke is None else {"current_version": "v1", "seconds": 1.0, "polls": 1})


def _local_up(smoke: SmokeReport | None) -> LocalUpResult:
    return LocalUpResult(True, False, 4242, "http://127.0.0.1:8000", "/data", "/data/chroma.log", smoke=smoke,
                         chroma_version_record=None if smoke is None else "1.5.9")


def _local_status(running: bool) -> LocalStatusResult:
    return LocalStatusResult(env="local", running=running, pid=4242 if running else None, endpoint="http://127.0.0.1:8000",
                             version="1.5.9", collections=3 if running else None, data_dir="/data", data_exists=True,
                             log="/data/chroma.log", healthy=running, state="running" if running else "stopped", stale_pid=None,
                             problems=() if running else ("not running",), highest_opened_data="1.5.9")


# pinned case -> (the workflow, a result of it with the checks that case ran)
RESULTS: dict[str, tuple[Callable[..., Any], Any]] = {
    "apply": (apply.apply_saved, _applied()),
    "destroy": (apply.destroy, DestroyResult("dev", "us-east-1", 7, _applied(destroy=True))),
    "bootstrap": (bootstrap.bootstrap, BootstrapResult("dev", "chromactl-state-dev", "us-east-2", "000000000000", True,
                                                       dict.fromkeys(("versioning", "encryption", "public_access_block",
                                                                      "ownership", "tls_only_policy", "lifecycle"), "set now"))),
    "status": (status.collect_status, StatusResult("dev", "us-east-1", "https://chroma.example.com", (), {"stable": True},
                                                   {"prefix": "chromactl-dev", "in_alarm": []}, {"configured": False},
                                                   {"note": "no backup vault"},
                                                   ChromaSection(image="chromadb/chroma:1.5.9", chroma_version="1.5.9",
                                                                 highest_opened_data="1.5.9"), NOW)),
    "status (local env)": (status.local_status, _local_status(running=True)),
    "up": (up.up, _up(_smoke())),
    "up (local env)": (up.up, _local_up(_smoke())),
}


@pytest.mark.parametrize("case", sorted(RESULTS))
def test_each_workflow_returns_a_frozen_dataclass(case: str) -> None:
    workflow, result = RESULTS[case]
    returned = typing.get_type_hints(workflow)["return"]
    assert type(result) in (typing.get_args(returned) or (returned,)), f"{workflow.__qualname__} returns {returned}"
    assert dataclasses.is_dataclass(result) and type(result).__dataclass_params__.frozen  # type: ignore[attr-defined]
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(result, dataclasses.fields(result)[0].name, None)


@pytest.mark.parametrize("case", sorted(RESULTS))
def test_to_dict_has_the_pinned_keys_in_the_printed_order(case: str) -> None:
    pinned = load_golden()["cases"][case]["result"]
    _, result = RESULTS[case]
    assert list(result.to_dict()) == list(pinned)
    assert list(to_json(result)) == list(pinned)  # what the envelope carries


def test_nested_results_keep_their_pinned_shapes() -> None:
    pinned = load_golden()["cases"]
    data = to_json(_up(_smoke()))
    assert not problems(data["applied"], pinned["up"]["result"]["applied"], "result.applied")
    assert not problems(data["plan"], pinned["up"]["result"]["plan"], "result.plan")
    assert not problems(data["smoke"]["target"], pinned["up"]["result"]["smoke"]["target"], "result.smoke.target")
    assert not problems(to_json(RESULTS["apply"][1]), pinned["apply"]["result"])
    assert not problems(to_json(RESULTS["bootstrap"][1]), pinned["bootstrap"]["result"])
    assert to_json(RESULTS["status"][1])["checked_at"] == NOW.isoformat()


def test_skipped_checks_print_no_check_keys() -> None:
    """--skip-checks: `up` printed no token, manifest or version record (the checks never ran), and smoke null."""
    aws = _up(None).to_dict()
    assert list(aws) == ["env", "region", "endpoint", "applied", "plan", "second_plan", "secrets", "stable", "smoke"]
    assert aws["stable"] is None and aws["smoke"] is None
    local = _local_up(None).to_dict()
    assert list(local) == ["started", "already_running", "pid", "endpoint", "data_dir", "log", "smoke"] and local["smoke"] is None


def test_nothing_to_destroy_and_a_destroy_without_an_apply() -> None:
    nothing = DestroyResult("dev", "us-east-1", 0)
    assert nothing.to_dict() == {"env": "dev", "region": "us-east-1", "destroyed": 0, "note": "nothing to destroy"}
    assert nothing.note == "nothing to destroy" and DestroyResult("dev", "us-east-1", 7, _applied(True)).note is None
    done = DestroyResult("dev", "us-east-1", 7, _applied(destroy=True)).to_dict()
    assert done == {**_applied(destroy=True).to_dict(), "destroyed": 7} and done["summary"]["totals"]["create"] == 1


def _local_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    root = tmp_path / "proj"
    (root / "envs" / "local").mkdir(parents=True)
    (root / "envs" / "local" / "chromactl.toml").write_text('[env]\nkind = "local"\n\n[local]\nport = 1\ndata_dir = ".chromactl/local"\n')
    monkeypatch.setenv("CHROMACTL_ROOT", str(root))
    return load_env("local", root)


def test_local_status_of_a_stopped_server_prints_the_report_in_its_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No server: local_report puts `healthy` after `stale_pid` (a running one has it after `log`, the pinned case)."""
    from chromactl.local.health import local_report

    env = _local_env(tmp_path, monkeypatch)
    result = status.local_status(env)
    report = local_report(env)
    assert result.to_dict() == {**report, "highest_opened_data": None}
    assert list(result.to_dict()) == [*report, "highest_opened_data"]
    assert list(_local_status(running=False).to_dict()) == list(result.to_dict())
    assert result.healthy is False and result.state == "stopped"


def test_a_broken_version_record_is_a_problem_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from chromactl.day2.version import local_path
    from chromactl.local.health import local_report

    env = _local_env(tmp_path, monkeypatch)
    path = local_path(env)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{not json", encoding="utf-8")
    result = status.local_status(env)
    assert result.highest_opened_data is None
    assert result.problems == (*local_report(env)["problems"], f"version record: {path} is not valid JSON.")
