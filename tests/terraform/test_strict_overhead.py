"""The strict checks add at most 15 % to `scripts/tf-offline envs/prod plan` (issue 13).

Measured in one run as interleaved pairs of fresh `scripts/tf-offline` processes with
TFOFFLINE_STRICT=1 and =0 (tools/tfoffline/bench.py, also `python -m tfoffline bench-strict`);
the bound is on the fastest run of each (noise only adds time), the medians are printed too."""

from __future__ import annotations

from tfoffline import bench


def test_strict_adds_at_most_15_percent_to_a_prod_plan(capsys: object) -> None:
    res = bench.measure("envs/prod", pairs=3)
    assert res["ratio_min"] <= 1.15, res
