"""Helpers for the checks' tests: run the CLI as a user would, list what a server holds."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CHROMACTL = str(Path(sys.executable).parent / "chromactl")


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    full_env = dict(os.environ, NO_COLOR="1", COLUMNS="200")
    full_env.update(env or {})
    return subprocess.run([CHROMACTL, *args], check=False, capture_output=True, text=True, env=full_env, timeout=timeout)


def leftover(server, prefix: str = "chromactl-") -> list[str]:  # type: ignore[no-untyped-def]
    return [n for n in server.collection_names() if n.startswith(prefix)]
