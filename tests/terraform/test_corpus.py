"""Teeth: the corpus of realistic mistakes (corpus/cases.py) is caught by the offline provider
at the step where the real provider or AWS catches it, with their wording.

Every case is a copy of the repository as committed with one mutation; the steps before the
expected one must pass (so a mistake AWS only finds at apply is not reported early), and the
expected step must fail with the case's diagnostic. The controls are the envs as committed: they
must validate, plan and apply clean against the strict double (so every failure below comes from
its mutation alone, and the committed envs are proven appliable: this used to be a second file,
test_strict_envs.py, running the same three applies again). Runs are parallel (each is Terraform
plus providers).
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from .corpus.cases import CASES, Case
from .corpus.runner import Outcome, copy_for, matching, run_case, run_steps

FAMILIES = {
    "EC2/VPC",
    "ELBv2",
    "ECS",
    "EFS",
    "IAM",
    "KMS",
    "CloudWatch",
    "CloudWatch Logs",
    "SNS",
    "Secrets Manager",
    "Lambda",
    "Backup",
    "Route 53",
    "S3",
}
CONTROLS = sorted({c.env for c in CASES} | {"dev", "staging", "prod"})


# The whole corpus is ~60 Terraform runs (3 controls and 9 cases apply a whole env): several
# minutes on a loaded 2-core host, more than the suite's default per-test timeout.
pytestmark = pytest.mark.timeout(1800)


@pytest.fixture(scope="module")
def outcomes(
    tf_offline: Any, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> dict[str, Outcome]:
    """Runs the controls and the cases this session selected (all of them unless -k narrows)."""
    base = tmp_path_factory.mktemp("corpus")
    env = tf_offline.env
    wanted = {
        item.callspec.id
        for item in request.session.items
        if getattr(item, "module", None) is request.module and hasattr(item, "callspec")
    }
    jobs: dict[str, Any] = {}
    with ThreadPoolExecutor(max_workers=3) as pool:
        for name in CONTROLS:
            if name in wanted:
                root = copy_for(name, base / f"control-{name}")
                jobs[f"control-{name}"] = pool.submit(run_steps, root, env)
        for case in CASES:
            if case.id in wanted:
                jobs[case.id] = pool.submit(run_case, case, base / case.id, env)
        return {k: f.result() for k, f in jobs.items()}


def test_corpus_size_and_families() -> None:
    assert len(CASES) >= 30
    assert len({c.id for c in CASES}) == len(CASES)
    assert FAMILIES <= {c.family for c in CASES}, FAMILIES - {c.family for c in CASES}
    steps = Counter(c.step for c in CASES)
    assert all(steps[s] >= 5 for s in ("validate", "plan", "apply")), steps
    assert all(c.evidence for c in CASES)


@pytest.mark.parametrize("env_name", CONTROLS)
def test_env_as_committed_plans_and_applies_clean(env_name: str, outcomes: dict[str, Outcome]) -> None:
    out = outcomes[f"control-{env_name}"]
    tripped = [f"{d.get('address')}: {d['summary'][:200]}" for d in out.errors]
    assert out.failed_at is None, f"{env_name} failed at {out.failed_at}: " + "; ".join(
        tripped or [out.output[-800:]]
    )


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_mistake_is_caught_at_its_step(case: Case, outcomes: dict[str, Outcome]) -> None:
    out = outcomes[case.id]
    got = [(d.get("address"), d.get("summary"), (d.get("detail") or "")[:300]) for d in out.errors]
    assert out.failed_at == case.step, (
        f"{case.id}: expected to fail at {case.step}, failed at {out.failed_at}: {got or out.output[-1500:]}"
    )
    assert matching(case, out.errors), (
        f"{case.id}: no diagnostic matching {case.summaries} {case.fragments}: {got}"
    )


def test_every_mutation_applies_exactly_once() -> None:
    """Cheap guard run before the Terraform runs: each case still names one place in the tree."""
    import re

    repo = Path(__file__).resolve().parents[2]
    for case in CASES:
        text = (repo / case.file).read_text()
        assert len(re.findall(case.pattern, text, flags=re.DOTALL)) == 1, case.id
