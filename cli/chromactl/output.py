"""Output for people and machines.

Results go to stdout (rich text, or with --json one JSON document: the envelope of
chromactl.render, printed once at the end of the run by chromactl.cli.app.main); progress,
prompts and errors go to stderr. rich is imported only when something is drawn,
so `chromactl --help` stays fast.

- NO_COLOR (any non-empty value, https://no-color.org) or --no-color: no escape
  codes at all, bold, dim and italic included (rich's `color_system=None`;
  `no_color=True` alone still emits styles).
- Tables: on a terminal a rich table whose cells wrap instead of being cut
  (`overflow="fold"`), so identifiers are never truncated; piped, one line per
  row, cells separated by tabs, no title and no header, as `gh` does.
- Markup: rich reads `[...]` as a style tag and drops the ones it does not
  know, so a hint such as `[env]` or `[dns] zone_id` would vanish. Every
  console this module makes interprets only chromactl's own style tags
  (STYLE_TAGS: `[bold]`, `[red]`, `[/]`...) and prints any other bracket as
  written; table cells, titles, progress labels, spinner text, info/warn/debug
  are all treated that way, so user text and hints are never eaten.
- Progress of a long step (`Output.progress`): a bar on a terminal; when stderr
  is not a terminal, a plain line when the step starts, every
  CHROMACTL_PROGRESS_EVERY seconds (default 10) and when it ends, so a CI log
  never goes silent. A bounded wait (`Output.waiting`: ECS, EFS, Backup, Route 53,
  drills) is one such step: elapsed against its bound, and the last state it
  observed, also when that state never changes.
- `Output.keepalive`, the fallback for steps with no progress of their own
  (Terraform runs): off a terminal, `label: still running (N s)` when nothing
  else (info, warn, a progress line) was printed for that long.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Self

from chromactl import settings
from chromactl.errors import Cancelled
from chromactl.render import dumps

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import Console


def no_color_env() -> bool:
    """NO_COLOR set to any non-empty value (https://no-color.org)."""
    return bool(os.environ.get("NO_COLOR"))


def _plain_stream(stream: Any) -> bool:
    """`stream` is no terminal and nothing asks rich to treat it as one (FORCE_COLOR, TTY_COMPATIBLE):
    rich would print plain characters to it, so writing them directly is the same output."""
    if os.environ.get("FORCE_COLOR") or os.environ.get("TTY_COMPATIBLE") or os.environ.get("TTY_INTERACTIVE"):
        return False
    try:
        return not stream.isatty()
    except (AttributeError, ValueError):
        return False


def progress_every_s() -> float:
    """Seconds between plain progress lines when stderr is not a terminal (CHROMACTL_PROGRESS_EVERY)."""
    return settings.current().progress_every_s


# The style tags chromactl's own renderers write; any other `[...]` is text (a hint's `[env]`).
STYLE_TAGS = ("bold", "dim", "italic", "underline", "red", "green", "yellow", "blue", "cyan", "magenta")
_BRACKET = re.compile(r"(\\*)\[")
_STYLE_TAG = re.compile(r"\[/?(?:(?:bold |dim |italic )?(?:" + "|".join(STYLE_TAGS) + r"))?\]")


def safe_markup(text: str) -> str:
    """`text` with every `[` that does not open one of STYLE_TAGS escaped, so rich prints it as written.

    A bracket already escaped (`\\[`, from rich.markup.escape) is left alone.
    """
    def fix(m: re.Match[str]) -> str:
        slashes = m.group(1)
        if len(slashes) % 2 == 1 or _STYLE_TAG.match(text, m.end() - 1):
            return m.group(0)
        return slashes + "\\["

    return _BRACKET.sub(fix, text)


def escape_markup(text: str) -> str:
    """`text` with no markup at all: every bracket printed as written (user text inside our own tags)."""
    from rich.markup import escape

    return escape(text)


def _console(file: Any, color: bool) -> Console:
    from rich.console import Console

    class SafeConsole(Console):
        """A rich Console whose str arguments may carry STYLE_TAGS only (see the module's docstring)."""

        def print(self, *objects: Any, markup: bool | None = None, **kwargs: Any) -> None:
            if markup is not False:
                objects = tuple(safe_markup(o) if isinstance(o, str) else o for o in objects)
            super().print(*objects, markup=markup, **kwargs)

    if color:
        return SafeConsole(file=file, highlight=False, soft_wrap=True)
    return SafeConsole(file=file, color_system=None, no_color=True, highlight=False, soft_wrap=True, emoji=False)


def tsv_cell(value: Any) -> str:
    """One table cell on a piped line: tabs and newlines would break the columns."""
    return str(value).replace("\t", " ").replace("\n", " ")


@dataclass
class Output:
    """How this invocation prints: JSON or text, verbose or not, colour or not."""

    json: bool = False
    verbose: bool = False
    color: bool = field(default_factory=lambda: not no_color_env())
    command: str | None = None  # the verb's path ("token rotate"), named in the JSON envelope
    has_result: bool = False  # result() was called: with --json, main() prints `pending` in the envelope
    pending: Any = None
    _out: Console | None = None
    _err: Console | None = None
    _said: float = 0.0  # when info()/warn() last printed (keepalive stays quiet then)

    @property
    def out(self) -> Console:
        if self._out is None:
            self._out = _console(sys.stdout, self.color)
        return self._out

    @property
    def err(self) -> Console:
        if self._err is None:
            self._err = _console(sys.stderr, self.color)
        return self._err

    def result(self, data: Any, render: Callable[[Console], None] | None = None) -> None:
        """The command's result: with --json kept for the envelope (chromactl.render), else `render`.

        With --json nothing is printed here: main() prints one envelope when the verb returns or
        fails, so its `ok` follows the exit code and an error after the result lands in the same
        document. Without `render` (and no --json) the result is printed as plain JSON.
        """
        if self.json:
            self.has_result = True
            self.pending = data
        elif render is None:
            sys.stdout.write(dumps(data) + "\n")
            sys.stdout.flush()
        else:
            render(self.out)

    def table(self, console: Console, title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]],
              *, right: Sequence[str] = ()) -> None:
        """A table for people on a terminal (cells wrap, never cut); tab-separated lines when piped."""
        if not console.is_terminal:
            for row in rows:
                console.file.write("\t".join(tsv_cell(c) for c in row) + "\n")
            console.file.flush()
            return
        from rich.table import Table
        from rich.text import Text

        table = Table(title=Text(title))
        for col in columns:
            table.add_column(Text(col), overflow="fold", justify="right" if col in right else "left")
        for row in rows:
            table.add_row(*(Text(str(c)) for c in row))  # a cell is data, never markup
        console.print(table)

    def progress(self, label: str, total: float | None = None, *, unit: str = "") -> Progress:
        """A progress reporter for one long step (see the module's docstring)."""
        return Progress(self, label, total, unit=unit)

    def waiting(self, what: str, bound_s: float, *, clock: Callable[[], float] = time.monotonic,
                every_s: float | None = None) -> Progress:
        """Progress of a bounded wait for `what`: call `observe(state)` at every look.

        A line every CHROMACTL_PROGRESS_EVERY seconds (on the wait's own clock): what it waits
        for, elapsed of the bound, the last state observed; a bar on a terminal.
        """
        return Progress(self, f"waiting for {what}", bound_s, unit="s", clock=clock, every_s=every_s)

    @contextmanager
    def keepalive(self, label: str, every_s: float | None = None) -> Iterator[None]:
        """While the body runs, off a terminal: `label: still running (N s)` when nothing was said for `every_s`.

        For long steps whose own output comes only on change (Terraform applies, ECS and EFS waits,
        drills, failovers), so a CI log never goes silent for minutes. Nothing on a terminal (the
        spinners and bars are there) and nothing with --json.
        """
        if self.json or sys.stderr.isatty():
            yield
            return
        import threading

        every = progress_every_s() if every_s is None else every_s
        stop = threading.Event()
        started = time.monotonic()
        self._said = started

        def tick() -> None:
            while not stop.wait(min(every, 1.0) if every >= 1.0 else every / 2):
                now = time.monotonic()
                if now - self._said >= every:
                    self._said = now
                    sys.stderr.write(f"{label}: still running ({now - started:.0f} s)\n")
                    sys.stderr.flush()

        thread = threading.Thread(target=tick, daemon=True, name="chromactl-keepalive")
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(2.0)

    def info(self, message: str) -> None:
        self._said = time.monotonic()
        if not self.json:
            self.err.print(message)

    def debug(self, message: str) -> None:
        if self.verbose:
            self.err.print(f"[dim]{escape_markup(message)}[/dim]")

    def warn(self, message: str) -> None:
        self._said = time.monotonic()
        if self._err is None and _plain_stream(sys.stderr):
            # Off a terminal rich would print these same characters (no colour, soft wrap): a plan's
            # only stderr line (a sandbox's placeholder warning) cost rich's import, ~25 ms of CPU, on
            # the path the 10 % plan-overhead budget measures (docs/checks.md, "The numbers" 5).
            sys.stderr.write(f"warning: {message}\n")
            sys.stderr.flush()
            return
        self.err.print(f"[yellow]warning:[/yellow] {escape_markup(message)}")

    @contextmanager
    def status(self, message: str) -> Iterator[None]:
        """A spinner on stderr while work runs (none with --json or when not a terminal)."""
        if self.json or not sys.stderr.isatty():
            yield
            return
        with self.err.status(escape_markup(message)):
            yield

    def confirm_text(self, prompt: str, expected: str) -> bool:
        """Ask the user to type `expected` (protected envs): True when typed.

        False when stdin is not a terminal (nobody to ask: the caller refuses with a hint);
        anything else typed at a terminal raises Cancelled ("cancelled", exit 1).
        """
        if not sys.stdin or not sys.stdin.isatty():
            return False
        self.err.print(prompt)
        answer = _ask(f"Type the env's name, {expected}, to continue: ")
        if answer is not None and answer.strip() == expected:
            return True
        raise Cancelled()

    def confirm(self, prompt: str) -> bool:
        """A y/N question: True on yes; False with no terminal; Cancelled on anything else."""
        if not sys.stdin or not sys.stdin.isatty():
            return False
        answer = _ask(f"{prompt} [y/N]: ")
        if answer is not None and answer.strip().lower() in ("y", "yes"):
            return True
        raise Cancelled()


def _ask(prompt: str) -> str | None:
    """Prompt on stderr (stdout carries results and JSON) and read one line; None on EOF/Ctrl-C."""
    sys.stderr.write(prompt)
    sys.stderr.flush()
    try:
        return input()  # no prompt argument: input() would print it on stdout
    except (EOFError, KeyboardInterrupt):
        return None


class Progress:
    """Progress of one long step on stderr: a rich bar on a terminal, periodic plain lines otherwise.

    Silent with --json. `update(done, total, detail)` may be called as often as wanted (the
    first call starts it, if the `with` did not); plain lines come at most every `every_s`
    seconds, plus one when it starts and one when it ends. `close()` may be called twice.
    """

    def __init__(self, output: Output, label: str, total: float | None = None, *, unit: str = "",
                 every_s: float | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.output = output
        self.label = label
        self.total = total
        self.unit = unit
        self.done: float = 0
        self.detail = ""
        self.every_s = progress_every_s() if every_s is None else every_s
        self.clock = clock
        self.started: float | None = None
        self.closed = False
        self.last_line = 0.0
        self.lines = 0
        self.quiet = output.json
        self.tty = not self.quiet and sys.stderr.isatty()
        self._bar: Any = None
        self._task: Any = None

    def start(self) -> Self:
        if self.started is not None or self.closed:
            return self
        self.started = self.last_line = self.clock()
        if self.quiet:
            return self
        if self.tty:
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as Bar

            self._bar = Bar(TextColumn(self.label, markup=False), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                            TextColumn("{task.description}", markup=False), console=self.output.err, transient=False)
            self._task = self._bar.add_task("", total=self.total)
            self._bar.start()
        else:
            self._line("started")
        return self

    def __enter__(self) -> Self:
        return self.start()

    def _text(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        if self.total:
            text = f"{self.done:g}/{self.total:g}{unit} ({100.0 * self.done / self.total:.0f} %)"
        else:
            text = f"{self.done:g}{unit}"
        return text + (f", {self.detail}" if self.detail else "")

    def _line(self, what: str) -> None:
        now = self.clock()
        elapsed = now - (self.started if self.started is not None else now)
        suffix = "" if what == "started" else f" ({elapsed:.0f} s)"
        sys.stderr.write(f"{self.label}: {what}{suffix}\n")
        sys.stderr.flush()
        self.lines += 1
        self.output._said = time.monotonic()  # the keepalive has nothing to add while this reports

    def update(self, done: float, total: float | None = None, detail: str = "") -> None:
        if self.closed:
            return
        self.start()
        self.done = done
        if total is not None:
            self.total = total
        self.detail = detail
        if self.quiet:
            return
        if self._bar is not None:
            self._bar.update(self._task, completed=done, total=self.total, description=detail)
            return
        now = self.clock()
        if now - self.last_line >= self.every_s:
            self.last_line = now
            self._line(self._text())

    def observe(self, state: str) -> None:
        """A bounded wait looked again: elapsed of its bound (the total), and what it saw."""
        self.start()
        started = self.started if self.started is not None else self.clock()
        shown = state if len(state) <= 200 else state[:197] + "..."
        self.update(round(self.clock() - started), detail=f"last: {shown}")

    def close(self, interrupted: bool = False) -> None:
        if self.closed:
            return
        self.closed = True
        if self.started is None or self.quiet:
            return
        if self._bar is not None:
            self._bar.stop()
            return
        self._line(("interrupted: " if interrupted else "done: ") + self._text())

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.close(interrupted=exc_type is KeyboardInterrupt)
