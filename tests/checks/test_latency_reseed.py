"""A latency run that finds its check collection already holding the same records does not upsert them again.

Re-upserting identical records into an HNSW index is far slower than the first insert (a busy host:
3 s the first run, 25-36 s after, then `upsert 1000 records: no answer within 10 s`). Real Chroma server;
the upserts are counted at the client, the one path every seeding request takes."""

from __future__ import annotations

from typing import Any

import pytest
from chromactl.checks import checkcoll
from chromactl.checks.client import ChromaClient
from chromactl.checks.latency import workload_for
from chromactl.checks.target import Target


def _run(target: Target, monkeypatch: pytest.MonkeyPatch, **kwargs: Any) -> int:
    """Seed (or not) through workload_for; returns the number of upsert requests sent."""
    sent: list[int] = []
    original = ChromaClient.upsert

    def counting(self: ChromaClient, collection_id: str, ids: Any, *args: Any, **kw: Any) -> None:
        sent.append(len(ids))
        original(self, collection_id, ids, *args, **kw)

    monkeypatch.setattr(ChromaClient, "upsert", counting)
    with workload_for(target, **kwargs) as wl:
        assert wl.lease is not None and not wl.lease.temporary
        with target.client() as client:
            assert client.count(wl.collection_id) == kwargs["seed_vectors"]
    monkeypatch.setattr(ChromaClient, "upsert", original)
    return len(sent)


def test_second_run_sends_no_upsert_and_a_change_reseeds(chroma_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    target = Target(chroma_server.url, None)
    first = _run(target, monkeypatch, seed_vectors=2500, dims=16)
    assert first == 3  # 1000 + 1000 + 500
    assert _run(target, monkeypatch, seed_vectors=2500, dims=16) == 0  # before: 3 again, every run
    assert _run(target, monkeypatch, seed_vectors=2000, dims=16) == 2  # a changed n reseeds (and trims)
    assert _run(target, monkeypatch, seed_vectors=2000, dims=16, seed=5) == 2  # a changed seed reseeds
    assert _run(target, monkeypatch, seed_vectors=2000, dims=16, seed=5) == 0
    assert _run(target, monkeypatch, seed_vectors=2000, dims=8, seed=5) == 2  # other dims: its own collection


def test_records_changed_behind_the_fingerprint_are_reseeded(chroma_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fingerprint alone is not trusted: a changed first record or count reseeds."""
    target = Target(chroma_server.url, None)
    _run(target, monkeypatch, seed_vectors=1200, dims=12, seed=2)
    name = checkcoll.check_collection_name("latency", 12)
    with target.client() as client:
        cid = client.get_collection(name)["id"]
        client.upsert(cid, ["b00000000"], [[0.5] * 12])
    assert _run(target, monkeypatch, seed_vectors=1200, dims=12, seed=2) == 2
    with target.client() as client:
        client.delete_records(cid, ids=["b00000007"])
    assert _run(target, monkeypatch, seed_vectors=1200, dims=12, seed=2) == 2
    assert _run(target, monkeypatch, seed_vectors=1200, dims=12, seed=2) == 0
