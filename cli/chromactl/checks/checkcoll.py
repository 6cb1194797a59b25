"""The check collections: where smoke and latency write, without growing the data directory.

Chroma 1.x keeps a deleted collection's segment directory on disk (upstream issues; DESIGN.md), so a
temporary collection per run leaves an orphaned index directory per run. Measured here (Chroma
1.5.9, 500 vectors of 64 dims per run, 20 runs, bytes of the data directory after runs 1/5/10/20):

  a new collection per run, deleted after     482 KB / 643 KB / 843 KB / 1244 KB, +1 directory per run
  one collection, delete all ids, add new     721 KB / 1.5 MB / 2.6 MB / 4.6 MB (deletes grow it faster)
  one collection, upsert the same ids          482 KB / 849 KB / 849 KB / 849 KB (flat after the 5th run)

So each kind of check (smoke, latency) keeps one long-lived collection per dimension count,
`chromactl-check-<kind>-d<dims>`, and every run upserts the same ids into it (and deletes ids beyond
its count when an earlier run used more). Net growth per run: zero.

Two runs at once would overwrite each other's vectors, so a run takes a lease first: the collection's
metadata holds `lease_run` and `lease_until` (set with the collection-update call, PUT
.../collections/{id} `new_metadata`, as chromadb/api/fastapi.py `_modify` sends it). A busy slot sends
the run to the next of SLOTS collections (`...-d64-2`, `-3`); a lease a killed run never released
expires after LEASE_S. With every slot busy the run falls back to a temporary collection (the old
behaviour, deleted afterwards) and says so.

Stale temporary collections (`chromactl-smoke-<UTC time>-<hex>`, `chromactl-bench-...`: older
chromactl, killed runs, fallbacks) older than LEASE_S are removed at the start of each check.
`is_check_collection` tells the data manifest which collections are chromactl's own.

Re-upserting identical records into an HNSW index is far slower than the first insert (5000 x 128
dims on a busy host: 3 s the first run, 25-36 s after, then `no answer within 10 s`), so a kind whose
content is deterministic records what it wrote: `content` in the metadata, a fingerprint of what the
collection holds. The lease keeps it (`carry_content`), the writer clears it before writing
(`mark_content(..., "")`, so a run killed mid-write leaves no claim) and sets it after.
"""

from __future__ import annotations

import contextlib
import secrets
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chromactl.checks.client import ChromaError, ChromaNotFound
from chromactl.checks.snapshot import listed

# The check collections' vectors are overwritten in place every run, and HNSW graphs lose recall under
# repeated in-place updates: with Chroma's defaults a planted neighbour was missed in 1 of 30 refills
# (a failed smoke); with a denser graph and a wider search, 0 of 60 (measured here, 500 x 64 dims).
CHECK_HNSW = {"ef_search": 400, "ef_construction": 200, "max_neighbors": 32}
CHECK_PREFIX = "chromactl-check-"
TEMP_PREFIXES = ("chromactl-smoke-", "chromactl-bench-")
SLOTS = 3
LEASE_S = 3600.0
LIST_MAX = 10_000


def is_check_collection(name: str) -> bool:
    """A collection chromactl's checks own (never user data; never in the data manifest)."""
    return name.startswith(CHECK_PREFIX) or name.startswith(TEMP_PREFIXES)


def check_collection_name(kind: str, dims: int, slot: int = 0) -> str:
    base = f"{CHECK_PREFIX}{kind}-d{dims}"
    return base if slot == 0 else f"{base}-{slot + 1}"


def temp_collection_name(prefix: str) -> str:
    return f"{prefix}{time.strftime('%Y%m%d%H%M%S', time.gmtime())}-{secrets.token_hex(4)}"


def new_run_id() -> str:
    return secrets.token_hex(6)


@dataclass
class Lease:
    name: str
    collection_id: str
    run_id: str
    temporary: bool  # True: a fallback collection, deleted afterwards
    metadata: dict[str, Any]

    def describe(self) -> str:
        return f"temporary collection {self.name}" if self.temporary else f"check collection {self.name}"


CONTENT_KEY = "content"


def _meta(kind: str, run_id: str, until: float, content: str = "") -> dict[str, Any]:
    meta: dict[str, Any] = {"chromactl": "check", "kind": kind, "lease_run": run_id, "lease_until": int(until)}
    if content:
        meta[CONTENT_KEY] = content
    return meta


def carry_content(meta: dict[str, Any]) -> str:
    """The content fingerprint a collection's metadata claims ("" when none)."""
    value = meta.get(CONTENT_KEY)
    return value if isinstance(value, str) else ""


def mark_content(client: Any, lease: Lease, content: str) -> None:
    """Record (or with "" clear) what the leased collection holds; the lease's own fields are kept."""
    if lease.temporary:
        return
    meta = {k: v for k, v in lease.metadata.items() if k != CONTENT_KEY}
    if content:
        meta[CONTENT_KEY] = content
    client.modify_collection(lease.collection_id, meta)
    lease.metadata = meta


def acquire(client: Any, kind: str, dims: int, *, temp_prefix: str, run_id: str | None = None,
            now: Callable[[], float] = time.time) -> Lease:
    """Lease a check collection for one run (creating it the first time), or a temporary one when all are busy.

    A Ctrl-C or SIGTERM while leasing is held until the lease is known, then the lease is released and
    the interrupt raised: the caller has no lease to clean up yet, so an interrupt that landed between
    the server taking the lease and this returning it left the collection leased for LEASE_S (seen on
    a loaded host: the next smoke fell back to a temporary collection)."""
    leased: list[Lease] = []
    try:
        with signals_deferred():
            leased.append(_acquire(client, kind, dims, temp_prefix=temp_prefix, run_id=run_id, now=now))
    except KeyboardInterrupt:
        if leased:
            release(client, leased[0])
        raise
    return leased[0]


def _acquire(client: Any, kind: str, dims: int, *, temp_prefix: str, run_id: str | None,
             now: Callable[[], float]) -> Lease:
    run = run_id or new_run_id()
    for slot in range(SLOTS):
        name = check_collection_name(kind, dims, slot)
        try:
            col = client.get_collection(name)
        except ChromaNotFound:
            col = client.create_collection(name, metadata=_meta(kind, "", 0), get_or_create=True, hnsw=CHECK_HNSW)
        meta = dict(col.get("metadata") or {})
        until = meta.get("lease_until")
        if isinstance(until, (int, float)) and until > now() and meta.get("lease_run") != run:
            continue  # another run holds it
        mine = _meta(kind, run, now() + LEASE_S, carry_content(meta))  # the metadata is replaced whole
        client.modify_collection(col["id"], mine)
        check = dict(client.get_collection(name).get("metadata") or {})
        if check.get("lease_run") == run:
            return Lease(name, str(col["id"]), run, False, mine)
    name = temp_collection_name(temp_prefix)
    meta = {"chromactl": kind, "temporary": True}
    col = client.create_collection(name, metadata=meta)
    return Lease(name, str(col["id"]), run, True, meta)


def release(client: Any, lease: Lease) -> bool:
    """End the lease (a temporary collection is deleted). True when nothing of this run is left holding anything."""
    try:
        if lease.temporary:
            try:
                client.delete_collection(lease.name)
            except ChromaNotFound:
                pass
            return True
        meta = dict(lease.metadata)
        meta["lease_until"] = 0
        client.modify_collection(lease.collection_id, meta)
        return True
    except ChromaNotFound:
        return True
    except ChromaError:
        return False


def trim(client: Any, lease: Lease, id_for: Callable[[int], str], keep: int, batch: int) -> int:
    """Delete what an earlier, bigger run (or anyone else) left beyond this run's `keep` records; returns the count."""
    cid = lease.collection_id
    count = int(client.count(cid))
    if count > keep:  # the usual case: the same id scheme, more of them
        for lo in range(keep, count, batch):
            client.delete_records(cid, ids=[id_for(i) for i in range(lo, min(count, lo + batch))])
        count = int(client.count(cid))
    if count > keep:  # ids of another scheme: find them (bounded by the count) and delete them
        ours = {id_for(i) for i in range(keep)}
        foreign: list[str] = []
        offset = 0
        while offset < count:
            ids = list(client.get(cid, limit=batch, offset=offset, include=()).get("ids") or [])
            if not ids:
                break
            foreign += [i for i in ids if i not in ours]
            offset += len(ids)
        for lo in range(0, len(foreign), batch):
            client.delete_records(cid, ids=foreign[lo : lo + batch])
        count = int(client.count(cid))
    return count


def _stamp(name: str) -> datetime | None:
    for prefix in TEMP_PREFIXES:
        if name.startswith(prefix):
            try:
                return datetime.strptime(name[len(prefix) : len(prefix) + 14], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
            except ValueError:
                return None
    return None


def remove_stale(client: Any, *, max_age_s: float = LEASE_S, now: datetime | None = None) -> list[str]:
    """Delete temporary check collections older than a run can last; returns their names."""
    current = now or datetime.now(UTC)
    names = [str(c.get("name")) for c in listed(client, limit=LIST_MAX)]  # all listed before any is deleted
    removed = []
    for name in names:
        stamp = _stamp(name)
        if stamp is not None and (current - stamp).total_seconds() > max_age_s:
            try:
                client.delete_collection(name)
                removed.append(name)
            except ChromaNotFound:
                continue
            except ChromaError:
                continue
    return removed


@contextlib.contextmanager
def signals_deferred() -> Iterator[list[int]]:
    """Run a cleanup that a second Ctrl-C (or SIGTERM) must not cut short: signals that arrive are
    recorded and re-raised as KeyboardInterrupt once it is done (main thread only; elsewhere a no-op)."""
    got: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield got
        return

    def note(signum: int, frame: Any) -> None:
        got.append(signum)

    previous = {s: signal.signal(s, note) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield got
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    if got:
        if _ACTIVE:  # inside interrupt_once: these count as its signals, so a later one is only recorded
            _ACTIVE[-1].extend(got)
        raise KeyboardInterrupt


@contextlib.contextmanager
def interrupt_once() -> Iterator[list[int]]:
    """Ctrl-C and SIGTERM raise KeyboardInterrupt once; any later one inside is only recorded, so the
    cleanup that the first started (releasing a check collection) cannot be cut short by a second
    (a second Ctrl-C during `latency --seed-vectors` leaked the collection 4 times in 4). Main thread only."""
    if threading.current_thread() is not threading.main_thread() or _ACTIVE:
        yield _ACTIVE[-1] if _ACTIVE else []  # nested: the outermost one's handler stays in charge
        return
    got: list[int] = []

    def handler(signum: int, frame: Any) -> None:
        got.append(signum)
        if len(got) == 1:
            raise KeyboardInterrupt

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    _ACTIVE.append(got)
    try:
        yield got
    finally:
        _ACTIVE.pop()
        for s, h in previous.items():
            signal.signal(s, h)


_ACTIVE: list[list[int]] = []  # the signals seen by the active interrupt_once (main thread only)

