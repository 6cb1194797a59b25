"""Issue 16 item 3: an interrupted smoke check reports the real elapsed time and the step it was in
(it said "failed in 0.02 s" after 8 s), exits 130 and still removes its collection."""

from __future__ import annotations

import os
import signal
import subprocess
import time

from chromactl.checks.client import ChromaClient, ChromaError
from chromactl.checks.smoke import SMOKE_PREFIX

from tests.checks.helpers import CHROMACTL, leftover
from tests.fixtures.envelope import result_of
from tests.fixtures.servers import wait_until

HANG_GUARD_S = 120.0
CHECK_COLLECTION = "chromactl-check-smoke-d32"


def _lease_run(server) -> str | None:  # type: ignore[no-untyped-def]
    """The run id holding smoke's 32-dims check collection (None: no collection or no lease)."""
    try:
        with ChromaClient(server.url) as c:
            meta = c.get_collection(CHECK_COLLECTION)["metadata"] or {}
    except ChromaError:
        return None
    return str(meta["lease_run"]) if meta.get("lease_until") and meta.get("lease_run") else None


def test_interrupted_smoke_names_its_step_and_the_real_elapsed_time(chroma_server) -> None:  # type: ignore[no-untyped-def]
    env = dict(os.environ, NO_COLOR="1", COLUMNS="200")
    began = time.monotonic()
    # 200k vectors: the add step lasts minutes, so the interrupt lands inside it
    proc = subprocess.Popen([CHROMACTL, "smoke", "--endpoint", chroma_server.url, "--vectors", "200000", "--dims", "32"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    seen: list[str] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + HANG_GUARD_S
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            assert line, "smoke ended before creating its collection: " + "".join(seen)
            seen.append(line)
            if "check collection" in line:
                break
        created = time.monotonic()
        time.sleep(2.0)
        signalled = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=HANG_GUARD_S)
        ended = time.monotonic()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    text = "".join(seen) + out
    assert proc.returncode == 130, text + err
    line = next(ln for ln in text.splitlines() if "smoke check interrupted" in ln)
    assert "during step 'upsert vectors'" in line, line
    reported = float(line.rsplit("after ", 1)[1].split(" s")[0])
    print(f"\nreported {reported:.2f} s; the process ran {ended - began:.2f} s, of which {signalled - created:.2f} s after create")
    assert signalled - created <= reported <= ended - began, (reported, signalled - created, ended - began)
    assert not leftover(chroma_server, SMOKE_PREFIX)


def test_interrupted_smoke_json_says_where(chroma_server) -> None:  # type: ignore[no-untyped-def]
    env = dict(os.environ, NO_COLOR="1")
    before = _lease_run(chroma_server)
    proc = subprocess.Popen([CHROMACTL, "--json", "smoke", "--endpoint", chroma_server.url, "--vectors", "200000", "--dims", "32"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        # the run has leased the check collection (it waited for a temporary collection, which the
        # check collections no longer create, so it sat out its whole hang guard before signalling)
        wait_until(lambda: _lease_run(chroma_server) not in (None, before), timeout=HANG_GUARD_S,
                   what="smoke leased its check collection")
        time.sleep(1.5)
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=HANG_GUARD_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    data = result_of(out)
    assert proc.returncode == 130
    assert data["interrupted"] is True and data["interrupted_in"] == "upsert vectors" and data["elapsed_s"] >= 1.5
    assert data["cleaned_up"] is True
