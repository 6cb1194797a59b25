"""Check collections: net disk growth per check run is zero (issue 16.2), cleanup survives a second Ctrl-C,
stale temporary collections are removed, and the data manifest never records them (issue 20.6)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from chromactl.checks import checkcoll
from chromactl.checks import smoke as smoke_mod
from chromactl.checks.client import ChromaClient, ChromaError
from chromactl.checks.target import Target
from chromactl.config import EnvConfig, load_env
from chromactl.failover.manifest import compare, snapshot
from chromactl.local.server import data_dir, local_destroy, local_endpoint, local_up
from chromactl.output import Output

from tests.checks.helpers import CHROMACTL, leftover
from tests.fixtures.servers import free_port, wait_until


def _du(path: Path) -> tuple[int, int]:
    """(bytes of files, number of directories) under path."""
    total = dirs = 0
    for base, ds, fs in os.walk(path):
        dirs += len(ds)
        for f in fs:
            try:
                total += os.lstat(os.path.join(base, f)).st_size
            except OSError:
                continue
    return total, dirs


@pytest.fixture(scope="module")
def local_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EnvConfig]:
    root = tmp_path_factory.mktemp("proj")
    (root / "terraform").mkdir()
    (root / "envs" / "local").mkdir(parents=True)
    (root / "envs" / "local" / "chromactl.toml").write_text(f'[env]\nkind = "local"\n[local]\nport = {free_port()}\n')
    env = load_env("local", root)
    local_up(env, Output(json=True))
    try:
        yield env
    finally:
        local_destroy(env, delete_data=True)


def test_twenty_smoke_runs_on_the_local_env_do_not_grow_the_data_dir(local_env: EnvConfig) -> None:
    """Before: every run left an orphaned index directory (+1 directory, ~40 KB, per run here)."""
    target = Target(local_endpoint(local_env), None)
    sizes: list[tuple[int, int]] = []
    for run in range(20):
        report = smoke_mod.run_smoke(target, vectors=500, dims=64)
        assert report.ok, (run, [(s.name, s.detail) for s in report.steps if not s.ok])
        time.sleep(0.3)  # let the server flush what it writes after a run
        sizes.append(_du(data_dir(local_env)))
    print(f"\nlocal data dir after runs 1, 5, 10, 20 (bytes, dirs): {sizes[0]}, {sizes[4]}, {sizes[9]}, {sizes[19]}")
    assert sizes[19][1] == sizes[4][1] == sizes[0][1], sizes  # no new directory, ever
    per_run_payload = 500 * 64 * 4
    # growth over the last 15 runs, once the files found their size: less than a tenth of ONE run's vectors
    assert sizes[19][0] - sizes[4][0] < per_run_payload / 10, sizes
    with ChromaClient(target.url) as c:
        names = [col["name"] for col in c.list_collections()]
    assert names.count("chromactl-check-smoke-d64") == 1 and not [n for n in names if n.startswith("chromactl-smoke-")]


def test_second_ctrl_c_while_latency_seeds_leaves_nothing_leased(chroma_server) -> None:  # type: ignore[no-untyped-def]
    """Before: a second Ctrl-C during `latency --seed-vectors` leaked the benchmark collection (4 of 4 tries)."""
    name = "chromactl-check-latency-d24"

    def filling() -> bool:
        try:
            with ChromaClient(chroma_server.url) as c:
                col = c.get_collection(name)
                return bool(col["metadata"].get("lease_until")) and c.count(col["id"]) > 0
        except ChromaError:
            return False

    for attempt in range(3):  # several tries, as the issue did: the signal lands at different points
        proc = subprocess.Popen(
            [CHROMACTL, "latency", "--endpoint", chroma_server.url, "--seed-vectors", "300000", "--dims", "24"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        try:
            wait_until(filling, timeout=60, what="benchmark collection filling")
            proc.send_signal(signal.SIGINT)
            time.sleep(0.01 * attempt)
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode in (130, -signal.SIGINT), (out, err)
        assert "Traceback" not in err
        with ChromaClient(chroma_server.url) as c:
            assert c.get_collection(name)["metadata"]["lease_until"] == 0, attempt
        assert not leftover(chroma_server, "chromactl-bench-")


def test_stale_temporary_collections_are_removed_and_busy_slots_skipped(chroma_server) -> None:  # type: ignore[no-untyped-def]
    old = "chromactl-smoke-20200101000000-deadbeef"
    recent = checkcoll.temp_collection_name("chromactl-bench-")
    with ChromaClient(chroma_server.url) as c:
        c.create_collection(old)
        c.create_collection(recent)
        # another run holds the first smoke slot for 8 dims
        lease = checkcoll.acquire(c, "smoke", 8, temp_prefix="chromactl-smoke-", run_id="otherrun")
        assert lease.name == "chromactl-check-smoke-d8" and not lease.temporary
    report = smoke_mod.run_smoke(Target(chroma_server.url, None), vectors=30, dims=8)
    assert report.ok and report.collection == "chromactl-check-smoke-d8-2", report.to_dict()
    assert "removed 1 stale temporary collection" in report.steps[2].detail
    names = chroma_server.collection_names()
    assert old not in names and recent in names  # only what is older than a run can last
    with ChromaClient(chroma_server.url) as c:
        checkcoll.release(c, lease)
        c.delete_collection(recent)


def test_every_slot_busy_falls_back_to_a_temporary_collection_that_is_deleted(chroma_server) -> None:  # type: ignore[no-untyped-def]
    with ChromaClient(chroma_server.url) as c:
        leases = [checkcoll.acquire(c, "smoke", 6, temp_prefix="chromactl-smoke-", run_id=f"busy{i}") for i in range(checkcoll.SLOTS)]
        assert not any(lz.temporary for lz in leases)
    report = smoke_mod.run_smoke(Target(chroma_server.url, None), vectors=30, dims=6)
    assert report.ok and report.collection and report.collection.startswith("chromactl-smoke-") and not report.collection_kept
    assert report.collection not in chroma_server.collection_names()
    with ChromaClient(chroma_server.url) as c:
        for lz in leases:
            checkcoll.release(c, lz)


def test_manifest_never_records_check_collections(chroma_server) -> None:  # type: ignore[no-untyped-def]
    with ChromaClient(chroma_server.url) as c:
        col = c.create_collection("user-docs-manifest")
        c.add(col["id"], ["a"], [[1.0, 2.0]])
    smoke_mod.run_smoke(Target(chroma_server.url, None), vectors=30, dims=4)
    counts = snapshot(Target(chroma_server.url, None))
    assert counts.get("user-docs-manifest") == 1
    assert not [n for n in counts if n.startswith("chromactl-")], counts
    # a manifest from an older chromactl listing a check collection: its absence is not "missing data"
    t = datetime(2026, 11, 25, tzinfo=UTC)
    manifest = {"entries": [{"recorded_at": t.isoformat(), "collections": {"user-docs-manifest": 1,
                                                                          "chromactl-bench-20261125000000-abcd0123": 5000}}]}
    result = compare(manifest, {"user-docs-manifest": 1}, t)
    assert result.ok and not result.missing, result.to_dict()
    with ChromaClient(chroma_server.url) as c:
        c.delete_collection("user-docs-manifest")


class _InterruptAfterLeasing:
    """The real client, except that a Ctrl-C lands the moment the server has taken the lease (the
    modify call returned), before acquire can hand the lease to its caller."""

    def __init__(self, client: ChromaClient) -> None:
        self._client = client
        self.modified = 0

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self._client, name)

    def modify_collection(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        result = self._client.modify_collection(*args, **kwargs)
        self.modified += 1
        os.kill(os.getpid(), signal.SIGINT)  # and a second Ctrl-C during the release that follows
        return result


def test_ctrl_c_while_leasing_releases_the_lease_it_took(chroma_server) -> None:  # type: ignore[no-untyped-def]
    """Seen in a full run on a loaded host: a Ctrl-C right after the server took the lease and before
    acquire returned it left the check collection leased (the caller had nothing to release). Now the
    interrupt waits for the lease, which is released before the KeyboardInterrupt goes on."""
    name = checkcoll.check_collection_name("leasetest", 8)
    with ChromaClient(chroma_server.url) as real:
        with pytest.raises(KeyboardInterrupt), checkcoll.interrupt_once() as got:
            checkcoll.acquire(_InterruptAfterLeasing(real), "leasetest", 8, temp_prefix="chromactl-smoke-")
        # the first interrupt counts as interrupt_once's first; the second, sent while releasing, is only recorded
        assert got == [signal.SIGINT, signal.SIGINT]
        meta = real.get_collection(name)["metadata"]
        assert meta.get("lease_until") == 0, meta  # released, not held for an hour
        # and the next run leases the same collection instead of falling back to a temporary one
        lease = checkcoll.acquire(real, "leasetest", 8, temp_prefix="chromactl-smoke-")
        assert lease.name == name and not lease.temporary
        assert checkcoll.release(real, lease)
