"""The REST client against a real Chroma server: routes, payloads, errors, timeouts."""

from __future__ import annotations

import socket
import time

import numpy as np
import pytest
from chromactl.checks.client import ChromaClient, ChromaNotFound, ChromaUnavailable, RawPoster

from tests.fixtures.servers import free_port, hang_guard


def test_routes_round_trip(chroma_server) -> None:
    with ChromaClient(chroma_server.url, timeout_s=10) as c:
        assert c.heartbeat() > 0
        assert c.max_batch_size() == 5461  # single-node Chroma 1.5.9
        assert c.supports_base64() is True
        col = c.create_collection("client-round-trip", metadata={"k": "v"})
        try:
            vecs = np.eye(4, dtype="float32")
            c.add(col["id"], ["a", "b", "c", "d"], vecs, [{"g": 1}, {"g": 2}, {"g": 1}, {"g": 2}], ["da", None, "dc", None])
            assert c.count(col["id"]) == 4
            # add with an existing id leaves the record as it was: a re-sent batch never duplicates
            c.add(col["id"], ["a"], np.array([[0, 0, 0, 9]], dtype="float32"))
            assert c.count(col["id"]) == 4
            got = c.get(col["id"], ids=["a"], include=("embeddings", "documents"))
            assert got["embeddings"][0] == [1.0, 0.0, 0.0, 0.0] and got["documents"] == ["da"]
            res = c.query(col["id"], np.array([[0.9, 0.1, 0, 0]]), n_results=2)
            assert res["ids"][0][0] == "a"
            res = c.query(col["id"], np.array([[0.9, 0.1, 0, 0]]), n_results=2, where={"g": 2}, include=("metadatas",))
            assert res["ids"][0][0] == "b" and all(m["g"] == 2 for m in res["metadatas"][0])
            assert c.get_collection("client-round-trip")["dimension"] == 4
        finally:
            c.delete_collection("client-round-trip")
        with pytest.raises(ChromaNotFound):
            c.get_collection("client-round-trip")


def test_float_list_encoding_matches_base64(chroma_server) -> None:
    with ChromaClient(chroma_server.url) as c:
        c._preflight = {"max_batch_size": 5461, "supports_base64_encoding": False}
        col = c.create_collection("client-floats")
        try:
            c.add(col["id"], ["x"], np.array([[0.5, -1.25, 3.0]], dtype="float32"))
            assert c.get(col["id"], ids=["x"], include=("embeddings",))["embeddings"][0] == [0.5, -1.25, 3.0]
        finally:
            c.delete_collection("client-floats")


def test_refused_connection_is_a_clear_error_fast() -> None:
    port = free_port()
    start = time.monotonic()
    with ChromaClient(f"http://127.0.0.1:{port}", timeout_s=5) as c, pytest.raises(ChromaUnavailable) as err:
        c.heartbeat()
    assert time.monotonic() - start < hang_guard(0.1)  # refused at once, not after the 5 s timeout x retries
    assert "cannot reach" in err.value.message and err.value.hint


def test_silent_server_times_out_within_the_timeout() -> None:
    """A socket that accepts and never answers: every call still ends at its timeout."""
    with socket.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen(8)
        url = f"http://127.0.0.1:{srv.getsockname()[1]}"
        start = time.monotonic()
        with ChromaClient(url, timeout_s=1.0) as c, pytest.raises(ChromaUnavailable) as err:
            c.heartbeat()
        assert err.value.kind == "timeout"
        poster = RawPoster(url + "/api/v2/x", timeout_s=1.0)
        with pytest.raises(ChromaUnavailable):
            poster.post(b"{}")
        assert time.monotonic() - start < hang_guard(2)


def test_token_not_in_repr() -> None:
    token = "a" * 64
    c = ChromaClient("http://127.0.0.1:9", token)
    assert token not in repr(c)
    from chromactl.checks.target import Target

    assert token not in repr(Target("http://127.0.0.1:9", token)) and token not in str(Target("http://x:1", token).describe())
