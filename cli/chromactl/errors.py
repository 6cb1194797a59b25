"""Errors meant for people: one sentence, a hint, and an exit code.

The core raises these; only the CLI edge turns them into output and an exit
status. Exit codes: 0 ok, 1 a check or operation failed (or drift found),
2 usage or configuration error.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class ChromactlError(Exception):
    """Base error: `message` is one sentence, `hint` says what to do next."""

    exit_code: int = EXIT_FAILED

    def __init__(self, message: str, hint: str | None = None, *, exit_code: int | None = None, detail: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.detail = detail  # optional lines shown between the sentence and the hint (e.g. Terraform's Error: block)
        if exit_code is not None:
            self.exit_code = exit_code

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.message if not self.hint else f"{self.message} ({self.hint})"


class ConfigError(ChromactlError):
    """Bad or missing configuration, unknown env or region: exit 2."""

    exit_code = EXIT_USAGE


class UsageError(ChromactlError):
    """Bad command-line input: exit 2."""

    exit_code = EXIT_USAGE


class OperationFailed(ChromactlError):
    """An operation (Terraform, AWS, a check) failed: exit 1."""

    exit_code = EXIT_FAILED


class ChangesPresent(Exception):
    """`plan --check` found changes: exit 2, as Terraform's -detailed-exitcode (not an error).

    Raised instead of a bare exit 2 so that the CLI edge can tell drift from an error, which under
    --check exits 1 (usage and configuration errors included).
    """

    exit_code = EXIT_USAGE


class Cancelled(ChromactlError):
    """The user declined a confirmation at a terminal: "cancelled", exit 1, nothing changed."""

    exit_code = EXIT_FAILED

    def __init__(self, message: str = "cancelled") -> None:
        super().__init__(message, None)
