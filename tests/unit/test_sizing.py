"""The capacity rule and `chromactl size` (issue 21): the pick, both figures, the Fargate pair, exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from chromactl import sizing
from chromactl.errors import UsageError

from tests.fixtures.envelope import result_of

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "chromactl.cli.app"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=60, cwd=ROOT, env=env, check=False)


def fargate_ok(cpu: int, memory: int) -> bool:
    """AWS's table (RegisterTaskDefinition `memory`, botocore ecs 2014-11-13 service-2.json), written out
    independently of sizing.FARGATE_SIZES."""
    rules = {256: (512, 2048, None), 512: (1024, 4096, 1024), 1024: (2048, 8192, 1024), 2048: (4096, 16384, 1024),
             4096: (8192, 30720, 1024), 8192: (16384, 61440, 4096), 16384: (32768, 122880, 8192)}
    lo, hi, step = rules[cpu]
    if step is None:
        return memory in (512, 1024, 2048)
    return lo <= memory <= hi and memory % step == 0


@pytest.mark.parametrize(("vectors", "dims"), [(0, 384), (100_000, 1536), (1_000_000, 1536), (5_000_000, 1536),
                                               (2_000_000, 384), (10_000_000, 768), (123_457, 769)])
def test_pick_is_the_smallest_fargate_size_that_holds_both_figures(vectors: int, dims: int) -> None:
    p = sizing.pick(vectors, dims)
    e = p.estimate
    assert fargate_ok(p.fit.cpu, p.fit.memory_mib)
    assert p.fit.ok and e.steady_bytes <= p.fit.memory_mib * sizing.MIB * 0.80 * 0.80  # under the alarm, 20 % headroom
    assert e.load_bytes <= p.fit.memory_mib * sizing.MIB * 0.90
    every = sorted(m for ms in sizing.FARGATE_SIZES.values() for m in ms)
    smaller = [m for m in every if m < p.fit.memory_mib]
    assert all(sizing.failures(e, m) for m in smaller)  # nothing smaller holds them
    assert e.load_bytes > e.steady_bytes or vectors == 0


def test_every_fargate_size_in_the_table_is_valid_and_none_is_missing() -> None:
    for cpu, mems in sizing.FARGATE_SIZES.items():
        assert all(fargate_ok(cpu, m) for m in mems)
        assert len(mems) == len([m for m in range(512, 122881, 512) if fargate_ok(cpu, m)])


def test_failures_name_the_figure() -> None:
    e = sizing.estimate(5_000_000, 1536)
    both = sizing.failures(e, 16384)
    assert len(both) == 2 and both[0].startswith("steady state") and both[1].startswith("during a bulk load")
    # a size that holds one figure but not the other names only that one (for prod, measured: the
    # steady state under the alarm is the binding figure)
    lo, hi = sorted((e.min_memory_steady_mib, e.min_memory_load_mib))
    one = [m for m in sizing.FARGATE_SIZES[8192] if lo <= m < hi]
    assert one, "a Fargate size between the two figures' needs"
    binding = "steady" if e.min_memory_steady_mib > e.min_memory_load_mib else "during"
    assert binding == "steady"
    assert [f.split(" ")[0] for f in sizing.failures(e, one[-1])] == [binding]


def test_grace_grows_with_the_index_and_is_bounded() -> None:
    assert sizing.grace_seconds(0, 384) == sizing.GRACE_BASE_S
    assert sizing.grace_seconds(100_000, 1536) < sizing.grace_seconds(5_000_000, 1536) <= sizing.GRACE_MAX_S
    assert sizing.grace_seconds(10**9, 4096) == sizing.GRACE_MAX_S


def test_bad_input_and_too_big_are_usage_errors() -> None:
    with pytest.raises(UsageError):
        sizing.pick(-1, 384)
    with pytest.raises(UsageError):
        sizing.pick(10, 0)
    with pytest.raises(UsageError, match="Shard"):
        sizing.pick(100_000_000, 1536)


def test_size_verb_prints_the_pick_both_figures_and_the_pair() -> None:
    p = sizing.pick(5_000_000, 1536)
    res = run("size", "--vectors", "5000000", "--dims", "1536")
    assert res.returncode == 0, res.stderr
    assert f"steady state  {p.estimate.steady_mib:>8,} MiB" in res.stdout
    assert f"during a load {p.estimate.load_mib:>8,} MiB" in res.stdout
    assert f"cpu {p.fit.cpu} (8 vCPU), memory {p.fit.memory_mib} MiB" in res.stdout
    data = result_of(run("--json", "size", "-n", "5000000", "-d", "1536").stdout)
    assert (data["cpu"], data["memory_mib"], data["steady_state_mib"], data["during_load_mib"]) == (
        p.fit.cpu, p.fit.memory_mib, p.estimate.steady_mib, p.estimate.load_mib)
    assert data["health_check_grace_period_seconds"] == p.grace_seconds


def test_size_verb_checks_a_given_memory_and_says_which_figure_fails() -> None:
    e = sizing.estimate(5_000_000, 1536)
    one = max(m for m in sizing.FARGATE_SIZES[8192] if e.min_memory_load_mib <= m < e.min_memory_steady_mib)
    res = run("size", "-n", "5000000", "-d", "1536", "--memory", str(one))
    assert res.returncode == 1
    assert "at steady state" in res.stderr or "steady state" in res.stderr.split("cannot hold")[1]
    assert "during a bulk load" not in res.stderr
    assert "hint: Use task_memory" in res.stderr and "Traceback" not in res.stderr
    ok = run("size", "-n", "5000000", "-d", "1536", "--memory", str(sizing.pick(5_000_000, 1536).fit.memory_mib))
    assert ok.returncode == 0 and "holds them" in ok.stdout
    bad = run("size", "-n", "100000000", "-d", "1536")
    assert bad.returncode == 2 and "Shard" in bad.stderr


def test_env_tfvars_fit_the_rule() -> None:
    """dev, staging and prod are sized so steady state sits 20 % under the 80 % memory alarm and a bulk
    load stays under 90 % of the task (the tfvars comments claim it)."""
    import hcl2

    for env in ("dev", "staging", "prod"):
        with (ROOT / "envs" / env / "terraform.tfvars").open() as fh:
            v = hcl2.load(fh)
        e = sizing.estimate(int(v["expected_vectors"]), int(v["vector_dimensions"]))
        assert not sizing.failures(e, int(v["task_memory"])), env
        assert fargate_ok(int(v["task_cpu"]), int(v["task_memory"])), env


@pytest.mark.parametrize("memory", ["0", "-1", "3000", "999999", "31744"])
def test_size_verb_refuses_a_memory_that_is_not_a_fargate_size(memory: str) -> None:
    """Review finding 4: --memory 0 was a ZeroDivisionError, -1 was accepted and 3000 / 999999 (over
    Fargate's largest, 122880 MiB) printed "holds them". Fargate's table (fargate_ok above, from
    https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size)
    has none of them, so each is a usage error (exit 2) with a hint."""
    assert not any(fargate_ok(cpu, int(memory)) for cpu in (256, 512, 1024, 2048, 4096, 8192, 16384))
    res = run("size", "--vectors", "5", "--dims", "4", "--memory", memory)
    assert res.returncode == 2, (res.returncode, res.stdout, res.stderr)
    assert "not a Fargate task memory size" in res.stderr and "hint:" in res.stderr
    assert "holds them" not in res.stdout and "unexpected" not in res.stderr and "Traceback" not in res.stderr


def test_fargate_memories_are_exactly_the_memories_of_aws_table() -> None:
    want = {m for m in range(512, 122881, 512) if any(fargate_ok(c, m) for c in (256, 512, 1024, 2048, 4096, 8192, 16384))}
    assert set(sizing.FARGATE_MEMORIES) == want
