"""Output for people and machines.

Results go to stdout (rich text, or one JSON document with --json); progress,
prompts and errors go to stderr. rich is imported only when something is drawn,
so `chromactl --help` stays fast. NO_COLOR is honoured.
"""

from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterator

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import Console


def _default(obj: Any) -> Any:
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    return str(obj)


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=False, default=_default)


@dataclass
class Output:
    """How this invocation prints: JSON or text, verbose or not, colour or not."""

    json: bool = False
    verbose: bool = False
    color: bool = field(default_factory=lambda: "NO_COLOR" not in os.environ)
    _out: "Console | None" = None
    _err: "Console | None" = None

    @property
    def out(self) -> "Console":
        if self._out is None:
            from rich.console import Console

            self._out = Console(file=sys.stdout, no_color=not self.color, highlight=False, soft_wrap=True)
        return self._out

    @property
    def err(self) -> "Console":
        if self._err is None:
            from rich.console import Console

            self._err = Console(file=sys.stderr, no_color=not self.color, highlight=False, soft_wrap=True)
        return self._err

    def result(self, data: Any, render: Callable[["Console"], None] | None = None) -> None:
        """Print the command's result: JSON with --json, else `render` (or the JSON)."""
        if self.json or render is None:
            sys.stdout.write(dumps(data) + "\n")
            sys.stdout.flush()
        else:
            render(self.out)

    def info(self, message: str) -> None:
        if not self.json:
            self.err.print(message)

    def debug(self, message: str) -> None:
        if self.verbose:
            self.err.print(f"[dim]{message}[/dim]")

    def warn(self, message: str) -> None:
        self.err.print(f"[yellow]warning:[/yellow] {message}")

    @contextmanager
    def status(self, message: str) -> Iterator[None]:
        """A spinner on stderr while work runs (none with --json or when not a terminal)."""
        if self.json or not sys.stderr.isatty():
            yield
            return
        with self.err.status(message):
            yield

    def confirm_text(self, prompt: str, expected: str) -> bool:
        """Ask the user to type `expected` (for protected envs). False when stdin is not a terminal."""
        if not sys.stdin or not sys.stdin.isatty():
            return False
        self.err.print(prompt)
        answer = _ask(f"Type {expected!r} to continue: ")
        return answer is not None and answer.strip() == expected

    def confirm(self, prompt: str) -> bool:
        if not sys.stdin or not sys.stdin.isatty():
            return False
        answer = _ask(f"{prompt} [y/N]: ")
        return answer is not None and answer.strip().lower() in ("y", "yes")


def _ask(prompt: str) -> str | None:
    """Prompt on stderr (stdout carries results and JSON) and read one line; None on EOF/Ctrl-C."""
    sys.stderr.write(prompt)
    sys.stderr.flush()
    try:
        return input()  # no prompt argument: input() would print it on stdout
    except (EOFError, KeyboardInterrupt):
        return None
