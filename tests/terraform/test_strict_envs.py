"""The envs as committed plan and apply clean against the strict double.

DEPENDS ON THE ISSUE-12 BRANCH: today's stack still has the defects issue 12 is fixing (the
apostrophe in the alb module's NAT HTTPS rule description, item 1; the TimeSinceLastSync alarm and
dashboard row without DestinationFileSystemId, item 3), so this fails on this branch alone and
names each rule it trips; it passes once both branches are merged. The corpus
(test_corpus.py) holds those defects as mutations so they cannot come back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .corpus.runner import copy_for, run_steps


@pytest.mark.parametrize("env_name", ["dev", "staging", "prod"])
def test_env_as_committed_plans_and_applies_clean(
    env_name: str, tf_offline: Any, tmp_path: Path
) -> None:
    out = run_steps(copy_for(env_name, tmp_path / env_name, baseline=False), tf_offline.env)
    tripped = [f"{d.get('address')}: {d['summary'][:200]}" for d in out.errors]
    assert out.failed_at is None, f"{env_name} failed at {out.failed_at}: " + "; ".join(
        tripped or [out.output[-800:]]
    )
