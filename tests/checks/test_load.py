"""load: .npy and JSONL into a real Chroma; batches, workers, checkpoint resume, bad input."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import numpy as np
import pytest
from chromactl.checks import load as load_mod
from chromactl.checks.client import ChromaClient, ChromaError
from chromactl.checks.load import run_load
from chromactl.checks.target import Target
from chromactl.errors import OperationFailed, UsageError

from tests.checks.helpers import CHROMACTL, run_cli
from tests.fixtures.envelope import result_of
from tests.fixtures.servers import wait_until


def _count(server, name: str) -> int:  # type: ignore[no-untyped-def]
    with ChromaClient(server.url) as c:
        return c.count(c.get_collection(name)["id"])


def _drop(server, name: str) -> None:  # type: ignore[no-untyped-def]
    with ChromaClient(server.url) as c:
        try:
            c.delete_collection(name)
        except ChromaError:
            pass


def test_npy_load_batches_workers_and_idempotent_rerun(chroma_server, tmp_path: Path) -> None:
    data = np.random.default_rng(3).standard_normal((2300, 16)).astype("float32")
    npy = tmp_path / "vecs.npy"
    np.save(npy, data)
    target = Target(chroma_server.url, None)
    seen: list[tuple[int, int]] = []
    rep = run_load(target, "load-npy", npy, workers=3, batch_size=500, on_progress=lambda d, t: seen.append((d, t)))
    assert rep.complete and rep.batches == 5 and rep.sent_batches == 5 and rep.sent_vectors == 2300
    assert rep.collection_count == 2300 and seen[-1] == (2300, 2300)
    with ChromaClient(chroma_server.url) as c:
        col = c.get_collection("load-npy")
        got = c.get(col["id"], ids=["vecs-0", "vecs-2299"], include=("embeddings",))
        assert sorted(got["ids"]) == ["vecs-0", "vecs-2299"]
        by_id = dict(zip(got["ids"], got["embeddings"]))
        assert np.allclose(by_id["vecs-2299"], data[2299])
    again = run_load(target, "load-npy", npy, workers=3, batch_size=500)
    assert again.sent_batches == 0 and again.skipped_batches == 5 and again.collection_count == 2300
    _drop(chroma_server, "load-npy")


def test_batch_size_is_capped_by_the_server(chroma_server, tmp_path: Path) -> None:
    npy = tmp_path / "cap.npy"
    np.save(npy, np.zeros((10, 4), dtype="float32") + np.arange(10, dtype="float32")[:, None])
    res = run_cli("--json", "load", "--endpoint", chroma_server.url, "--collection", "load-cap", "--file", str(npy), "--batch-size", "100000")
    assert res.returncode == 0, res.stderr
    assert result_of(res.stdout)["batch_size"] == 5461
    _drop(chroma_server, "load-cap")


def test_jsonl_with_metadata_and_documents(chroma_server, tmp_path: Path) -> None:
    f = tmp_path / "docs.jsonl"
    rows = [{"id": f"d{i}", "embedding": [float(i), 1.0, 0.0], "metadata": {"kind": "even" if i % 2 == 0 else "odd"}, "document": f"doc {i}"}
            for i in range(40)]
    f.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n")
    res = run_cli("--json", "load", "--endpoint", chroma_server.url, "--collection", "load-jsonl", "--file", str(f), "--batch-size", "7")
    assert res.returncode == 0, res.stderr
    assert result_of(res.stdout)["batches"] == 6 and _count(chroma_server, "load-jsonl") == 40
    with ChromaClient(chroma_server.url) as c:
        col = c.get_collection("load-jsonl")
        got = c.get(col["id"], where={"kind": "odd"}, include=("documents", "metadatas"))
        assert len(got["ids"]) == 20 and "doc 3" in got["documents"]
        c.delete_collection("load-jsonl")


@pytest.mark.parametrize(
    ("lines", "needle"),
    [
        (['{"id": "a", "embedding": [1, 2]}', '{"id": "b", "embedding": [1, 2]', '{"id": "c", "embedding": [1, 2]}'], ":2: not valid JSON"),
        (['{"id": "a", "embedding": [1, 2]}', '{"id": "b", "embedding": [1, 2, 3]}'], ":2: embedding has 3 dimensions"),
        (['{"id": "a", "embedding": [1, 2]}', "", '{"id": "a", "embedding": [3, 4]}'], ":3: id 'a' already used on line 1"),
        (['{"id": "a", "embedding": [1, "x"]}'], ":1: embedding holds 'x'"),
        (['{"id": "a", "embeddings": [1, 2]}'], ":1: unknown key 'embeddings'"),
        (['[1, 2]'], ":1: expected a JSON object"),
        (['{"id": "a", "embedding": [1, 2], "metadata": {"k": [1]}}'], ":1: metadata 'k'"),
    ],
)
def test_bad_jsonl_names_the_line_and_loads_nothing(chroma_server, tmp_path: Path, lines: list[str], needle: str) -> None:
    f = tmp_path / "bad.jsonl"
    f.write_text("\n".join(lines) + "\n")
    res = run_cli("load", "--endpoint", chroma_server.url, "--collection", "load-bad", "--file", str(f))
    assert res.returncode == 2, res.stderr
    assert f"bad.jsonl{needle}" in res.stderr and "Traceback" not in res.stderr
    assert "load-bad" not in chroma_server.collection_names()  # validation happens before anything is sent


def test_bad_npy_inputs(chroma_server, tmp_path: Path) -> None:
    target = Target(chroma_server.url, None)
    nan = np.ones((5, 4), dtype="float32")
    nan[3, 1] = np.nan
    np.save(tmp_path / "nan.npy", nan)
    with pytest.raises(UsageError, match="row 3 holds NaN"):
        run_load(target, "load-bad2", tmp_path / "nan.npy")
    np.save(tmp_path / "flat.npy", np.ones(8, dtype="float32"))
    with pytest.raises(UsageError, match="2-D"):
        run_load(target, "load-bad2", tmp_path / "flat.npy")
    (tmp_path / "x.csv").write_text("1,2\n")
    with pytest.raises(UsageError, match="unknown input format"):
        run_load(target, "load-bad2", tmp_path / "x.csv")
    # dimensions must match an existing collection
    np.save(tmp_path / "d4.npy", np.ones((3, 4), dtype="float32"))
    np.save(tmp_path / "d5.npy", np.ones((3, 5), dtype="float32"))
    run_load(target, "load-dims", tmp_path / "d4.npy")
    res = run_cli("load", "--endpoint", chroma_server.url, "--collection", "load-dims", "--file", str(tmp_path / "d5.npy"))
    assert res.returncode == 2 and "5-dimension vectors but collection 'load-dims' holds 4-dimension" in res.stderr
    assert _count(chroma_server, "load-dims") == 3
    _drop(chroma_server, "load-dims")
    assert "load-bad2" not in chroma_server.collection_names()


def test_failed_batch_is_recorded_and_resume_completes_without_duplicates(chroma_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = np.random.default_rng(4).standard_normal((1000, 8)).astype("float32")
    npy = tmp_path / "f.npy"
    np.save(npy, data)
    target = Target(chroma_server.url, None)
    real_add = ChromaClient.add

    def flaky_add(self, cid, ids, *a, **k):  # type: ignore[no-untyped-def]
        if ids[0] == "f-600":
            raise ChromaError("add 100 records: HTTP 400: injected.", status=400)
        return real_add(self, cid, ids, *a, **k)

    monkeypatch.setattr(ChromaClient, "add", flaky_add)
    with pytest.raises(OperationFailed) as err:
        run_load(target, "load-resume", npy, workers=1, batch_size=100)
    assert "batch 6 (rows 600-699)" in err.value.message and "resume" in err.value.hint
    ckpt = json.loads(load_mod.default_checkpoint(npy, "load-resume", chroma_server.url).read_text())
    done = load_mod._unranges(ckpt["done"])
    assert 6 not in done and ckpt["complete"] is False
    assert _count(chroma_server, "load-resume") == len(done) * 100
    monkeypatch.setattr(ChromaClient, "add", real_add)
    rep = run_load(target, "load-resume", npy, workers=2, batch_size=100)
    assert rep.complete and rep.skipped_batches == len(done) and rep.sent_batches == 10 - len(done)
    assert rep.collection_count == 1000
    _drop(chroma_server, "load-resume")


def _half_done(target: Target, name: str, npy: Path, ck: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A load of `npy` into `name` whose second batch fails: an incomplete checkpoint is left in `ck`."""
    real_add = ChromaClient.add

    def fail_second(self, cid, ids, *a, **k):  # type: ignore[no-untyped-def]
        if ids[0].endswith("-10"):
            raise ChromaError("add: HTTP 400: injected.", status=400)
        return real_add(self, cid, ids, *a, **k)

    monkeypatch.setattr(ChromaClient, "add", fail_second)
    with pytest.raises(OperationFailed):
        run_load(target, name, npy, checkpoint=ck, batch_size=10, workers=1)
    monkeypatch.setattr(ChromaClient, "add", real_add)


def test_refused_load_creates_nothing(chroma_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 16.5: a checkpoint for another file/collection is refused before the target collection exists."""
    a, b = tmp_path / "a.npy", tmp_path / "b.npy"
    np.save(a, np.arange(80, dtype="float32").reshape(20, 4))
    np.save(b, np.ones((30, 4), dtype="float32"))
    ck = tmp_path / "shared.json"
    target = Target(chroma_server.url, None)
    _half_done(target, "load-ck", a, ck, monkeypatch)
    with pytest.raises(UsageError, match="another input file"):
        run_load(target, "load-ck", b, checkpoint=ck)
    res = run_cli("load", "--endpoint", chroma_server.url, "--collection", "load-ck-other", "--file", str(a), "--checkpoint", str(ck))
    assert res.returncode == 2 and "another collection" in res.stderr, res.stderr
    assert "load-ck-other" not in chroma_server.collection_names()  # refused before anything was created
    _drop(chroma_server, "load-ck")


def test_default_checkpoint_is_per_file_collection_and_endpoint(chroma_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a = tmp_path / "a.npy"
    np.save(a, np.arange(80, dtype="float32").reshape(20, 4))
    target = Target(chroma_server.url, None)
    _half_done(target, "load-per-a", a, None, monkeypatch)  # type: ignore[arg-type]
    first = load_mod.default_checkpoint(a, "load-per-a", chroma_server.url)
    assert first.is_file() and json.loads(first.read_text())["complete"] is False
    # the same file into another collection: its own checkpoint, no refusal, nothing mixed up
    rep = run_load(target, "load-per-b", a, batch_size=10)
    assert rep.complete and rep.inserted == 20 and rep.collection_count == 20
    second = load_mod.default_checkpoint(a, "load-per-b", chroma_server.url)
    assert second != first and second.is_file()
    assert load_mod.default_checkpoint(a, "load-per-b", "http://127.0.0.1:1") != second
    rep = run_load(target, "load-per-a", a, batch_size=10)  # the first one still resumes
    assert rep.complete and rep.skipped_batches == 1 and rep.inserted == 10 and rep.collection_count == 20
    _drop(chroma_server, "load-per-a")
    _drop(chroma_server, "load-per-b")


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ('{"id": "d", "embedding": [1e300, 0.5]}', "1e+300, not a finite float32 number"),
        ('{"id": "d", "embedding": [123456789012345678901234567890123456789012, 0.5]}', "not a finite float32 number"),
        ('{"id": "d", "embedding": [0.5, -3.5e38]}', "-3.5e+38, not a finite float32 number"),
    ],
)
def test_values_beyond_float32_are_refused_before_anything_is_created(chroma_server, tmp_path: Path, line: str, needle: str) -> None:
    """Issue 20.3: validation in float64 let 1e300 through; the server failed mid-load, leaving a half-loaded collection."""
    f = tmp_path / "big.jsonl"
    good = [json.dumps({"id": f"g{i}", "embedding": [float(i), 1.0]}) for i in range(3)]
    f.write_text("\n".join([*good, line]) + "\n")
    res = run_cli("load", "--endpoint", chroma_server.url, "--collection", "load-f32", "--file", str(f), "--batch-size", "1")
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert "big.jsonl:4:" in res.stderr and needle in res.stderr and "Traceback" not in res.stderr
    assert "load-f32" not in chroma_server.collection_names()
    assert not list(tmp_path.glob("*checkpoint*"))


def test_npy_float64_beyond_float32_is_refused(chroma_server, tmp_path: Path) -> None:
    arr = np.ones((6, 3), dtype="float64")
    arr[4, 2] = 1e300
    np.save(tmp_path / "f64.npy", arr)
    with pytest.raises(UsageError, match="row 4 holds NaN, infinity or a value beyond float32"):
        run_load(Target(chroma_server.url, None), "load-f64", tmp_path / "f64.npy", batch_size=2)
    assert "load-f64" not in chroma_server.collection_names()


def test_corrected_reload_add_keeps_and_says_so_upsert_updates(chroma_server, tmp_path: Path) -> None:
    """Issue 20.4: reloading corrected records printed "loaded 100 vectors" while Chroma kept the old ones."""
    rows = [{"id": f"r{i}", "embedding": [float(i), 1.0, 0.0], "metadata": {"v": 1}} for i in range(100)]
    f = tmp_path / "recs.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    base = ("--json", "load", "--endpoint", chroma_server.url, "--collection", "load-modes", "--file", str(f), "--batch-size", "30")
    res = run_cli(*base)
    assert res.returncode == 0, res.stderr
    first = result_of(res.stdout)
    assert (first["inserted"], first["updated"], first["unchanged"], first["kept_existing"]) == (100, 0, 0, 0)
    for i in range(10):  # ten corrected vectors, five corrected metadata
        rows[i]["embedding"] = [float(i), 2.0, 0.0]
    for i in range(50, 55):
        rows[i]["metadata"] = {"v": 2}
    f.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    res = run_cli(*base)  # add: the stored records stay; the report says so
    assert res.returncode == 0, res.stderr
    added = result_of(res.stdout)
    assert (added["inserted"], added["unchanged"], added["kept_existing"]) == (0, 85, 15)
    text = run_cli(*base[1:], "--mode", "add", "--checkpoint", str(tmp_path / "text.ckpt"))  # a fresh checkpoint: not all skipped
    assert "inserted 0, unchanged 85, kept (differ, not overwritten) 15" in text.stdout, text.stdout
    assert "--mode upsert" in text.stderr
    res = run_cli(*base, "--mode", "upsert")
    assert res.returncode == 0, res.stderr
    up = result_of(res.stdout)
    assert (up["inserted"], up["updated"], up["unchanged"]) == (0, 15, 85) and up["collection_count"] == 100
    with ChromaClient(chroma_server.url) as c:
        col = c.get_collection("load-modes")
        got = c.get(col["id"], ids=["r3", "r52", "r80"], include=("embeddings", "metadatas"))
        by_id = {i: (e, m) for i, e, m in zip(got["ids"], got["embeddings"], got["metadatas"])}
        assert list(by_id["r3"][0]) == [3.0, 2.0, 0.0] and by_id["r52"][1] == {"v": 2} and by_id["r80"][1] == {"v": 1}
    res = run_cli(*base, "--mode", "upsert", "--checkpoint", str(tmp_path / "again.ckpt"))  # the same file again: all unchanged
    again = result_of(res.stdout)
    assert (again["inserted"], again["updated"], again["unchanged"], again["sent_vectors"]) == (0, 0, 100, 0)
    _drop(chroma_server, "load-modes")


def test_interrupted_cli_load_resumes_exactly(chroma_server, tmp_path: Path) -> None:
    """SIGINT mid-load: exit 130, checkpoint written; the rerun finishes; count is exact (nothing twice)."""
    rows = 6000  # 60 batches: the interrupt lands after 3, so the rerun has most of them to do
    npy = tmp_path / "big.npy"
    np.save(npy, np.random.default_rng(5).standard_normal((rows, 32)).astype("float32"))
    ck = tmp_path / "big.ckpt.json"
    args = [CHROMACTL, "load", "--endpoint", chroma_server.url, "--collection", "load-int", "--file", str(npy),
            "--batch-size", "100", "--workers", "1", "--checkpoint", str(ck)]
    # The child gets SIGINT's default disposition, as a command typed at a terminal has: a run started in the
    # background (`cmd &` without job control) passes SIGINT on ignored (bash manual, "Signals"), and Python
    # then installs no KeyboardInterrupt handler ("if the parent process has not changed it",
    # https://docs.python.org/3/library/signal.html), so the Ctrl-C this test stands for would never arrive.
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # noqa: PLW1509
    try:
        def some_done() -> bool:
            return ck.exists() and len(load_mod._unranges(json.loads(ck.read_text())["done"])) >= 3

        wait_until(some_done, timeout=60, what="first batches")
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "Interrupted" in err and "resume" in err
    recorded = load_mod._unranges(json.loads(ck.read_text())["done"])
    assert 0 < len(recorded) < rows // 100
    res = run_cli("--json", "load", "--endpoint", chroma_server.url, "--collection", "load-int", "--file", str(npy),
                  "--batch-size", "100", "--workers", "2", "--checkpoint", str(ck))
    assert res.returncode == 0, res.stderr
    data = result_of(res.stdout)
    assert data["complete"] and data["skipped_batches"] == len(recorded) and data["collection_count"] == rows
    _drop(chroma_server, "load-int")


def test_load_creates_the_collection_with_hnsw_build_options(chroma_server, tmp_path: Path) -> None:
    """Issue 21 part 3: --hnsw KEY=VALUE reaches the collection's configuration (chromadb 1.5.9 hnsw
    ef_construction / batch_size / sync_threshold), and without it chromactl's defaults apply."""
    data = np.random.default_rng(5).standard_normal((300, 8)).astype("float32")
    npy = tmp_path / "h.npy"
    np.save(npy, data)
    _drop(chroma_server, "hnsw-opts")
    _drop(chroma_server, "hnsw-default")
    _drop(chroma_server, "hnsw-merged")
    res = run_cli("--json", "load", "--endpoint", chroma_server.url, "--collection", "hnsw-opts", "--file", str(npy),
                  "--hnsw", "ef_construction=48", "--hnsw", "batch_size=250", "--hnsw", "sync_threshold=3000")
    assert res.returncode == 0, res.stderr
    run_load(Target(chroma_server.url, None), "hnsw-default", npy, checkpoint=tmp_path / "d.ckpt")
    with ChromaClient(chroma_server.url) as c:
        # the whole set is in the collection's schema (configuration_json leaves batch_size out)
        got = _hnsw_of(c.get_collection("hnsw-opts"))
        default = _hnsw_of(c.get_collection("hnsw-default"))
    assert (got["ef_construction"], got["batch_size"], got["sync_threshold"]) == (48, 250, 3000)
    res = run_cli("--json", "load", "--endpoint", chroma_server.url, "--collection", "hnsw-merged", "--file", str(npy),
                  "--hnsw", "sync_threshold=3000")
    assert res.returncode == 0, res.stderr
    with ChromaClient(chroma_server.url) as c:
        merged = _hnsw_of(c.get_collection("hnsw-merged"))
    assert (merged["ef_construction"], merged["sync_threshold"]) == (64, 3000)  # --hnsw overrides a key, keeps the rest
    _drop(chroma_server, "hnsw-merged")
    # chromactl's measured default (docs/checks.md, "The numbers" 4), not Chroma's 100
    assert default["ef_construction"] == load_mod.DEFAULT_HNSW["ef_construction"] == 64
    assert default["max_neighbors"] == load_mod.CHROMA_HNSW_DEFAULTS["max_neighbors"]
    _drop(chroma_server, "hnsw-opts")
    _drop(chroma_server, "hnsw-default")


def _hnsw_of(col: dict) -> dict:  # type: ignore[type-arg]
    return col["schema"]["keys"]["#embedding"]["float_list"]["vector_index"]["config"]["hnsw"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("bad", ["ef_construction", "nope=3", "ef_construction=x", "batch_size=0"])
def test_bad_hnsw_option_is_a_usage_error(bad: str, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--hnsw"):
        load_mod.parse_hnsw([bad])


@pytest.mark.parametrize(("pairs", "why"), [
    (["batch_size=1"], "at least 2"),  # Chroma's rust/types/src/hnsw_configuration.rs: range(min = 2)
    (["sync_threshold=1"], "at least 2"),
    (["resize_factor=0.5"], "at least 1"),
    (["batch_size=2000"], "over sync_threshold 1000 (Chroma default)"),  # chromadb/api/configuration.py
    (["batch_size=5000", "sync_threshold=4000"], "batch_size <= sync_threshold"),
])
def test_hnsw_values_chroma_refuses_are_refused_before_anything_is_sent(pairs: list[str], why: str) -> None:
    """Chroma's limits, checked at parse time (exit 2) instead of a 4xx after the file was read."""
    with pytest.raises(UsageError, match=why.replace("(", r"\(").replace(")", r"\)")):
        load_mod.parse_hnsw(pairs)
    assert load_mod.parse_hnsw(["batch_size=5000", "sync_threshold=50000"]) == {"batch_size": 5000, "sync_threshold": 50000}
