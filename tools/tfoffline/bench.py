"""What the strict checks cost: `scripts/tf-offline ENV plan` with TFOFFLINE_STRICT=1 and =0,
in interleaved pairs (so host load hits both alike), each a fresh process as a person runs it.
Prints every pair, the medians and ratios of wall time and of CPU time of the process tree
(least against least too: noise only adds time)."""

from __future__ import annotations

import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def one(env_dir: str, strict: bool, cwd: Path = REPO) -> tuple[float, float, int]:
    """(wall s, CPU s of the whole process tree, exit code) of one `scripts/tf-offline ENV plan`."""
    env = dict(os.environ)
    env["TFOFFLINE_STRICT"] = "1" if strict else "0"
    env.pop("TFOFFLINE_ZYGOTE", None)
    cpu0 = _children_cpu()
    t0 = time.perf_counter()
    proc = subprocess.run(
        [str(REPO / "scripts" / "tf-offline"), str(cwd / env_dir), "plan", "-no-color"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    return time.perf_counter() - t0, _children_cpu() - cpu0, proc.returncode


def repaired_copy(dest: Path, env_dir: str, repairs: tuple[tuple[str, str, str], ...]) -> Path:
    """terraform/ and env_dir copied under dest with regex repairs applied (so both modes plan the
    same configuration to the end: today's prod plan stops on a defect issue 12 is fixing)."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(REPO / "terraform", dest / "terraform")
    shutil.copytree(REPO / env_dir, dest / env_dir, ignore=shutil.ignore_patterns(".terraform"))
    if (REPO / "build").is_dir():
        shutil.copytree(REPO / "build", dest / "build")
    for file, pattern, repl in repairs:
        path = dest / file
        path.write_text(re.sub(pattern, repl, path.read_text(), flags=re.DOTALL))
    return dest


def measure(env_dir: str = "envs/prod", pairs: int = 5, cwd: Path = REPO) -> dict[str, float]:
    one(env_dir, True, cwd)  # warm: the rule cache, the data dir, the page cache
    one(env_dir, False, cwd)
    wall: dict[bool, list[float]] = {True: [], False: []}
    cpu: dict[bool, list[float]] = {True: [], False: []}
    codes: set[tuple[str, int]] = set()
    for i in range(pairs):
        for s in (True, False) if i % 2 == 0 else (False, True):
            dt, dc, rc = one(env_dir, s, cwd)
            wall[s].append(dt)
            cpu[s].append(dc)
            codes.add(("strict" if s else "plain", rc))
        print(
            f"pair {i + 1}: strict {wall[True][-1]:.2f} s ({cpu[True][-1]:.2f} s CPU), "
            f"plain {wall[False][-1]:.2f} s ({cpu[False][-1]:.2f} s CPU)",
            flush=True,
        )
    res = {
        "median_strict": statistics.median(wall[True]),
        "median_plain": statistics.median(wall[False]),
        "cpu_median_strict": statistics.median(cpu[True]),
        "cpu_median_plain": statistics.median(cpu[False]),
    }
    res["ratio_median"] = res["median_strict"] / res["median_plain"]
    res["ratio_min"] = min(wall[True]) / min(wall[False])
    res["cpu_ratio_median"] = res["cpu_median_strict"] / res["cpu_median_plain"]
    res["cpu_ratio_min"] = min(cpu[True]) / min(cpu[False])
    res["same_exit_codes"] = float(len({c for _, c in codes}) == 1)
    print(
        f"{env_dir} plan, {pairs} interleaved pairs: wall median strict {res['median_strict']:.2f} s / "
        f"plain {res['median_plain']:.2f} s = {res['ratio_median']:.3f} (fastest {res['ratio_min']:.3f}); "
        f"CPU median {res['cpu_median_strict']:.2f} / {res['cpu_median_plain']:.2f} s = "
        f"{res['cpu_ratio_median']:.3f} (least {res['cpu_ratio_min']:.3f}); exit codes {sorted(codes)}"
    )
    return res


def main(argv: list[str]) -> int:
    env_dir = argv[0] if argv else "envs/prod"
    pairs = int(argv[1]) if len(argv) > 1 else 5
    measure(env_dir, pairs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
