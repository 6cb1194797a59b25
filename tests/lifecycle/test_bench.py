"""The issue's two numbers, measured by scripts/bench_cli.py in the test run and asserted.

- `chromactl --help`: median <= 1.3x a bare Typer hello-world's `--help` (same interpreter,
  interleaved runs): a ratio measured in one run, no absolute time (issues 16 item 6, 21).
- `chromactl plan --env prod` (offline provider, local backend, initialised): chromactl's own CPU
  <= 10 % of the CPU of the Terraform tree it runs (median over runs), with the pair ratios against
  the same `terraform plan` call run directly (same flags, data dir and variables) printed.
The figures are printed (pytest -s shows them; the report quotes them).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.scripts import load_script

pytestmark = [pytest.mark.slow, pytest.mark.bench]

ROOT = Path(__file__).resolve().parents[2]


def _bench():  # type: ignore[no-untyped-def]
    return load_script("bench_cli")


def test_help_is_fast(tmp_path: Path) -> None:
    bench = _bench()
    r = bench.bench_help(7, tmp_path)
    print(f"\nchromactl --help {r['chromactl_help_s'] * 1000:.0f} ms, typer hello {r['typer_hello_help_s'] * 1000:.0f} ms, ratio {r['ratio']:.2f}x")
    # ratios only (issue 21: make bench passes on busy and quiet machines); the absolute budget is printed
    # by scripts/bench_cli.py, and a busy host doubles start-up times (0.54 s seen at load average 20)
    assert r["ratio"] <= bench.HELP_RATIO_BUDGET


def test_plan_overhead_is_small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("tfoffline.harness")
    bench = _bench()
    monkeypatch.setenv("CHROMACTL_ROOT", str(tmp_path))  # bench_plan points it at its copy; restored after
    # Issue 21: interleaved pairs (not the fastest of a few noisy runs, which passed or failed by chance);
    # judged: chromactl's own CPU against its Terraform's in the same run, which pair noise does not reach
    # (test_plan_path_cost pins that chromactl runs one Terraform process). 7 pairs keep make test's bench
    # phase short; `make bench` runs 2 trials of 15 pairs and prints how far they move (docs/checks.md, "The numbers" 5). The pairs run at
    # raised CPU priority when allowed (both sides inherit it): ~10 s a plan at load average 10-15, not ~70 s.
    r = bench.bench_plan(7, tmp_path, which=("same",))
    print(f"\nchromactl plan median {r['chromactl_plan_median_s']:.2f} s, terraform plan median {r['terraform_plan_same_median_s']:.2f} s "
          f"({r['runs']} pairs); chromactl's own CPU / its Terraform's {r['overhead'] * 100:.1f} % (median; runs "
          + ", ".join(f"{x * 100:.1f}" for x in r["own_shares"]) + " %); median of pair ratios, tree CPU "
          f"{r['cpu_overhead'] * 100:+.1f} % (IQR " + " .. ".join(f"{x * 100:+.1f} %" for x in r["overhead_iqr_vs_same"]) + ")")
    assert r["overhead"] == r["own_share"]  # the judged figure is chromactl's own share (docs/checks.md, "The numbers" 5)
    assert r["overhead"] <= bench.PLAN_OVERHEAD_BUDGET, r["own_shares"]
