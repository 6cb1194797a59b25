"""checkov (its own venv) over the Terraform code and over every env's plan JSON: zero failed
checks, and every skip is inline with a reason (issue 3 "Proof")."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from typing import Any

import pytest

from tests.stack._tfplan import ENVS, REPO, Plan

pytestmark = pytest.mark.slow

CHECKOV = REPO / ".venv-checkov" / "bin" / "checkov"
SKIP = re.compile(r"#\s*checkov:skip=([A-Z0-9_]+)(?::(.*))?")


def reports(raw: str) -> list[dict[str, Any]]:
    data = json.loads(raw)
    return data if isinstance(data, list) else [data]


BAD_DIR = "zz_checkov_bad"  # an obviously bad resource, scanned with the code: checkov is not blind


@pytest.fixture(scope="module")
def checkov_results(plans: dict[str, Plan], tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    """Two checkov runs side by side: the Terraform code (a copy of terraform/ plus one broken file
    in its own folder) and the three plans. One run each, because a checkov start costs seconds."""
    assert CHECKOV.is_file(), f"{CHECKOV} is missing: run `make tools`"
    tmp = tmp_path_factory.mktemp("checkov")
    plan_files = []
    for env in ENVS:
        path = tmp / f"{env}.plan.json"
        path.write_text(json.dumps(plans[env].data))
        plan_files += ["-f", str(path)]
    code = tmp / "terraform"
    shutil.copytree(REPO / "terraform", code, ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
    (code / BAD_DIR).mkdir()
    (code / BAD_DIR / "main.tf").write_text('resource "aws_efs_file_system" "open" {\n  encrypted = false\n}\n')
    runs = {
        "code": [str(CHECKOV), "-d", str(code), "--framework", "terraform", "--skip-download", "--quiet", "-o", "json"],
        "plans": [str(CHECKOV), *plan_files, "--framework", "terraform_plan",
                  "--repo-root-for-plan-enrichment", str(REPO), "--skip-download", "-o", "json"],  # not --quiet: keep the skips
    }
    procs = {name: subprocess.Popen(argv, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for name, argv in runs.items()}
    out = {}
    for name, proc in procs.items():
        try:
            stdout, stderr = proc.communicate(timeout=240)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise AssertionError(f"checkov ({name}) did not finish within 240 s") from None
        assert proc.returncode in (0, 1), f"checkov ({name}) crashed: {stderr[-2000:]}"
        out[name] = reports(stdout)
    return out


def _is_bad(check: dict[str, Any]) -> bool:
    return str(check.get("file_path", "")).lstrip("/").startswith(BAD_DIR + "/")


@pytest.mark.parametrize("target", ["code", "plans"])
def test_checkov_finds_nothing(target: str, checkov_results: dict[str, list[dict[str, Any]]]) -> None:
    results = checkov_results[target]
    passed = sum(r["summary"]["passed"] for r in results)
    failed = [f"{c['check_id']} {c['resource']} ({c.get('file_path')})" for r in results for c in r["results"]["failed_checks"]
              if not _is_bad(c)]
    assert failed == []
    assert passed > (150 if target == "code" else 600)  # it really scanned: dev+staging+prod


def test_plan_scan_honours_the_inline_skips(checkov_results: dict[str, list[dict[str, Any]]]) -> None:
    skipped = [c for r in checkov_results["plans"] for c in r["results"]["skipped_checks"]]
    assert {c["check_id"] for c in skipped} >= {"CKV_AWS_145", "CKV2_AWS_28", "CKV_AWS_116", "CKV_AWS_272"}
    for c in skipped:
        assert c.get("check_result", {}).get("suppress_comment"), c["check_id"]


def test_every_skip_is_inline_with_a_reason() -> None:
    skips = []
    for path in sorted((REPO / "terraform").rglob("*.tf")):
        for lineno, line in enumerate(path.read_text().splitlines(), 1):
            m = SKIP.search(line)
            if m:
                skips.append((f"{path.relative_to(REPO)}:{lineno}", m.group(1), (m.group(2) or "").strip()))
    assert skips, "expected the documented skips (WAF optional, ALB logs SSE-S3 only, ...)"
    for where, check, reason in skips:
        assert len(reason) >= 30, f"{where}: skip of {check} needs a real reason"
    assert not (REPO / ".checkov.yml").exists() or "skip-check" not in (REPO / ".checkov.yml").read_text()


def test_checkov_is_not_blind(checkov_results: dict[str, list[dict[str, Any]]]) -> None:
    """The same invocation fails an obviously bad resource, so "zero failed" means something."""
    failed = {c["check_id"] for r in checkov_results["code"] for c in r["results"]["failed_checks"] if _is_bad(c)}
    assert "CKV_AWS_42" in failed  # EFS not encrypted at rest
