#!/usr/bin/env python3
"""`make bench`: every benchmark the issues ask for, each printing ratios measured in one run.

- scripts/bench_cli.py: `chromactl --help` vs a bare Typer app; `chromactl plan --env prod`
  vs the same `terraform plan` run directly (offline provider).
- scripts/bench_checks.py: latency measurement overhead vs a bare HTTP loop, open- vs
  closed-loop tail behind a freezing proxy, bulk-load throughput vs one-per-request and
  vs a plain client loop.
Exit status: non-zero when any benchmark misses its bound.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCHES = ["scripts/bench_cli.py", "scripts/bench_checks.py"]


def main() -> int:
    failed = []
    for bench in BENCHES:
        print(f"== {bench}", flush=True)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "tools"), str(ROOT)])}
        rc = subprocess.call([sys.executable, str(ROOT / bench)], cwd=ROOT, env=env)
        if rc != 0:
            failed.append(bench)
    if failed:
        print(f"bounds missed in: {', '.join(failed)}")
        return 1
    print("all benchmark bounds met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
