"""`make mutate`: mutmut 3 over the safety-critical modules (tools/mutate/scope.py), with the fast tests.

mutmut 3 takes its sources from ./, src/ or source/ and names mutants after the import path, so
this stages a copy: build/mutate/src/chromactl (the package from cli/), src/token_rotation_handler.py
(the rotation function under the module name tests/rotation/harness.py loads it as; the harness's
path, mutants/functions/token_rotation/handler.py, is linked to the mutated copy), tests/ and
tools/. mutmut runs there: a coverage pass (its stats run) maps each function to the tests that
call it, then every mutant of the scoped functions runs only those tests, in forked workers.

Prints the score per module and the survivors (with their diffs) and writes
build/mutate/report.json and build/mutate/survivors.txt. Exit 1 when a survivor has no reason in
tools/mutate/equivalent.toml (or a reason no longer matches a survivor); otherwise mutmut's exit code.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import reasons
from scope import SCOPE, TESTS

ROOT = Path(__file__).resolve().parents[2]
STAGE = ROOT / "build" / "mutate"
HANDLER = "token_rotation_handler.py"

PYPROJECT = """[tool.pytest.ini_options]
testpaths = ["tests"]
pythonpath = ["tools", "."]
timeout = 120
markers = [
  "live: live AWS", "slow: slower tests", "bench: benchmarks",
]
addopts = "--strict-markers -p no:cacheprovider"

[tool.mutmut]
source_paths = ["src"]
only_mutate = {only}
pytest_add_cli_args_test_selection = {tests}
use_git_change_detection = false
also_copy = ["tools/"]
pytest_add_cli_args = ["-p", "no:xdist", "-p", "no:testinfra", "-p", "no:cacheprovider"]
# Statements that only say something to people (an error's message and hint, progress, logs) are
# not mutated: their mutants change words, not what is refused (docs/testing.md, "Scope").
do_not_mutate_patterns = {patterns}
"""

MESSAGE_ONLY = [
    r"^\s*raise (UsageError|ConfigError|OperationFailed|RotationError|WaitTimedOut|ValueError|_StepFailed)\(",
    r"^\s*(run\.|ctx\.)?(output|out)\.(info|warn)\(",
    r"^\s*logger\.(info|warning|debug|error)\(",
    r"^\s*say\(",
]

KILLED = {"killed", "timeout", "caught by type check"}


def stage(modules: list[str]) -> None:
    if STAGE.exists():
        shutil.rmtree(STAGE)
    (STAGE / "src").mkdir(parents=True)
    shutil.copytree(ROOT / "cli" / "chromactl", STAGE / "src" / "chromactl", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "functions" / "token_rotation" / "handler.py", STAGE / "src" / HANDLER)
    for d in ("tests", "tools"):
        shutil.copytree(ROOT / d, STAGE / d, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    link = STAGE / "mutants" / "functions" / "token_rotation" / "handler.py"
    link.parent.mkdir(parents=True)
    link.symlink_to(Path("..") / ".." / "src" / HANDLER)
    only = [f"src/{m}" for m in modules]
    tests = [t for t in TESTS if (ROOT / t.split("::")[0]).is_file()]
    (STAGE / "pyproject.toml").write_text(PYPROJECT.format(only=json.dumps(only), tests=json.dumps(tests),
                                                                  patterns=json.dumps(MESSAGE_ONLY)), encoding="utf-8")


def mutant_globs(modules: list[str]) -> list[str]:
    out = []
    for m in modules:
        dotted = m[: -len(".py")].replace("/", ".")
        out += [f"{dotted}.{g}*" for g in SCOPE[m]]
    return out


def results(modules: list[str]) -> dict[str, dict[str, str]]:
    from mutmut.stats import status_by_exit_code

    out: dict[str, dict[str, str]] = {}
    for m in modules:
        meta = STAGE / "mutants" / "src" / (m + ".meta")
        codes = json.loads(meta.read_text())["exit_code_by_key"] if meta.is_file() else {}
        dotted = m[: -len(".py")].replace("/", ".")
        globs = [f"{dotted}.{g}*" for g in SCOPE[m]]
        out[m] = {k: status_by_exit_code[v] for k, v in sorted(codes.items()) if any(fnmatch.fnmatchcase(k, g) for g in globs)}
    return out


def diff(name: str, module: str) -> str:
    """The mutant's diff (mutmut's own, read in this process from its line index: fast)."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    cwd = os.getcwd()
    os.chdir(STAGE)
    try:
        return get_diff_for_mutant(name, path=Path("src") / module)
    except Exception as exc:  # noqa: BLE001 - a missing diff must not hide the report
        return f"(no diff: {type(exc).__name__}: {exc})"
    finally:
        os.chdir(cwd)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-children", type=int, default=2)
    ap.add_argument("--module", action="append", help="only this module (a key of scope.SCOPE); repeatable")
    ap.add_argument("--report-only", action="store_true", help="print the report of the last run")
    args = ap.parse_args(argv)
    modules = args.module or list(SCOPE)
    unknown = [m for m in modules if m not in SCOPE]
    if unknown:
        print(f"unknown module(s) {unknown}; pick from: {', '.join(SCOPE)}", file=sys.stderr)
        return 2
    started = time.monotonic()
    rc = 0
    if not args.report_only:
        stage(modules)
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "NO_COLOR": "1"}
        env.pop("CHROMACTL_ROOT", None)
        cmd = [sys.executable, "-m", "mutmut", "run", "--max-children", str(args.max_children), *mutant_globs(modules)]
        print("$ " + " ".join(cmd[:5]) + f" <{len(cmd) - 5} function globs>  (in {STAGE.relative_to(ROOT)})", flush=True)
        log = (STAGE / "mutmut.log").open("w")
        rc = subprocess.run(cmd, check=False, cwd=STAGE, env=env, stdout=log, stderr=subprocess.STDOUT).returncode
        log.close()
        if rc != 0:
            print(f"mutmut exited {rc}; its output: {STAGE / 'mutmut.log'}", file=sys.stderr)
            print((STAGE / "mutmut.log").read_text()[-3000:], file=sys.stderr)
    wall = time.monotonic() - started
    res = results(modules)
    if args.report_only:
        previous = STAGE / "report.json"
        if previous.is_file():
            wall = float(json.loads(previous.read_text()).get("wall_seconds", 0.0))
    report: dict[str, object] = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "wall_seconds": round(wall, 1),
                                 "load_average": os.getloadavg(), "modules": {}}
    surv_of = {m: [name for name, s in statuses.items() if s not in KILLED and s != "not checked"] for m, statuses in res.items()}
    diffs = {name: diff(name, m) for m in res for name in surv_of[m]}
    verdict = reasons.classify(diffs, modules, reasons.load())
    survivors: list[str] = []
    total_k = total_n = total_e = 0
    # score: killed / mutants run. excl. equiv.: killed / (mutants run - equivalent survivors), the usual mutation
    # score (an equivalent mutant cannot be killed; each has its reason in tools/mutate/equivalent.toml).
    print(f"\n{'module':34} {'mutants':>7} {'killed':>7} {'survived':>8} {'no tests':>8} {'equiv.':>6} {'unexpl.':>7} {'unrun':>5}"
          f" {'score':>6} {'excl. equiv.':>12}")
    for m, statuses in res.items():
        unrun = sum(1 for s in statuses.values() if s == "not checked")
        n = len(statuses) - unrun
        k = sum(1 for s in statuses.values() if s in KILLED)
        surv = surv_of[m]
        no_tests = sum(1 for s in statuses.values() if s == "no tests")
        equiv = sum(1 for x in surv if x in verdict.explained)
        total_k, total_n, total_e = total_k + k, total_n + n, total_e + equiv
        score = 100.0 * k / n if n else float("nan")
        excl = 100.0 * k / (n - equiv) if n - equiv else float("nan")
        print(f"{m:34} {n:7} {k:7} {len(surv) - no_tests:8} {no_tests:8} {equiv:6} {len(surv) - equiv:7} {unrun:5}"
              f" {score:5.1f}% {excl:11.1f}%")
        report["modules"][m] = {"mutants": n, "killed": k, "not_run": unrun, "survivors": {x: statuses[x] for x in surv},  # type: ignore[index]
                                "equivalent": equiv, "score": round(score, 1), "score_excluding_equivalent": round(excl, 1)}
        survivors += surv
    score = 100.0 * total_k / total_n if total_n else float("nan")
    excl = 100.0 * total_k / (total_n - total_e) if total_n - total_e else float("nan")
    print(f"{'all':34} {total_n:7} {total_k:7} {total_n - total_k:8} {'':8} {total_e:6} {total_n - total_k - total_e:7} {'':5}"
          f" {score:5.1f}% {excl:11.1f}%")
    print(f"wall time {wall / 60:.1f} min, load average {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)")
    report["score"] = round(score, 1)
    report["score_excluding_equivalent"] = round(excl, 1)
    with (STAGE / "survivors.txt").open("w", encoding="utf-8") as fh:
        for m, statuses in res.items():
            for name in report["modules"][m]["survivors"]:  # type: ignore[index]
                why = verdict.explained[name].why if name in verdict.explained else "UNEXPLAINED (no reason in tools/mutate/equivalent.toml)"
                fh.write(f"### {name}: {statuses[name]}\n# {why}\n{diffs[name]}\n\n")
    report["unexplained"] = sorted(verdict.unexplained)
    report["stale_reasons"] = sorted(verdict.stale)
    (STAGE / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"{len(survivors)} survivor(s): {len(verdict.explained)} equivalent (reason in tools/mutate/equivalent.toml), "
          f"{len(verdict.unexplained)} unexplained; with diffs: {STAGE.relative_to(ROOT) / 'survivors.txt'}; "
          f"report: {STAGE.relative_to(ROOT) / 'report.json'}")
    for name, shape in sorted(verdict.unexplained.items()):
        print(f"  unexplained: {name}: {shape}")
    for name, r in sorted(verdict.stale.items()):
        print(f"  stale reason (the mutant was killed, is gone or its line changed): {name}: {r.shape}")
    if rc == 0 and (verdict.unexplained or verdict.stale):
        print("every survivor needs a test that kills it or a reason in tools/mutate/equivalent.toml "
              "(then `.venv/bin/python tools/mutate/reasons.py` regenerates the table in docs/testing.md)", file=sys.stderr)
        return 1
    return rc


if __name__ == "__main__":
    raise SystemExit(main())
