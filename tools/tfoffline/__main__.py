"""python -m tfoffline {run DIR ARGS... | validate-all | gen-schema [--wheel W] [--out F] | counts}

run           real Terraform with ARGS in DIR against the offline AWS provider (own CLI config,
              local backend, out-of-tree data dir and state, no network); `init` runs first.
validate-all  fmt -check over terraform/ and envs/, then init + validate of every module,
              the stack and every env, each in a scratch copy; one line per directory.
gen-schema    rebuild tools/tfoffline/schema/aws-6.69.1.json.gz from PyPI cdktn-provider-aws.
compare-schema  compare it with a real `terraform providers schema -json` dump.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

USAGE = (
    "usage: python -m tfoffline {run DIR ARGS...|validate-all|gen-schema [--wheel PATH] [--out PATH]"
    "|compare-schema DUMP.json [--show N]|rules|bench-strict [ENV_DIR] [PAIRS]}"
)


def _err(message: str, hint: str | None = None) -> None:
    print(f"tfoffline: {message}" + (f" Hint: {hint}" if hint else ""), file=sys.stderr)


def cmd_run(argv: list[str]) -> int:
    from tfoffline import harness as h

    if not argv:
        _err(
            "run needs a directory and Terraform arguments.",
            "Example: scripts/tf-offline envs/prod plan",
        )
        return 2
    root = h.check_root(Path(argv[0]).resolve())
    args = argv[1:] or ["plan"]
    h.check_schema()
    h.check_provider_env()
    eng = h.engine()
    work = h.default_workdir()
    # Out of the tree: the state (shared by engines) and a data dir per engine version
    # (a newer Terraform may write backend metadata an older one cannot read).
    state_dir = work / "roots" / hashlib.sha256(str(root).encode()).hexdigest()[:16]
    data = state_dir / f"data-{eng.flavour}-{eng.version}"
    data.mkdir(parents=True, exist_ok=True)
    env = h.offline_env(work)
    env["TF_DATA_DIR"] = str(data)
    # by hand, Terraform's own logging still works (TF_LOG=debug scripts/tf-offline ...)
    env.update(
        {
            k: v
            for k, v in os.environ.items()
            if k in ("TF_LOG", "TF_LOG_PATH", "TF_LOG_CORE", "TF_LOG_PROVIDER")
        }
    )
    lock = root / ".terraform.lock.hcl"
    lock_before = lock.read_bytes() if lock.is_file() else None
    override = root / h.OVERRIDE_NAME
    had_override = override.exists()
    stubs = root / h.ALIASES_NAME
    had_stubs = stubs.exists()
    try:
        h.local_backend_override(root, state_path=state_dir / "offline.tfstate")
        if args[0] not in ("init", "fmt", "version", "-version", "-help", "--help"):
            proc = subprocess.run(
                [*eng.argv, "init", "-input=false", "-no-color"],
                cwd=root,
                env=env,
                capture_output=True,
                text=True,
                timeout=h.DEFAULT_TIMEOUT,
                check=False,
            )
            if proc.returncode != 0:
                sys.stderr.write(proc.stdout + proc.stderr)
                _err(
                    f"terraform init failed in {root}: {h.first_error(proc.stderr or proc.stdout)}"
                )
                return 1
        try:
            return subprocess.run(
                [*eng.argv, *args], cwd=root, env=env, timeout=6 * h.DEFAULT_TIMEOUT, check=False
            ).returncode
        except subprocess.TimeoutExpired:
            _err(f"terraform {args[0]} did not finish within {6 * h.DEFAULT_TIMEOUT} s.")
            return 1
    finally:
        if not had_override:
            override.unlink(missing_ok=True)
        if not had_stubs:
            stubs.unlink(missing_ok=True)
        if lock_before is None:
            lock.unlink(missing_ok=True)
        elif lock.read_bytes() != lock_before:
            lock.write_bytes(lock_before)


def _roots(repo: Path) -> list[Path]:
    roots: list[Path] = []
    mods = repo / "terraform" / "modules"
    if mods.is_dir():
        roots += sorted(p for p in mods.iterdir() if p.is_dir() and any(p.glob("*.tf")))
    if any((repo / "terraform" / "stack").glob("*.tf")):
        roots.append(repo / "terraform" / "stack")
    envs = repo / "envs"
    if envs.is_dir():
        roots += sorted(p for p in envs.iterdir() if p.is_dir() and any(p.glob("*.tf")))
    return roots


def cmd_validate_all(argv: list[str]) -> int:
    from tfoffline import harness as h

    if argv:
        _err(f"validate-all takes no arguments (got {' '.join(argv)}).")
        return 2
    return validate_all(h.REPO)


def validate_all(repo: Path, out: Any = None) -> int:
    """fmt -check, then validate every module, the stack and every env of `repo`; 0 if all pass."""
    from tfoffline import harness as h

    def emit(*a: Any) -> None:
        (out or sys.stdout).write(" ".join(str(x) for x in a) + "\n")

    h.check_schema()
    h.check_provider_env()
    eng = h.engine()
    failures = 0
    fmt_dirs = [d for d in ("terraform", "envs") if (repo / d).is_dir()]
    if fmt_dirs:
        proc = subprocess.run(
            [*eng.argv, "fmt", "-check", "-recursive", "-list=true", *fmt_dirs],
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=h.DEFAULT_TIMEOUT,
            env=h.offline_env(h.default_workdir()),
            check=False,
        )
        if proc.returncode == 0:
            emit(f"ok    fmt -check {' '.join(fmt_dirs)}")
        else:
            failures += 1
            files = ", ".join(proc.stdout.split()) or h.first_error(proc.stderr)
            emit(f"FAIL  fmt -check: not formatted: {files} (fix with: make fmt)")
    roots = _roots(repo)
    if not roots:
        emit("no Terraform roots found under terraform/ and envs/")
    with tempfile.TemporaryDirectory(prefix="tfoffline-validate-") as tmp:
        env = h.offline_env(Path(tmp))

        def check(i: int, src: Path) -> tuple[Path, dict]:
            # a fresh copy per root: a module validated as a root gets alias stubs that must not
            # leak into the stack's use of that module
            root = h.copy_root(str(src.relative_to(repo)), Path(tmp) / f"tree{i}", repo=repo)
            return src, h.validate(root, env=env)

        with ThreadPoolExecutor(max_workers=2) as pool:
            results = list(pool.map(lambda pair: check(*pair), enumerate(roots)))
        for src, result in results:
            rel = src.relative_to(repo)
            errs = h.errors(result)
            if result.get("valid") and not errs:
                emit(f"ok    {rel}")
                continue
            failures += 1
            emit(f"FAIL  {rel} ({result.get('stage')}):")
            for d in errs:
                rng = d.get("range") or {}
                where = f"{rng.get('filename')}:{rng.get('start', {}).get('line')}: " if rng else ""
                detail = (d.get("detail") or "").strip().splitlines()
                emit(f"        {where}{d.get('summary')}" + (f": {detail[0]}" if detail else ""))
    emit(f"{len(roots)} roots, {failures} failure(s)")
    return 1 if failures else 0


def cmd_gen_schema(argv: list[str]) -> int:
    from tfoffline import gen_schema as g

    wheel: Path | None = None
    out = g.DEFAULT_OUT
    it = iter(argv)
    for arg in it:
        if arg in ("--wheel", "--out"):
            val = next(it, None)
            if val is None:
                _err(f"{arg} needs a value.")
                return 2
            if arg == "--wheel":
                wheel = Path(val)
                if not wheel.is_file():
                    _err(f"The wheel {val} does not exist.")
                    return 2
            else:
                out = Path(val)
        else:
            _err(f"Unknown gen-schema option {arg}.", "Use --wheel PATH and/or --out PATH.")
            return 2
    try:
        counts = g.generate(wheel, out)
    except g.GenError as exc:
        _err(str(exc))
        return 1
    print(g.format_counts(counts))
    print(f"wrote {out} ({out.stat().st_size // 1024} KB)")
    return 0


def cmd_compare_schema(argv: list[str]) -> int:
    import gzip

    from tfoffline import compare
    from tfoffline import harness as h

    show = 20
    args = list(argv)
    if "--show" in args:
        i = args.index("--show")
        try:
            show = int(args[i + 1])
        except (IndexError, ValueError):
            _err("--show needs a number.")
            return 2
        del args[i : i + 2]
    if len(args) != 1:
        _err("compare-schema needs one file: the output of `terraform providers schema -json`.")
        return 2
    dump = Path(args[0])
    if not dump.is_file():
        _err(f"The schema dump {dump} does not exist.")
        return 2
    h.check_schema()
    try:
        real = compare.load(dump)
        stats, diffs = compare.compare(real, compare.load(h.schema_path()))
    except (ValueError, OSError, EOFError, gzip.BadGzipFile) as exc:
        _err(f"Cannot read {dump} as a provider schema dump: {exc}.")
        return 2
    print(compare.summary(stats))
    for line in diffs[:show]:
        print(f"  {line}")
    if len(diffs) > show:
        print(f"  ... {len(diffs) - show} more (--show N)")
    return 0


def cmd_rules(args: list[str]) -> int:
    """Compile the strict rule tables (rules/*.json + botocore) and print what they hold."""
    from tfoffline import strict

    try:
        rules = strict.load()
    except strict.RuleTableError as exc:
        _err(str(exc), "Fix the file named, or set TFOFFLINE_STRICT=0 to run without the checks.")
        return 2
    for k, v in rules.counts().items():
        print(f"{k:28} {v}")
    print(f"{'botocore':28} {rules.doc.get('botocore')}")
    return 0


def cmd_bench_strict(args: list[str]) -> int:
    from tfoffline import bench

    return bench.main(args)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from chromactl.errors import ChromactlError

    if not argv or argv[0] in ("-h", "--help", "help"):
        print(USAGE, file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 2
    cmd, rest = argv[0], argv[1:]
    handlers = {
        "run": cmd_run,
        "validate-all": cmd_validate_all,
        "gen-schema": cmd_gen_schema,
        "compare-schema": cmd_compare_schema,
        "rules": cmd_rules,
        "bench-strict": cmd_bench_strict,
    }
    if cmd not in handlers:
        _err(f"Unknown command {cmd!r}.", USAGE)
        return 2
    try:
        return handlers[cmd](rest)
    except ChromactlError as exc:
        _err(exc.message, exc.hint)
        return exc.exit_code
    except KeyboardInterrupt:
        _err("Interrupted.")
        return 130
    except OSError as exc:
        _err(f"{exc.strerror or exc} ({getattr(exc, 'filename', '') or 'no file'}).")
        return 1


if __name__ == "__main__":
    os.environ.setdefault("CHECKPOINT_DISABLE", "1")
    raise SystemExit(main())
