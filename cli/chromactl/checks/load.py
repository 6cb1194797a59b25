"""Bulk loading from .npy or JSONL, in parallel batches, resumable.

Input
  .npy    a 2-D float array, one vector per row; ids are generated
          (`<prefix><row>`, prefix defaults to the file's stem and a dash).
  .jsonl  one object per line: {"id": str, "embedding": [float, ...],
          "metadata": {...}?, "document": str?}. Blank lines are skipped.
The whole file is validated before the first request (dimensions, numbers,
JSON syntax, keys, duplicate ids); an error names the line. Numbers are checked
as the server receives them, float32: 1e300 or a 42-digit integer is finite in
Python but infinite in float32, and is refused with its line. So bad input
never leaves a half-loaded (or an empty) collection behind, and nothing is
created until the input and the checkpoint are known good.

Modes: `add` (the default) keeps a record whose id exists (Chroma's add);
`upsert` overwrites it (a corrected file). Each batch first asks which of its
ids exist (`get(ids=...)`), and only for those fetches embeddings, metadata
and documents, so the report counts honestly: inserted, updated, unchanged,
and (add mode) kept though the file differs.

Batches: size = min(server max_batch_size, --batch-size); without
--batch-size, as many vectors as fit in about 8 MB of embeddings (5461, the
single-node maximum, for up to ~280 dims; ~1000 at 1536 dims). Fewer, bigger
batches beat more, smaller ones sent in parallel on a single node. Measured here:
bigger batches load faster on a single node (fewer write transactions); see
docs/checks.md. Sent by `workers` threads, each with its own connection;
embeddings travel as base64 float32 when the server supports it.

Checkpoint: a JSON file (default `<file>.<collection>-<endpoint hash>.chromactl-checkpoint.json`,
mode 0600) records which batches are done, for this file (path, size, mtime), this endpoint, this
collection (by id) and batch size: loading one file into two collections or endpoints keeps two. A rerun skips recorded batches. It is
written at most every 0.5 s and always on exit, failure and Ctrl-C; a batch
that was sent but not yet recorded (a hard kill) is sent again on resume, which
cannot duplicate anything: Chroma's `add` leaves an existing id untouched.

Size: the two readers (.npy, JSONL), the resumable checkpoint and the parallel batch loop with its
report are one resumable pipeline whose parts share the batch and checkpoint types; a split is a
candidate (readers -> their own module) once the checkpoint format settles.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chromactl.checks.client import ChromaError, ChromaNotFound, ChromaUnavailable
from chromactl.checks.target import Target
from chromactl.errors import EXIT_FAILED, OperationFailed, UsageError

DEFAULT_WORKERS = 2
TARGET_REQUEST_BYTES = 8 * 1024 * 1024  # keep one add request around 8 MB of embeddings
CHECKPOINT_VERSION = 1
SAVE_EVERY_S = 0.5
_KEYS = {"id", "embedding", "metadata", "document"}


# ---------------------------------------------------------------------------
# Sources
# ---------------------------------------------------------------------------
@dataclass
class Source:
    path: Path
    kind: str
    rows: int
    dims: int
    embeddings: Any = field(repr=False)  # numpy array (or memmap) rows x dims
    ids: list[str] | None = field(default=None, repr=False)  # None: generated from id_prefix
    id_prefix: str = ""
    metadatas: list[dict[str, Any] | None] | None = field(default=None, repr=False)
    documents: list[str | None] | None = field(default=None, repr=False)
    lines: list[int] | None = field(default=None, repr=False)  # JSONL: line number of each row

    def batch(self, lo: int, hi: int) -> tuple[list[str], Any, list[Any] | None, list[Any] | None]:
        ids = self.ids[lo:hi] if self.ids is not None else [f"{self.id_prefix}{i}" for i in range(lo, hi)]
        metas = self.metadatas[lo:hi] if self.metadatas is not None else None
        docs = self.documents[lo:hi] if self.documents is not None else None
        return ids, self.embeddings[lo:hi], metas, docs

    def where(self, lo: int, hi: int) -> str:
        if self.lines is not None:
            return f"lines {self.lines[lo]}-{self.lines[hi - 1]}"
        return f"rows {lo}-{hi - 1}"

    def identity(self) -> dict[str, Any]:
        st = self.path.stat()
        return {"path": str(self.path), "size": st.st_size, "mtime_ns": st.st_mtime_ns, "rows": self.rows, "dims": self.dims}


def read_source(path: str | Path, *, id_prefix: str | None = None, expected_dims: int | None = None) -> Source:
    """Open and fully validate an input file; raises UsageError naming the problem (and line)."""
    p = Path(path).expanduser()
    if p.is_dir():
        raise UsageError(f"Input file {p} is a directory.", "Pass --file with a .npy or .jsonl file, not a directory.")
    if not p.is_file():
        raise UsageError(f"Input file {p} does not exist.", "Pass --file with a .npy or .jsonl file.")
    suffix = p.suffix.lower()
    if suffix == ".npy":
        src = _read_npy(p, id_prefix if id_prefix is not None else f"{p.stem}-")
    elif suffix in (".jsonl", ".ndjson"):
        src = _read_jsonl(p)
    else:
        raise UsageError(f"{p.name}: unknown input format {suffix or '(no extension)'}.", "Use a .npy array or a .jsonl file.")
    if src.rows == 0:
        raise UsageError(f"{p} holds no vectors.", "Check the file.")
    if expected_dims is not None and src.dims != expected_dims:
        raise UsageError(
            f"{p.name} has {src.dims}-dimension vectors but the collection holds {expected_dims}-dimension ones.",
            "Load into another collection, or fix the file.",
        )
    return src


def _read_npy(p: Path, prefix: str) -> Source:
    import numpy as np

    try:
        arr = np.load(p, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError):
        # numpy's own message may advise allow_pickle=True (an object array): loading a pickle runs code, so
        # it is never passed on; a vector file is a plain numeric array
        raise UsageError(f"{p} is not a plain numeric .npy array (a 2-D array of numbers, vectors x dims).",
                         "Save it with numpy.save(path, vectors.astype('float32')); object arrays are refused.") from None
    if arr.ndim != 2:
        raise UsageError(f"{p.name}: expected a 2-D array (vectors x dims), got {arr.ndim}-D {arr.shape}.", "Reshape to (n, dims).")
    if arr.dtype.kind not in "fiu":
        raise UsageError(f"{p.name}: expected numbers, got dtype {arr.dtype}.", "Save float32 vectors.")
    if arr.shape[1] < 1:
        raise UsageError(f"{p.name}: vectors have 0 dimensions.", "Check the array's shape.")
    step = max(1, 1_000_000 // max(1, arr.shape[1]))
    for lo in range(0, arr.shape[0], step):
        # float32, what the server receives: a float64 1e300 is finite here and infinite there
        with np.errstate(over="ignore", invalid="ignore"):
            chunk = np.asarray(arr[lo : lo + step], dtype="float32")
        if not np.isfinite(chunk).all():
            bad = lo + int(np.argwhere(~np.isfinite(chunk))[0][0])
            raise UsageError(
                f"{p.name}: row {bad} holds NaN, infinity or a value beyond float32 (about ±3.4e38).",
                "Chroma stores finite float32 numbers only; fix or drop that row. Nothing was loaded.",
            )
    return Source(path=p.resolve(), kind="npy", rows=int(arr.shape[0]), dims=int(arr.shape[1]), embeddings=arr, id_prefix=prefix)


def _bad(p: Path, lineno: int, what: str) -> UsageError:
    return UsageError(f"{p.name}:{lineno}: {what}.", "Fix that line (each line: {\"id\", \"embedding\", \"metadata\"?, \"document\"?}) and run again; nothing was loaded.")


F32_MAX = 3.4028234663852886e38


def _fits_float32(v: float) -> bool:
    """Finite once sent as float32 (values within half an ulp above the maximum round down to it)."""
    try:
        f = float(v)
    except OverflowError:  # an integer beyond float64
        return False
    return math.isfinite(f) and abs(f) <= F32_MAX * (1 + 2**-25)


def _read_jsonl(p: Path) -> Source:
    import numpy as np

    try:
        import orjson

        loads: Callable[[bytes], Any] = orjson.loads
    except ImportError:  # pragma: no cover
        loads = json.loads
    ids: list[str] = []
    seen: dict[str, int] = {}
    vecs: list[list[float]] = []
    metas: list[dict[str, Any] | None] = []
    docs: list[str | None] = []
    lines: list[int] = []
    dims: int | None = None
    try:
        fh = open(p, "rb")  # noqa: SIM115 - closed by the with below
    except OSError as exc:
        raise UsageError(f"Cannot read {p}: {exc.strerror}.", "Check the path and permissions.") from None
    with fh:
        for lineno, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                obj = loads(raw)
            except ValueError as exc:
                raise _bad(p, lineno, f"not valid JSON ({str(exc).splitlines()[0][:80]})") from None
            if not isinstance(obj, dict):
                raise _bad(p, lineno, "expected a JSON object")
            unknown = set(obj) - _KEYS
            if unknown:
                raise _bad(p, lineno, f"unknown key {min(unknown)!r}")
            rid = obj.get("id")
            if not isinstance(rid, str) or not rid:
                raise _bad(p, lineno, "\"id\" must be a non-empty string")
            if rid in seen:
                raise _bad(p, lineno, f"id {rid!r} already used on line {seen[rid]}")
            emb = obj.get("embedding")
            if not isinstance(emb, list) or not emb:
                raise _bad(p, lineno, "\"embedding\" must be a non-empty list of numbers")
            if dims is None:
                dims = len(emb)
            if len(emb) != dims:
                raise _bad(p, lineno, f"embedding has {len(emb)} dimensions, earlier lines have {dims}")
            for v in emb:
                if isinstance(v, bool) or not isinstance(v, (int, float)) or not _fits_float32(v):
                    shown = repr(v) if len(repr(v)) <= 40 else repr(v)[:37] + "..."
                    raise _bad(p, lineno, f"embedding holds {shown}, not a finite float32 number (at most about ±3.4e38)")
            meta = obj.get("metadata")
            if meta is not None:
                if not isinstance(meta, dict):
                    raise _bad(p, lineno, "\"metadata\" must be an object")
                for k, v in meta.items():
                    if v is not None and not isinstance(v, (str, int, float, bool)):
                        raise _bad(p, lineno, f"metadata {k!r} must be a string, number or boolean")
                meta = meta or None
            doc = obj.get("document")
            if doc is not None and not isinstance(doc, str):
                raise _bad(p, lineno, "\"document\" must be a string")
            seen[rid] = lineno
            ids.append(rid)
            vecs.append(emb)
            metas.append(meta)
            docs.append(doc)
            lines.append(lineno)
    with np.errstate(over="ignore"):
        arr = np.asarray(vecs, dtype="float32") if vecs else np.zeros((0, 0), dtype="float32")
    if arr.size and not np.isfinite(arr).all():  # belt and braces: what the server would receive
        bad = int(np.argwhere(~np.isfinite(arr))[0][0])
        raise _bad(p, lines[bad], "embedding holds a value beyond float32")
    return Source(
        path=p.resolve(), kind="jsonl", rows=len(ids), dims=dims or 0, embeddings=arr, ids=ids,
        metadatas=metas if any(m is not None for m in metas) else None,
        documents=docs if any(d is not None for d in docs) else None, lines=lines,
    )


# ---------------------------------------------------------------------------
# Checkpoint
# ---------------------------------------------------------------------------
def default_checkpoint(path: str | Path, collection: str, endpoint: str) -> Path:
    """One checkpoint per (file, collection, endpoint): the same file loaded elsewhere never collides."""
    import hashlib

    p = Path(path).expanduser()
    key = hashlib.sha256(f"{endpoint}\n{collection}".encode()).hexdigest()[:10]
    label = collection if len(collection) <= 64 else collection[:64]
    return p.with_name(f"{p.name}.{label}-{key}.chromactl-checkpoint.json")


def _ranges(done: set[int]) -> list[list[int]]:
    out: list[list[int]] = []
    for i in sorted(done):
        if out and out[-1][1] == i - 1:
            out[-1][1] = i
        else:
            out.append([i, i])
    return out


def _unranges(ranges: Any) -> set[int]:
    done: set[int] = set()
    for pair in ranges or []:
        a, b = int(pair[0]), int(pair[1])
        done.update(range(a, b + 1))
    return done


class Checkpoint:
    def __init__(self, path: Path, header: dict[str, Any], done: set[int] | None = None):
        self.path = path
        self.header = header
        self.done: set[int] = done or set()
        self._saved_at = 0.0

    @classmethod
    def open(cls, path: Path, header: dict[str, Any]) -> Checkpoint:
        if not path.exists():
            return cls(path, header)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("version") != CHECKPOINT_VERSION:
                raise ValueError("version")
            done = _unranges(data.get("done"))
        except (OSError, ValueError, TypeError, IndexError, AttributeError):
            raise UsageError(f"Checkpoint {path} is unreadable.", "Delete it to start over (records already loaded are kept: add never duplicates).") from None
        for key in ("source", "endpoint", "collection", "collection_id", "batch_size", "mode"):
            if data.get(key, "add" if key == "mode" else None) != header.get(key):
                if data.get("complete") is True:
                    return cls(path, header)  # a finished load of something else: nothing to resume, start over  # checked before the collection is created: a refusal creates nothing
                what = {"source": "another input file (or the file changed)", "endpoint": "another endpoint",
                        "collection": "another collection", "collection_id": "an earlier collection of the same name (it was deleted or recreated)",
                        "batch_size": f"batch size {data.get('batch_size')}",
                        "mode": f"--mode {data.get('mode', 'add')} (batches it recorded were not loaded the way --mode {header.get('mode')} would)"}[key]
                raise UsageError(
                    f"Checkpoint {path} was written for {what}.",
                    "Pass --checkpoint with another file, or delete this one to start over (add never duplicates an id).",
                )
        return cls(path, header, done)

    def save(self, *, force: bool = False, complete: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._saved_at < SAVE_EVERY_S:
            return
        data = {"version": CHECKPOINT_VERSION, **self.header, "done": _ranges(self.done), "complete": complete,
                "updated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        tmp = self.path.with_name(self.path.name + ".tmp")
        # 0600 from the first byte: the checkpoint names the endpoint and the collection (never a secret:
        # Target.url carries no user info), and it is nobody else's business on a shared machine.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            os.fchmod(fh.fileno(), 0o600)  # an existing tmp keeps its old mode otherwise
            fh.write(json.dumps(data) + "\n")
        os.replace(tmp, self.path)
        self._saved_at = now


# ---------------------------------------------------------------------------
# The load
# ---------------------------------------------------------------------------
MODES = ("add", "upsert")


@dataclass
class BatchResult:
    rows: int
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    kept: int = 0  # add mode: the id exists with other values, and add keeps the stored record


@dataclass
class LoadReport:
    file: str
    collection: str
    rows: int
    dims: int
    batch_size: int
    batches: int
    skipped_batches: int
    sent_batches: int
    sent_vectors: int
    seconds: float
    workers: int
    checkpoint: str
    complete: bool
    collection_count: int | None = None
    mode: str = "add"
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    kept: int = 0

    @property
    def vectors_per_s(self) -> float:
        return self.sent_vectors / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file, "collection": self.collection, "rows": self.rows, "dims": self.dims,
            "batch_size": self.batch_size, "batches": self.batches, "skipped_batches": self.skipped_batches,
            "sent_batches": self.sent_batches, "sent_vectors": self.sent_vectors, "seconds": round(self.seconds, 3),
            "vectors_per_s": round(self.vectors_per_s, 1), "workers": self.workers, "checkpoint": self.checkpoint,
            "complete": self.complete, "collection_count": self.collection_count, "mode": self.mode,
            "inserted": self.inserted, "updated": self.updated, "unchanged": self.unchanged,
            "kept_existing": self.kept,
        }


def describe_counts(report: LoadReport) -> str:
    """`inserted 90, updated 10, unchanged 0`: what the load changed, not what it sent."""
    parts = [f"inserted {report.inserted}"]
    if report.mode == "upsert":
        parts.append(f"updated {report.updated}")
    parts.append(f"unchanged {report.unchanged}")
    if report.mode == "add":
        parts.append(f"kept (differ, not overwritten) {report.kept}")
    return ", ".join(parts)


# HNSW build options a new collection gets from `load` (and `--hnsw KEY=VALUE`): chromadb 1.5.9's
# CreateHNSWConfiguration (chromadb/api/collection_configuration.py). They apply only when the collection
# is created; Chroma keeps them for its life.
HNSW_OPTIONS: dict[str, type] = {"ef_construction": int, "max_neighbors": int, "ef_search": int, "num_threads": int,
                                 "batch_size": int, "sync_threshold": int, "resize_factor": float}
# Chroma's own limits (rust/types/src/hnsw_configuration.rs, chroma-core/chroma: `#[validate(range(min = 2))]` on
# batch_size and sync_threshold; chromadb 1.5.9's chromadb/api/configuration.py, HNSWConfigurationInternal:
# every other option >= 1, and batch_size <= sync_threshold) and its default sync_threshold (1000, the same files).
HNSW_MINIMUM: dict[str, float] = {"batch_size": 2, "sync_threshold": 2, "resize_factor": 1.0}
# Chroma's defaults (the same Rust file, default_construction_ef() etc.; chromadb's populate_create_hnsw_defaults)
CHROMA_HNSW_DEFAULTS: dict[str, Any] = {"ef_construction": 100, "max_neighbors": 16, "ef_search": 100, "batch_size": 100,
                                        "sync_threshold": 1000, "resize_factor": 1.2}
HNSW_CHROMA_SYNC_THRESHOLD = CHROMA_HNSW_DEFAULTS["sync_threshold"]
# chromactl's defaults for a collection `load` creates, chosen from the measurement (docs/checks.md, "The numbers"
# item 4; docs/bench/hnsw-2026-12-02.txt): ef_construction 64 loaded 1.50x faster than Chroma's 100 (median of 3
# rotating rounds at 50,000 x 384; 2.41x in an earlier 2-round run) with recall@10 0.557 against 0.572 and planted
# neighbours 70/100 against 72/100, inside the bound (recall@10 within 0.05 of Chroma's). batch_size 5000 +
# sync_threshold 50000 was 1.67x in one run and 0.69x in the next, so it is not a default. `--hnsw` overrides a key.
DEFAULT_HNSW: dict[str, Any] = {"ef_construction": 64}


def hnsw_for_new_collection(hnsw: dict[str, Any] | None) -> dict[str, Any]:
    """chromactl's defaults with the user's `--hnsw` keys on top (keys neither sets take Chroma's defaults)."""
    return {**DEFAULT_HNSW, **(hnsw or {})}


def parse_hnsw(pairs: list[str] | None) -> dict[str, Any] | None:
    """`--hnsw ef_construction=64 --hnsw sync_threshold=5000` -> {"ef_construction": 64, ...}; None when none given."""
    if not pairs:
        return None
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or key not in HNSW_OPTIONS:
            raise UsageError(f"--hnsw {pair!r}: expected KEY=VALUE with KEY one of {', '.join(HNSW_OPTIONS)}.",
                             "e.g. --hnsw ef_construction=64 --hnsw sync_threshold=5000.")
        try:
            value = HNSW_OPTIONS[key](raw.strip())
        except ValueError:
            raise UsageError(f"--hnsw {pair!r}: {key} takes a {HNSW_OPTIONS[key].__name__}.", "e.g. --hnsw ef_construction=64.") from None
        if value < HNSW_MINIMUM.get(key, 1):
            raise UsageError(f"--hnsw {pair!r}: {key} must be at least {HNSW_MINIMUM.get(key, 1)}.", "e.g. --hnsw ef_construction=64.")
        out[key] = value
    if out.get("batch_size", 0) > out.get("sync_threshold", HNSW_CHROMA_SYNC_THRESHOLD):
        raise UsageError(f"--hnsw: batch_size {out['batch_size']} is over sync_threshold {out.get('sync_threshold', HNSW_CHROMA_SYNC_THRESHOLD)}"
                         f"{'' if 'sync_threshold' in out else ' (Chroma default)'}; Chroma requires batch_size <= sync_threshold.",
                         "Raise --hnsw sync_threshold too, e.g. --hnsw batch_size=5000 --hnsw sync_threshold=50000.")
    return out


def auto_batch_size(dims: int) -> int:
    """Vectors per request when the user sets none: about TARGET_REQUEST_BYTES of base64 float32."""
    per_vector = max(1, dims) * 4 * 4 // 3 + 64  # base64 of float32, plus id and JSON framing
    return max(1, TARGET_REQUEST_BYTES // per_vector)


def _retryable(exc: ChromaError) -> bool:
    return isinstance(exc, ChromaUnavailable) or (exc.status is not None and exc.status >= 500)


def _same_record(stored: tuple[Any, Any, Any], ours: tuple[Any, Any, Any]) -> bool:
    import numpy as np

    s_emb, s_meta, s_doc = stored
    o_emb, o_meta, o_doc = ours
    if s_emb is None or not np.array_equal(np.asarray(s_emb, dtype="float32"), np.asarray(o_emb, dtype="float32")):
        return False
    return (s_meta or None) == (o_meta or None) and s_doc == o_doc


def classify(client: Any, collection_id: str, ids: list[str], emb: Any, metas: list[Any] | None,
             docs: list[Any] | None) -> tuple[list[int], list[int], list[int]]:
    """Rows of a batch that are new, stored with the same values, and stored with other values."""
    found = client.get(collection_id, ids=ids, include=())
    existing = set(found.get("ids") or [])
    if not existing:
        return list(range(len(ids))), [], []
    stored_ids = [i for i in ids if i in existing]
    got = client.get(collection_id, ids=stored_ids, include=("embeddings", "metadatas", "documents"))
    g_ids = got.get("ids") or []
    g_emb = got.get("embeddings") or [None] * len(g_ids)
    g_meta = got.get("metadatas") or [None] * len(g_ids)
    g_doc = got.get("documents") or [None] * len(g_ids)
    stored = {rid: (g_emb[k], g_meta[k], g_doc[k]) for k, rid in enumerate(g_ids)}
    new: list[int] = []
    same: list[int] = []
    diff: list[int] = []
    for k, rid in enumerate(ids):
        if rid not in stored:
            new.append(k)
            continue
        ours = (emb[k], metas[k] if metas is not None else None, docs[k] if docs is not None else None)
        (same if _same_record(stored[rid], ours) else diff).append(k)
    return new, same, diff


def run_load(
    target: Target,
    collection: str,
    path: str | Path,
    *,
    workers: int = DEFAULT_WORKERS,
    batch_size: int | None = None,
    checkpoint: str | Path | None = None,
    id_prefix: str | None = None,
    create: bool = True,
    space: str = "l2",
    hnsw: dict[str, Any] | None = None,
    retries: int = 2,
    mode: str = "add",
    on_progress: Callable[[int, int], None] | None = None,
    on_info: Callable[[str], None] | None = None,
) -> LoadReport:
    """Load `path` into `collection`; resumable through the checkpoint. Raises OperationFailed on a failed batch.

    Order: validate the whole file; look the collection up (never create it yet); open the checkpoint
    (a refusal leaves nothing behind); only then create the collection."""
    if workers < 1 or (batch_size is not None and batch_size < 1):
        raise UsageError("--workers and --batch-size must be at least 1.", "e.g. --workers 4 --batch-size 1000.")
    if mode not in MODES:
        raise UsageError(f"Unknown --mode {mode!r}.", "Use --mode add (keep existing ids) or --mode upsert (overwrite them).")
    src = read_source(path, id_prefix=id_prefix)
    ckpt_path = Path(checkpoint).expanduser() if checkpoint else default_checkpoint(src.path, collection, target.url)
    with target.client() as client:
        col: dict[str, Any] | None
        try:
            col = client.get_collection(collection)
        except ChromaNotFound:
            if not create:
                raise OperationFailed(f"Collection {collection!r} does not exist on {target.url}.", "Drop --no-create to create it.") from None
            col = None
        dim = col.get("dimension") if col else None
        if isinstance(dim, int) and dim != src.dims:
            raise UsageError(
                f"{src.path.name} has {src.dims}-dimension vectors but collection {collection!r} holds {dim}-dimension ones.",
                "Load into another collection, or fix the file.",
            )
        # Without --batch-size: ~8 MB per request up to the server's maximum. Fewer, bigger batches load
        # faster on a single node than more, smaller ones in parallel (single-node Chroma applies writes one at a time).
        size = max(1, min(batch_size or auto_batch_size(src.dims), client.max_batch_size()))
        client.preflight()
        base64_ok = client.supports_base64()
        header = {"source": src.identity(), "endpoint": target.url, "collection": collection,
                  "collection_id": col["id"] if col else None, "batch_size": size, "mode": mode}
        ckpt = Checkpoint.open(ckpt_path, header)  # refuses before anything is created
        if col is None:
            col = client.create_collection(collection, metadata={"chromactl": "load"}, space=space, get_or_create=True,
                                           hnsw=hnsw_for_new_collection(hnsw))
            header["collection_id"] = col["id"]
            if on_info:
                on_info(f"created collection {collection}")
    n_batches = math.ceil(src.rows / size)
    col_id = str(col["id"])
    todo = [b for b in range(n_batches) if b not in ckpt.done]
    skipped = n_batches - len(todo)
    if skipped and on_info:
        on_info(f"resuming from {ckpt_path}: {skipped} of {n_batches} batches already loaded")

    # one client (httpx pools a connection per worker; it is thread-safe), made before the clock starts
    shared = target.client(pool_size=workers)
    shared._preflight = {"max_batch_size": size, "supports_base64_encoding": base64_ok}
    clients: list[Any] = [shared]
    stop = threading.Event()

    def send(b: int) -> BatchResult | None:
        if stop.is_set():
            return None
        c = shared
        lo, hi = b * size, min(src.rows, (b + 1) * size)
        ids, emb, metas, docs = src.batch(lo, hi)
        for attempt in range(retries + 1):
            try:
                new, same, diff = classify(c, col_id, ids, emb, metas, docs)
                rows = new + diff if mode == "upsert" else new
                if rows:
                    pick = rows if len(rows) < len(ids) else None
                    c.add(
                        col_id,
                        [ids[k] for k in pick] if pick else ids,
                        emb[pick] if pick else emb,
                        [metas[k] for k in pick] if pick and metas is not None else metas,
                        [docs[k] for k in pick] if pick and docs is not None else docs,
                        upsert=mode == "upsert",
                    )
                if mode == "upsert":
                    return BatchResult(hi - lo, inserted=len(new), updated=len(diff), unchanged=len(same))
                return BatchResult(hi - lo, inserted=len(new), unchanged=len(same), kept=len(diff))
            except ChromaError as exc:
                if attempt >= retries or not _retryable(exc) or stop.is_set():
                    raise ChromaError(f"batch {b} ({src.where(lo, hi)}): {exc.message}", exc.hint, status=exc.status) from None
                time.sleep(0.5 * (attempt + 1))
        return None  # pragma: no cover

    done_rows = sum(min(src.rows, (b + 1) * size) - b * size for b in ckpt.done if b < n_batches)
    if on_progress:
        on_progress(done_rows, src.rows)
    sent_batches = sent_vectors = 0
    totals = BatchResult(0)
    failure: ChromaError | None = None
    interrupted = False

    def record(b: int, res: BatchResult) -> None:
        nonlocal sent_batches, sent_vectors, done_rows
        ckpt.done.add(b)
        sent_batches += 1
        sent_vectors += res.inserted + res.updated
        done_rows += res.rows
        totals.rows += res.rows
        totals.inserted += res.inserted
        totals.updated += res.updated
        totals.unchanged += res.unchanged
        totals.kept += res.kept

    start = time.perf_counter()
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="load")
    pending: dict[Future[BatchResult | None], int] = {}
    queue_iter = iter(todo)
    try:
        try:
            while True:
                while not stop.is_set() and len(pending) < workers * 2:
                    b = next(queue_iter, None)
                    if b is None:
                        break
                    pending[pool.submit(send, b)] = b
                if not pending:
                    break
                finished, _ = wait(list(pending), return_when=FIRST_COMPLETED, timeout=1.0)
                for fut in finished:
                    b = pending.pop(fut)
                    try:
                        res = fut.result()
                    except ChromaError as exc:
                        failure = failure or exc
                        stop.set()
                        continue
                    if res is None:
                        continue
                    record(b, res)
                    ckpt.save()
                    if on_progress:
                        on_progress(done_rows, src.rows)
        except KeyboardInterrupt:
            interrupted = True
            stop.set()
            for fut in pending:
                fut.cancel()
            # batches on the wire finish (bounded by the client's total deadline and retries) and are recorded
            deadline = time.monotonic() + target.timeout_s * (retries + 1) + 5
            for fut, b in list(pending.items()):
                try:
                    res = fut.result(timeout=max(0.1, deadline - time.monotonic()))
                except Exception:  # noqa: BLE001, S112 - unrecorded: it is resent on resume, add never duplicates
                    continue
                if res is not None:
                    record(b, res)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        complete = len(ckpt.done) >= n_batches
        ckpt.save(force=True, complete=complete)
        for c in clients:
            c.close()
    seconds = time.perf_counter() - start
    if interrupted:
        raise OperationFailed(
            f"Interrupted: {len(ckpt.done)} of {n_batches} batches are loaded and recorded in {ckpt_path}.",
            "Run the same command again to resume; no vector is loaded twice.",
            exit_code=130,
        )
    if failure is not None:
        raise OperationFailed(
            f"Load stopped: {failure.message}",
            f"{len(ckpt.done)} of {n_batches} batches are loaded and recorded in {ckpt_path}; fix the cause and run the same command to resume.",
            exit_code=EXIT_FAILED,
        )
    count = None
    try:
        with target.client() as client:
            count = client.count(col_id)
    except ChromaError:
        count = None
    return LoadReport(
        file=str(src.path), collection=collection, rows=src.rows, dims=src.dims, batch_size=size, batches=n_batches,
        skipped_batches=skipped, sent_batches=sent_batches, sent_vectors=sent_vectors, seconds=seconds, workers=workers,
        checkpoint=str(ckpt_path), complete=complete, collection_count=count, mode=mode,
        inserted=totals.inserted, updated=totals.updated, unchanged=totals.unchanged, kept=totals.kept,
    )
