"""Fixtures shared by the checks' number tests."""

from __future__ import annotations

import pytest
from chromactl.checks.latency import workload_for
from chromactl.checks.target import Target


@pytest.fixture(scope="module")
def bench_workload(chroma_server):  # type: ignore[no-untyped-def]
    target = Target(chroma_server.url, None)
    with workload_for(target, seed_vectors=2000, dims=64, seed=11) as wl:
        yield target, wl
