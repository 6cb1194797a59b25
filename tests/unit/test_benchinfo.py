"""Every benchmark's first line names the date, the machine and its load (issue 21: each figure in the
docs says when and on what it ran)."""

from __future__ import annotations

import os
import re

from chromactl_dev import benchinfo


def test_header_names_date_machine_cpu_memory_and_load() -> None:
    line = benchinfo.header("chromadb 1.5.9")
    assert re.match(r"# \d{4}-\d\d-\d\d \d\d:\d\d UTC, ", line), line
    assert f"{os.cpu_count()} cores (" in line
    assert re.search(r"\d+\.\d GiB RAM, load average \d+\.\d \d+\.\d \d+\.\d, chromadb 1\.5\.9$", line), line


def test_footer_has_the_end_time_and_load() -> None:
    assert re.match(r"# ended \d{4}-\d\d-\d\d \d\d:\d\d UTC, load average [\d. ]+$", benchinfo.footer())
