"""What the strict checks cost: `scripts/tf-offline ENV plan` with TFOFFLINE_STRICT=1 and =0,
in interleaved pairs (so host load hits both alike), each a fresh process as a person runs it.
Prints every pair, the medians, the ratio of medians and the ratio of the fastest runs (noise only
adds time, so that one is the steadier bound)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def one(env_dir: str, strict: bool) -> tuple[float, int]:
    env = dict(os.environ)
    env["TFOFFLINE_STRICT"] = "1" if strict else "0"
    env.pop("TFOFFLINE_ZYGOTE", None)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [str(REPO / "scripts" / "tf-offline"), env_dir, "plan", "-no-color"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    return time.perf_counter() - t0, proc.returncode


def measure(env_dir: str = "envs/prod", pairs: int = 5) -> dict[str, float]:
    one(env_dir, True)  # warm: the rule cache, the data dir, the page cache
    on: list[float] = []
    off: list[float] = []
    codes: set[tuple[str, int]] = set()
    for i in range(pairs):
        order = (True, False) if i % 2 == 0 else (False, True)
        for s in order:
            dt, rc = one(env_dir, s)
            (on if s else off).append(dt)
            codes.add(("strict" if s else "plain", rc))
        print(f"pair {i + 1}: strict {on[-1]:.2f} s, plain {off[-1]:.2f} s", flush=True)
    res = {
        "median_strict": statistics.median(on),
        "median_plain": statistics.median(off),
        "min_strict": min(on),
        "min_plain": min(off),
    }
    res["ratio_median"] = res["median_strict"] / res["median_plain"]
    res["ratio_min"] = res["min_strict"] / res["min_plain"]
    print(
        f"{env_dir} plan, {pairs} interleaved pairs: strict median {res['median_strict']:.2f} s, plain median "
        f"{res['median_plain']:.2f} s, ratio {res['ratio_median']:.3f} (fastest: {res['ratio_min']:.3f}); exit codes {sorted(codes)}"
    )
    return res


def main(argv: list[str]) -> int:
    env_dir = argv[0] if argv else "envs/prod"
    pairs = int(argv[1]) if len(argv) > 1 else 5
    measure(env_dir, pairs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
