"""The first line of every benchmark's output: when, on what machine, and how busy it was.

Issue 21: a figure in the docs names the date and the machine it ran on; the load average says
whether it ran on a busy host (ratios are meant to hold on both).
"""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _mem_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / (1024 * 1024)
    except (OSError, ValueError, IndexError):
        pass
    return None


def load_average() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def header(extra: str = "") -> str:
    """`# 2026-12-02 02:10 UTC, vm, 2 cores (AMD EPYC), 23.5 GiB RAM, load average 12.1 9.8 6.0[, extra]`."""
    mem = _mem_gib()
    parts = [time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), platform.node(), f"{os.cpu_count()} cores ({_cpu_model()})",
             *([f"{mem:.1f} GiB RAM"] if mem is not None else []), f"load average {load_average()}", *([extra] if extra else [])]
    return "# " + ", ".join(parts)


def footer() -> str:
    return f"# ended {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average {load_average()}"
