"""The collections on a Chroma endpoint: listed page by page (bounded), and the one snapshot of their
record counts that the failover gate and data manifest (failover.manifest), the day-2 gate (through
it) and the restore drill's data check compare; the check collections' cleanup lists through it too.

Chroma's v2 API pages `GET .../collections` with limit/offset (chromadb 1.x, `list_collections`); a
short page is the last one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

PAGE = 100
MAX_COLLECTIONS = 100_000


def listed(client: Any, *, limit: int = MAX_COLLECTIONS) -> Iterator[dict[str, Any]]:
    """Every collection of `client`'s database (a chromactl.checks.client.ChromaClient), at most `limit`."""
    offset = 0
    while offset < limit:
        page = client.list_collections(limit=PAGE, offset=offset)
        yield from page
        if len(page) < PAGE:
            return
        offset += PAGE


def collections_snapshot(client: Any, *, include_checks: bool = False) -> dict[str, int]:
    """Collection name -> record count. chromactl's own check collections (smoke, latency) are not the
    user's data and are left out unless `include_checks` (issue 20.6: deleting one must never make the
    failover gate report it missing)."""
    # lazy: checkcoll imports this module at its top (listed); a module-level import here would be a cycle
    from chromactl.checks.checkcoll import is_check_collection

    counts: dict[str, int] = {}
    for col in listed(client):
        name = str(col["name"])
        if include_checks or not is_check_collection(name):
            counts[name] = client.count(str(col["id"]))
    return counts
