#!/usr/bin/env python3
"""The lifecycle's two numbers, measured in one run (interleaved, medians).

1. `chromactl --help` wall time, against a bare Typer hello-world's `--help`
   run by the same interpreter, interleaved: budget median <= 1.3x the bare
   app's median. A ratio measured in one run, never an absolute time: on a busy
   machine both slow down together (an absolute 0.25 s failed at 0.38 s while
   the bare app took 0.34 s, ratio 1.11).
2. `chromactl plan --env prod` (offline provider, local backend, initialised
   data dir) against the same `terraform plan` run directly in the same env
   dir, same data dir, same variables, also saving a plan file:
   budget: chromactl's own CPU <= 10 % of the CPU of the Terraform tree it runs (median over
   runs; its own CPU read from /proc of the exited process before it is reaped). Printed beside
   it, over interleaved pairs: the median of the per-pair ratios of tree CPU and of wall time
   against the direct call, and Terraform's CPU under chromactl against the direct call (issue 21).
   Two trials are run and printed with the gap between them, so their agreement shows the noise.

Usage: .venv/bin/python scripts/bench_cli.py [--runs N] [--trials N] [--help-runs N] [--skip-plan] [--json]
Exit 1 when a budget is exceeded.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
if str(REPO / "tools") not in sys.path:
    sys.path.insert(0, str(REPO / "tools"))  # chromactl_dev (benchmark helpers, not in the wheel), tfoffline
HELP_RATIO_BUDGET = 1.3
PLAN_OVERHEAD_BUDGET = 0.10

HELLO = '''import typer

app = typer.Typer()


@app.command()
def hello(name: str = "world") -> None:
    """Say hello."""
    typer.echo(f"hello {name}")


if __name__ == "__main__":
    app()
'''


def timed(argv: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None, ok: tuple[int, ...] = (0,)) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=600, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode not in ok:
        raise SystemExit(f"bench: {' '.join(argv)} exited {proc.returncode}: {proc.stderr.decode(errors='replace')[-2000:]}")
    return elapsed


def timed_tree(argv: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None,
               ok: tuple[int, ...] = (0,), timeout_s: float = 600.0) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of `argv` and every process under it that was waited for (Terraform waits
    for its provider, chromactl for Terraform): os.wait4's rusage of the child includes its reaped children."""
    wall, tree, _own = timed_split(argv, env=env, cwd=cwd, ok=ok, timeout_s=timeout_s)
    return wall, tree


def _own_cpu_of_zombie(pid: int) -> float | None:
    """CPU seconds the exited, not yet reaped process `pid` spent itself (all its threads), without its children:
    utime + stime of /proc/<pid>/stat, which a zombie keeps until it is reaped (proc(5), fields 14-15)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2:].split()  # after "pid (comm) ": field 3 (state) is fields[0]
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed_split(argv: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None,
                ok: tuple[int, ...] = (0,), timeout_s: float = 600.0) -> tuple[float, float, float | None]:
    """(wall s, CPU s of the whole tree, CPU s of the top process alone) of `argv`.

    The wait blocks (no polling loop in the measuring process, which would take CPU from both sides of
    a pair); a timer kills the process at the bound. waitid(WNOWAIT) leaves the exited process a zombie
    so its own CPU can be read before wait4 reaps it and returns the tree's rusage."""
    import threading

    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL)
        killer = threading.Timer(timeout_s, proc.kill)
        killer.daemon = True
        killer.start()
        try:
            os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
            elapsed = time.perf_counter() - start
            own = _own_cpu_of_zombie(proc.pid)
            _pid, status, usage = os.wait4(proc.pid, 0)
        finally:
            killer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode not in ok:
            err.seek(0)
            raise SystemExit(f"bench: {' '.join(argv)} exited {proc.returncode}: {err.read().decode(errors='replace')[-2000:]}")
    return elapsed, usage.ru_utime + usage.ru_stime, own


def bench_help_against(runs: int, rev: str, tmp: Path) -> dict[str, float | str]:
    """`chromactl --help` of this checkout against the same at git revision `rev` (a worktree of it,
    imported through PYTHONPATH by the same interpreter and dependencies), interleaved: the median of
    the per-pair ratios says whether a change made start-up slower (issue 15: "no slower")."""
    old = tmp / "against"
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "-q", "--detach", str(old), rev], check=True, timeout=120)
    try:
        argv = [sys.executable, "-m", "chromactl.cli.app", "--help"]
        env = {**os.environ, "NO_COLOR": "1"}
        here, there = {**env, "PYTHONPATH": str(REPO / "cli")}, {**env, "PYTHONPATH": str(old / "cli")}
        for e in (here, there):  # warm the page cache and .pyc files
            timed(argv, env=e)
        ratios, ours, theirs = [], [], []
        for _ in range(runs):
            a, b = timed(argv, env=here), timed(argv, env=there)
            ours.append(a)
            theirs.append(b)
            ratios.append(a / b)
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(old)], check=False, timeout=120)
    return {"against": rev, "this_s": statistics.median(ours), "against_s": statistics.median(theirs),
            "pair_ratio": statistics.median(ratios), "runs": runs}


def bench_help(runs: int, tmp: Path, *, with_plain: bool = False) -> dict[str, float]:
    hello = tmp / "hello_typer.py"
    hello.write_text(HELLO)
    chromactl = [str(VENV_BIN / "chromactl"), "--help"]
    bare = [sys.executable, str(hello), "--help"]
    env = {**os.environ, "NO_COLOR": "1"}
    for argv in (chromactl, bare):  # warm the page cache and .pyc files
        timed(argv, env=env)
    plain_env = {**env, "TYPER_USE_RICH": "0"}  # what `rich_markup_mode=None` in cli/app.py would give
    ours, theirs, plain = [], [], []
    for _ in range(runs):
        ours.append(timed(chromactl, env=env))
        theirs.append(timed(bare, env=env))
        if with_plain:
            plain.append(timed(chromactl, env=plain_env))
    m_ours, m_theirs = statistics.median(ours), statistics.median(theirs)
    result = {"chromactl_help_s": m_ours, "typer_hello_help_s": m_theirs, "ratio": m_ours / m_theirs, "runs": runs}
    if plain:
        result["chromactl_help_plain_s"] = statistics.median(plain)
    return result


def bench_plan(runs: int, tmp: Path, env_name: str = "prod", which: tuple[str, ...] = ("same", "plain"),
               *, trials: int = 1) -> dict[str, object]:
    """`runs` interleaved rounds; the overhead is the median of the per-round ratios chromactl / direct.
    With trials > 1, further trials follow on the same warm copy, each reported (under "trials"), so two
    trials of the same code show how far the figure moves from run to run; the result is the first."""
    sys.path.insert(0, str(REPO / "tools"))
    sys.path.insert(0, str(REPO / "cli"))
    from tfoffline import harness  # type: ignore[import-not-found]

    root = tmp / "proj"
    harness.copy_root(f"envs/{env_name}", root)
    zip_path = root / "build" / "token-rotation.zip"
    if not zip_path.is_file():
        import zipfile

        zip_path.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(zip_path, "w") as zf:
            zf.writestr("handler.py", "def handler(event, context):\n    return None\n")
    env = harness.offline_env(tmp / "tfrc")
    env.update(CHROMACTL_ROOT=str(root), CHROMACTL_BACKEND="local", NO_COLOR="1")
    env.pop("CHROMACTL_TERRAFORM", None)
    # the provider starts as `scripts/tf-offline` starts it, not forked from the test suite's zygote
    env.pop("TFOFFLINE_ZYGOTE", None)
    # --sandbox: the example env still holds its placeholders (the refusal's file scan is skipped with it)
    chromactl = [str(VENV_BIN / "chromactl"), "plan", "--env", env_name, "--sandbox"]
    # First run: init + plan (not measured). It leaves the data dir initialised.
    timed(chromactl, env=env)
    env_dir = root / "envs" / env_name
    sys.path.insert(0, str(REPO / "cli"))
    os.environ["CHROMACTL_ROOT"] = str(root)
    from chromactl.config import load_env
    from chromactl.lifecycle.plan import region_vars
    from chromactl.terraform.engine import resolve

    envcfg = load_env(env_name)
    region = envcfg.primary_region or "us-east-1"
    engine = resolve()
    direct_env = {**env, "TF_DATA_DIR": str(env_dir / ".terraform" / region)}
    var_args = [f"-var={k}={v}" for k, v in region_vars(envcfg, region).items()]
    base = [*engine.argv, "plan", "-input=false"]
    baselines = {
        # exactly the Terraform call chromactl makes: the difference is chromactl itself (the budget)
        "same": [*base, "-json", "-detailed-exitcode", f"-out={tmp / 'same.tfplan'}", *var_args],
        # what a person types: human output, plan saved
        "plain": [*base, f"-out={tmp / 'plain.tfplan'}", *var_args],
    }
    chosen = {k: v for k, v in baselines.items() if k in which}
    # no separate warm-up for the direct runs: chromactl's first run warmed the same data dir
    order = ["chromactl", *chosen]

    def trial() -> dict[str, object]:
        # Interleaved pairs: each round runs chromactl and each direct call back to back, in an order
        # that rotates per round, and the figure is the median over rounds of the per-round ratio
        # (issue 21: the fastest of a handful of noisy runs passed or failed by chance, -0.4 % then +21 %).
        # A slow moment on the host hits both runs of a round, so the ratio keeps what chromactl adds.
        # Wall time AND the CPU time of each process tree: on a shared host the wall time of a plan moved
        # -44..+68 % from pair to pair (two make bench runs at once, 2026-12-02), so 15 pairs could not make
        # two trials agree; the CPU the tree spends is what chromactl adds unless it waits idle, and the
        # wall figure, printed beside it, would show that.
        times: dict[str, list[float]] = {"chromactl": [], **{k: [] for k in chosen}}
        cpu: dict[str, list[float]] = {"chromactl": [], **{k: [] for k in chosen}}
        own: list[float] = []  # chromactl's own CPU (its Python, all threads), without the Terraform it ran
        for i in range(runs):
            for name in order[i % len(order):] + order[: i % len(order)]:
                if name == "chromactl":
                    wall, used, mine = timed_split(chromactl, env=env)
                    if mine is None:
                        raise SystemExit("bench: /proc/<pid>/stat of the exited chromactl was not readable (Linux only)")
                    own.append(mine)
                else:
                    wall, used = timed_tree(chosen[name], env=direct_env, cwd=env_dir, ok=(0, 2))
                times[name].append(wall)
                cpu[name].append(used)
        # The judged figure (issue 21): chromactl's own CPU / the CPU of the Terraform tree it ran, in the same
        # run, median over runs. What it adds is measured directly instead of as the difference of two ~3-5 s
        # trees whose CPU moves +-15 % from run to run on a busy host (the pair ratios below, printed).
        shares = [m / (c - m) for m, c in zip(own, cpu["chromactl"], strict=True)]
        best = {k: min(v) for k, v in times.items()}
        med = {k: statistics.median(v) for k, v in times.items()}
        out: dict[str, object] = {"chromactl_plan_s": best["chromactl"], "chromactl_plan_median_s": med["chromactl"],
                                  "chromactl_plan_cpu_median_s": statistics.median(cpu["chromactl"]),
                                  "runs": runs, "terraform": f"{engine.path} {engine.version}",
                                  "own_cpu_median_s": statistics.median(own), "own_share": statistics.median(shares),
                                  "own_shares": shares}
        for name in chosen:
            ratios = [a / b for a, b in zip(times["chromactl"], times[name], strict=True)]
            cpu_ratios = [a / b for a, b in zip(cpu["chromactl"], cpu[name], strict=True)]
            # does Terraform itself work harder under chromactl? its tree there (chromactl's CPU taken out) / direct
            tf_ratios = [(a - m) / b for a, m, b in zip(cpu["chromactl"], own, cpu[name], strict=True)]
            out[f"terraform_under_chromactl_vs_{name}"] = statistics.median(tf_ratios) - 1
            q = statistics.quantiles(ratios, n=4) if len(ratios) >= 2 else [ratios[0]] * 3
            qc = statistics.quantiles(cpu_ratios, n=4) if len(cpu_ratios) >= 2 else [cpu_ratios[0]] * 3
            out[f"terraform_plan_{name}_s"] = best[name]
            out[f"terraform_plan_{name}_median_s"] = med[name]
            out[f"terraform_plan_{name}_cpu_median_s"] = statistics.median(cpu[name])
            out[f"wall_overhead_vs_{name}"] = statistics.median(ratios) - 1
            out[f"overhead_vs_{name}"] = statistics.median(cpu_ratios) - 1
            out[f"overhead_iqr_vs_{name}"] = [qc[0] - 1, qc[2] - 1]
            out[f"wall_overhead_iqr_vs_{name}"] = [q[0] - 1, q[2] - 1]
            out[f"fastest_overhead_vs_{name}"] = best["chromactl"] / best[name] - 1
            out[f"pair_overheads_vs_{name}"] = [r - 1 for r in cpu_ratios]
            out[f"wall_pair_overheads_vs_{name}"] = [r - 1 for r in ratios]
            out[f"command_{name}"] = " ".join(chosen[name][len(engine.argv):])
        # judged: chromactl's own share (above); the pair ratios of tree CPU and wall time are printed beside it
        # with their trial-to-trial gap (docs/checks.md, "The numbers" 5)
        out["cpu_overhead"] = out.get("overhead_vs_same", out.get("overhead_vs_plain"))
        out["wall_overhead"] = out.get("wall_overhead_vs_same", out.get("wall_overhead_vs_plain"))
        out["overhead"] = out["own_share"]
        out["fastest_overhead"] = out.get("fastest_overhead_vs_same", out.get("fastest_overhead_vs_plain"))
        return out

    from chromactl_dev.bench import priority_boost

    # both sides of every pair are children of this process and inherit its priority, so raising it is fair
    # (as bench_checks does for the server and its client); on a host at load average 15-20 a plan took
    # ~70 s without it, which made enough pairs unaffordable
    with priority_boost([os.getpid()]) as boosted:
        results = [trial() for _ in range(max(1, trials))]
    return {**results[0], "trials": [r["overhead"] for r in results], "cpu_trials": [r["cpu_overhead"] for r in results],
            "wall_trials": [r["wall_overhead"] for r in results],
            "trial_pair_overheads": [r["pair_overheads_vs_" + which[0]] for r in results],
            "trial_own_shares": [r["own_shares"] for r in results], "boosted": boosted}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=15, help="interleaved plan pairs per trial (default 15)")
    ap.add_argument("--trials", type=int, default=2, help="trials of --runs pairs, each printed (default 2)")
    ap.add_argument("--help-runs", type=int, default=21, help="--help runs per side (default 21)")
    ap.add_argument("--skip-plan", action="store_true", help="measure --help only")
    ap.add_argument("--baseline", choices=("same", "plain", "both"), default="same",
                    help="direct terraform plan to compare with: the same flags chromactl uses (the budget), plain human output, or both")
    ap.add_argument("--against", metavar="REV", help="also time --help against this git revision (interleaved pairs)")
    ap.add_argument("--json", action="store_true", help="print the numbers as JSON")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(REPO / "cli"))
    from chromactl_dev import benchinfo

    print(benchinfo.header(), flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="chromactl-bench-"))
    try:
        result: dict[str, object] = {"help": bench_help(args.help_runs, tmp, with_plain=True)}
        if args.against:
            result["help_against"] = bench_help_against(args.help_runs, args.against, tmp)
        if not args.skip_plan:
            which = ("same", "plain") if args.baseline == "both" else (args.baseline,)
            result["plan"] = bench_plan(args.runs, tmp, which=which, trials=args.trials)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    h = result["help"]
    assert isinstance(h, dict)
    # ratios only (issue 21): the absolute budget is printed, a busy host doubles any start-up time
    ok_help = h["ratio"] <= HELP_RATIO_BUDGET
    ok_plan = True
    if "plan" in result:
        p = result["plan"]
        assert isinstance(p, dict)
        ok_plan = all(float(t) <= PLAN_OVERHEAD_BUDGET for t in p["trials"])  # type: ignore[attr-defined]
    result["ok"] = ok_help and ok_plan
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"chromactl --help        median {h['chromactl_help_s'] * 1000:7.1f} ms")
        print(f"typer hello --help      median {h['typer_hello_help_s'] * 1000:7.1f} ms")
        if "chromactl_help_plain_s" in h:
            print(f"(chromactl --help without rich formatting, TYPER_USE_RICH=0: median {h['chromactl_help_plain_s'] * 1000:.1f} ms)")
        print(f"ratio                   {h['ratio']:.2f}x  (budget {HELP_RATIO_BUDGET:.1f}x)   [{h['runs']} runs each, interleaved]  {'ok' if ok_help else 'OVER BUDGET'}")
        if "help_against" in result:
            a = result["help_against"]
            assert isinstance(a, dict)
            print(f"against {a['against']}: --help median {a['this_s'] * 1000:.1f} ms here, {a['against_s'] * 1000:.1f} ms there; "
                  f"median of {a['runs']} interleaved pair ratios {a['pair_ratio']:.3f} (above 1: slower here)")
        if "plan" in result:
            p = result["plan"]
            assert isinstance(p, dict)
            print(f"chromactl plan --env prod        median {p['chromactl_plan_median_s']:6.2f} s wall (fastest {p['chromactl_plan_s']:.2f} s), "
                  f"{p['chromactl_plan_cpu_median_s']:.2f} s CPU   [{p['runs']} interleaved pairs, {p['terraform']}]")
            for name, label in (("same", "same flags"), ("plain", "plain")):
                if f"terraform_plan_{name}_s" in p:
                    lo, hi = p[f"overhead_iqr_vs_{name}"]
                    wlo, whi = p[f"wall_overhead_iqr_vs_{name}"]
                    print(f"terraform plan direct ({label:10s}) median {p[f'terraform_plan_{name}_median_s']:6.2f} s wall, "
                          f"{p[f'terraform_plan_{name}_cpu_median_s']:.2f} s CPU   overhead, median of pair ratios: CPU "
                          f"{p[f'overhead_vs_{name}'] * 100:+.1f} % (IQR {lo * 100:+.1f} .. {hi * 100:+.1f} %), wall "
                          f"{p[f'wall_overhead_vs_{name}'] * 100:+.1f} % (IQR {wlo * 100:+.1f} .. {whi * 100:+.1f} %; fastest vs fastest "
                          f"{p[f'fastest_overhead_vs_{name}'] * 100:+.1f} %)   (terraform {p[f'command_{name}']})")
            def gap(xs: list[float]) -> str:
                return f"; {(max(xs) - min(xs)) * 100:.1f} points apart" if len(xs) > 1 else ""

            print(f"chromactl's own CPU (its Python, all threads; /proc of the exited process) median {p['own_cpu_median_s']:.3f} s; "
                  f"Terraform under chromactl / direct, median of pairs: {float(p.get('terraform_under_chromactl_vs_same', p.get('terraform_under_chromactl_vs_plain')) or 0.0) * 100:+.1f} %")
            print(f"trials (same code, one after the other{', at raised CPU priority' if p['boosted'] else ''}): "
                  "chromactl's own CPU / its Terraform's (judged): " + ", ".join(f"{t * 100:.1f} %" for t in p["trials"]) + gap(p["trials"])
                  + "; median of pair ratios, tree CPU: " + ", ".join(f"{t * 100:+.1f} %" for t in p["cpu_trials"]) + gap(p["cpu_trials"])
                  + "; wall: " + ", ".join(f"{t * 100:+.1f} %" for t in p["wall_trials"]) + gap(p["wall_trials"]))
            for n, (pairs, shares) in enumerate(zip(p["trial_pair_overheads"], p["trial_own_shares"], strict=True), 1):
                print(f"  trial {n} own share per run: " + ", ".join(f"{x * 100:.1f}" for x in shares) + " %;  pair overheads (tree CPU): "
                      + ", ".join(f"{x * 100:+.0f}" for x in pairs) + " %")
            print(f"budget: chromactl's own CPU <= {PLAN_OVERHEAD_BUDGET * 100:.0f} % of its Terraform's, in every trial: {'ok' if ok_plan else 'OVER BUDGET'}")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
