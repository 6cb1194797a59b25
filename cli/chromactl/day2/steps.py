"""Run journaled steps in order: each at most once to completion, the journal saved around every step.

The failover's mechanism (chromactl.failover.journal.Journal, with the verb's own step names), so a
stopped restore or upgrade continues with `--resume` from the failed step and never redoes a done one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from chromactl.errors import ChromactlError, OperationFailed, UsageError
from chromactl.failover.journal import Journal
from chromactl.output import Output


def journal_file(root: Path, verb: str, env: str, region: str, run: str | None = None) -> Path:
    """The verb's journal; `run` gives a run started by another (the upgrade's rollback restore) a file of its own."""
    return root / ".chromactl" / verb / (f"{env}-{region}.{run}.json" if run else f"{env}-{region}.json")


def _refuse_other_inputs(journal: Journal, inputs: dict[str, Any], *, verb: str, path: Path, state: str) -> None:
    """A resume continues the run its journal records: other inputs are another run (exit 2)."""
    for key, value in inputs.items():
        old = journal.inputs.get(key)
        if value is not None and old is not None and old != value:
            other = (f"run without --resume to start a new {verb} with {value!r}" if state == "finished"
                     else f"move {path} aside to start another")
            raise UsageError(f"The {state} {verb} was started with {key} {old!r}, not {value!r}.",
                             f"Resume it with the same {key}, or {other}.")


def open_journal(path: Path, *, verb: str, env: str, region: str, steps: tuple[str, ...], resume: bool,
                 inputs: dict[str, Any], output: Output) -> Journal:
    """The journal to run with: a new one, or (with --resume) the stopped one; refuse a silent restart."""
    if path.is_file():
        journal = Journal.load(path, env=env, region=region, step_names=steps)
        if journal.status == "completed":
            if resume:
                _refuse_other_inputs(journal, inputs, verb=verb, path=path, state="finished")
                return journal
            path.rename(path.with_suffix(f".{journal.run_id}.done.json"))  # keep the record; start a new run
        else:
            if not resume:
                raise UsageError(f"A {verb} of {env} in {region} stopped at step {journal.next_step()!r} ({path}).",
                                 "Run again with --resume to continue from there (finished steps are not redone).")
            _refuse_other_inputs(journal, inputs, verb=verb, path=path, state="stopped")
            return journal
    elif resume:
        output.info(f"No stopped {verb} of {env} in {region}: starting a new one.")
    return Journal(path=path, env=env, target_region=region, primary_region=region, source=verb, inputs=dict(inputs), step_names=steps)


def run_steps(journal: Journal, funcs: Mapping[str, Callable[[], dict[str, Any]]], output: Output, *, verb: str) -> None:
    total = len(journal.step_names)
    for i, name in enumerate(journal.step_names, 1):
        if journal.done(name):
            output.info(f"[{i}/{total}] {name}: done earlier, skipped")
            continue
        output.info(f"[{i}/{total}] {name} ...")
        journal.begin(name)
        journal.save()
        started = time.monotonic()
        try:
            with output.status(f"{name} ..."):
                result = funcs[name]()
        except BaseException as exc:
            seconds = time.monotonic() - started
            message = exc.message if isinstance(exc, ChromactlError) else f"{type(exc).__name__}: {exc}"
            journal.fail(name, message, seconds)
            journal.save()
            if isinstance(exc, KeyboardInterrupt) or (isinstance(exc, ChromactlError) and exc.exit_code != 1):
                raise
            hint = exc.hint if isinstance(exc, ChromactlError) and exc.hint else "Fix the cause, then run again with --resume."
            raise OperationFailed(f"The {verb} stopped at step {name!r}: {message.rstrip('.')}.",
                                  f"{hint} Then run again with --resume: finished steps are not redone (journal: {journal.path}).") from None
        journal.finish(name, result, time.monotonic() - started)
        if i == total:
            journal.status = "completed"
        journal.save()
        output.info(f"[{i}/{total}] {name}: done ({time.monotonic() - started:.1f} s)")
