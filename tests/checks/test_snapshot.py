"""The one collections snapshot (chromactl.checks.snapshot) against a real Chroma: every page is read,
counts are the records, chromactl's check collections are left out unless asked for."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from chromactl.checks import snapshot as S
from chromactl.checks.checkcoll import CHECK_PREFIX
from chromactl.checks.client import ChromaClient


def test_all_pages_counts_and_no_check_collections(make_chroma_server: Callable[[], Any], monkeypatch: pytest.MonkeyPatch) -> None:
    server = make_chroma_server()
    monkeypatch.setattr(S, "PAGE", 2)  # five collections: pages of 2, 2 and 1
    with ChromaClient(server.url, timeout_s=10) as c:
        for i, name in enumerate(["col-a", "col-b", "col-c", "col-d", f"{CHECK_PREFIX}x"]):
            col = c.create_collection(name)
            if i:
                c.add(col["id"], [f"{name}{k}" for k in range(i)], np.ones((i, 3), dtype="float32"))
        assert sorted(str(col["name"]) for col in S.listed(c)) == sorted(["col-a", "col-b", "col-c", "col-d", f"{CHECK_PREFIX}x"])
        assert [str(col["name"]) for col in S.listed(c, limit=2)] == [str(col["name"]) for col in c.list_collections(limit=2)]
        assert S.collections_snapshot(c) == {"col-a": 0, "col-b": 1, "col-c": 2, "col-d": 3}
        assert S.collections_snapshot(c, include_checks=True) == {"col-a": 0, "col-b": 1, "col-c": 2, "col-d": 3, f"{CHECK_PREFIX}x": 4}
