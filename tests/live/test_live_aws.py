"""The live suite against real AWS (`make test-live ENV=<sandbox env>`).

Skipped, with the reason, unless CHROMACTL_LIVE=1, CHROMACTL_LIVE_ENV names an
env and AWS credentials are present. The env must not be protected (the suite
ends with `destroy`). The JSON report goes to $CHROMACTL_LIVE_REPORT or
build/live-report-<env>.json. Its orchestration is the one the offline test
(test_suite_offline.py) runs in `make test`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from chromactl_dev.live import AwsTarget, SuiteSettings, live_enabled, run_suite

pytestmark = pytest.mark.live

ENABLED, WHY = live_enabled()


@pytest.mark.skipif(not ENABLED, reason=WHY or "live suite disabled")
def test_live_suite_against_aws() -> None:
    from chromactl.config import load_env, project_root
    from chromactl.output import Output

    env = load_env(os.environ["CHROMACTL_LIVE_ENV"])
    output = Output(verbose=bool(os.environ.get("CHROMACTL_VERBOSE")))
    target = AwsTarget(env, os.environ.get("CHROMACTL_LIVE_REGION") or None, output, profile=os.environ.get("AWS_PROFILE") or None)
    report_path = Path(os.environ.get("CHROMACTL_LIVE_REPORT") or project_root() / "build" / f"live-report-{env.name}.json")
    settings = SuiteSettings(wait_timeout_s=float(os.environ.get("CHROMACTL_LIVE_WAIT_S", "1200")))
    report = run_suite(target, report_path=report_path, settings=settings)
    print(f"\nlive report: {report_path}")
    assert report.destroyed, f"destroy did not complete: resources may be left in {env.name}; see {report_path}"
    assert report.ok, json.dumps(report.to_dict(), indent=2, default=str)
