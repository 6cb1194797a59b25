"""latency/smoke/load as a user drives them: unreachable rates, interrupts, and input refused before any work.

Issue 16 items 1, 3 and 16 (flags that cannot apply), issue 20 item 9 (nan / inf / 1e300).
Time bounds here are hang guards (generous) or ratios measured in the same run, never budgets.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from chromactl.checks.latency import BENCH_PREFIX

from tests.checks.helpers import CHROMACTL, leftover, run_cli
from tests.fixtures.envelope import result_of

HANG_GUARD_S = 120.0


def _popen(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    full = dict(os.environ, NO_COLOR="1", COLUMNS="200", CHROMACTL_PROGRESS_EVERY="0.2", **(env or {}))
    return subprocess.Popen([CHROMACTL, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=full)


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _run_measuring_rss(*args: str) -> tuple[subprocess.CompletedProcess[str], int, float]:
    """Run the CLI, sampling its RSS from /proc every 20 ms; (result, peak RSS in kB, wall seconds)."""
    start = time.monotonic()
    proc = _popen(*args)
    peak = 0
    out: dict[str, str] = {}

    def reader() -> None:
        out["stdout"], out["stderr"] = proc.communicate()

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    while proc.poll() is None and time.monotonic() - start < HANG_GUARD_S:
        peak = max(peak, _rss_kb(proc.pid))
        time.sleep(0.02)
    if proc.poll() is None:
        proc.kill()
    t.join(30)
    took = time.monotonic() - start
    return subprocess.CompletedProcess(proc.args, proc.returncode, out.get("stdout", ""), out.get("stderr", "")), peak, took


def test_unreachable_rate_stops_quickly_with_flat_memory_and_says_the_rate_reached(chroma_server) -> None:  # type: ignore[no-untyped-def]
    """16.1: `--rate 1e9 --duration 1` ran past 47 s and grew to ~870 MB; now it stops, says what it reached."""
    common = ("--json", "latency", "--endpoint", chroma_server.url, "--seed-vectors", "200", "--dims", "8", "--duration", "1")
    base, base_rss, base_s = _run_measuring_rss(*common, "--rate", "20")
    assert base.returncode == 0, base.stderr
    res, rss, took = _run_measuring_rss(*common, "--rate", "1e9")
    print(f"\nrate 20: {base_s:.1f} s, peak RSS {base_rss / 1024:.0f} MB; rate 1e9: {took:.1f} s, peak RSS {rss / 1024:.0f} MB")
    assert res.returncode == 1, res.stderr
    data = result_of(res.stdout)
    assert "could not keep 1e+09 req/s: reached" in data["aborted"], data["aborted"]
    reached = data["params"]["reached_rate"]
    assert 0 < reached < 1e9, reached
    # memory: about what a 20 req/s run needs, not rate x duration entries (the old run grew by ~870 MB)
    assert rss < base_rss * 1.5 + 20 * 1024, (rss, base_rss)
    # time: no longer than the 1-second run at a reachable rate, give or take its noise (a hang guard, as a ratio)
    assert took < base_s * 3 + 10, (took, base_s)
    assert not leftover(chroma_server, BENCH_PREFIX)


def _wait_for_line(proc: subprocess.Popen[str], needle: str, lines: list[str]) -> None:
    assert proc.stderr is not None
    deadline = time.monotonic() + HANG_GUARD_S
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            raise AssertionError(f"the CLI exited before printing {needle!r}: {''.join(lines)}")
        lines.append(line)
        if needle in line:
            return
    raise AssertionError(f"no {needle!r} within {HANG_GUARD_S} s")


@pytest.mark.parametrize(
    ("mode", "sig"),
    [("open", signal.SIGINT), ("open", signal.SIGTERM), ("closed", signal.SIGINT)],
    ids=["open-sigint", "open-sigterm", "closed-sigint"],
)
def test_interrupted_latency_prints_partial_percentiles_and_exits_130(chroma_server, mode: str, sig: int) -> None:  # type: ignore[no-untyped-def]
    """16.1 + 16.3: Ctrl-C/SIGTERM are honoured at once; the partial figures are printed, marked interrupted."""
    loop = ("--rate", "20", "--duration", "600") if mode == "open" else ("--queries", "100000000")
    proc = _popen("latency", "--endpoint", chroma_server.url, "--seed-vectors", "200", "--dims", "8", *loop)
    lines: list[str] = []
    try:
        _wait_for_line(proc, "querying: started", lines)
        _wait_for_line(proc, "querying:", lines)  # a periodic line: answers are coming back
        _wait_for_line(proc, "querying:", lines)
        sent = time.monotonic()
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=HANG_GUARD_S)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    print(f"\n{mode} loop, signal {sig}: exited {took:.2f} s after it")
    assert proc.returncode == 130, "".join(lines) + err
    row = [ln for ln in out.splitlines() if "\t" in ln]
    assert len(row) == 1, out
    count, _errors, _rate, p50, *_rest = row[0].split("\t")
    assert int(count) > 0 and p50.endswith(" ms") and p50 != "-"
    assert "interrupted after" in out
    assert not leftover(chroma_server, BENCH_PREFIX)  # the seeded collection went, interrupt or not
    assert took < 30, took  # hang guard: the run was asked for 600 s / 1e8 queries


class _Counting(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def _any(self) -> None:
        type(self).hits.append(f"{self.command} {self.path}")
        self.send_response(500)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = do_DELETE = do_PUT = _any

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture()
def counting_server() -> Iterator[tuple[str, list[str]]]:
    hits: list[str] = []
    handler = type("Handler", (_Counting,), {"hits": hits})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()
        t.join(10)


REFUSED = {
    "latency --rate 0": ("latency", "--rate", "0", "--duration", "1"),
    "latency --rate nan": ("latency", "--rate", "nan", "--duration", "1"),
    "latency --rate inf": ("latency", "--rate", "inf", "--duration", "1"),
    "latency --rate 1e300": ("latency", "--rate", "1e300", "--duration", "1"),
    "latency --duration nan": ("latency", "--rate", "10", "--duration", "nan"),
    "latency --duration inf": ("latency", "--rate", "10", "--duration", "inf"),
    "latency --duration 1e300": ("latency", "--rate", "10", "--duration", "1e300"),
    "latency --timeout nan": ("latency", "--timeout", "nan"),
    "latency --timeout inf": ("latency", "--timeout", "inf"),
    "latency --timeout 1e300": ("latency", "--timeout", "1e300"),
    "latency -n with --rate": ("latency", "-n", "50", "--rate", "10", "--duration", "1"),
    "latency -c with --rate": ("latency", "-c", "4", "--rate", "10", "--duration", "1"),
    "latency --max-in-flight closed": ("latency", "--max-in-flight", "8"),
    "latency --seed-vectors with --collection": ("latency", "--collection", "mine", "--seed-vectors", "100"),
    "latency --dims with --collection": ("latency", "--collection", "mine", "--dims", "16"),
    "smoke --timeout nan": ("smoke", "--timeout", "nan"),
    "smoke --timeout 1e300": ("smoke", "--timeout", "1e300"),
    "smoke --vectors 1e10": ("smoke", "--vectors", "1e10"),
    "smoke --vectors 10000000000": ("smoke", "--vectors", "10000000000"),
    "load --timeout inf": ("load", "--collection", "vectors", "--file", "/dev/null", "--timeout", "inf"),
}


@pytest.mark.parametrize("args", list(REFUSED.values()), ids=list(REFUSED))
def test_input_that_cannot_run_is_refused_before_any_request(counting_server, args: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    """16.3/16.16/20.9: one sentence, exit 2, and not a single request sent (nothing seeded first)."""
    url, hits = counting_server
    res = run_cli(*args, "--endpoint", url, timeout=60)
    assert res.returncode == 2, (res.returncode, res.stdout, res.stderr)
    assert "unexpected" not in res.stderr and "Traceback" not in res.stderr
    err_lines = [ln for ln in res.stderr.splitlines() if ln.startswith(("error:", "Error:"))]
    assert len(err_lines) == 1, res.stderr
    assert hits == [], hits


def test_redirected_load_prints_progress_lines(chroma_server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """16.14: a redirected `load` printed nothing until it ended; now a line at the start, periodically and at the end."""
    import numpy as np

    path = tmp_path / "vecs.npy"
    np.save(path, np.random.default_rng(5).standard_normal((3000, 16)).astype("float32"))
    res = run_cli("load", "--endpoint", chroma_server.url, "--collection", "progress-lines", "--file", str(path), "--batch-size", "100",
                  "--workers", "1", env={"CHROMACTL_PROGRESS_EVERY": "0.05"}, timeout=HANG_GUARD_S)
    try:
        assert res.returncode == 0, res.stderr
        lines = [ln for ln in res.stderr.splitlines() if ln.startswith("loading vecs.npy: ")]
        assert lines[0] == "loading vecs.npy: started", res.stderr
        assert lines[-1].startswith("loading vecs.npy: done: 3000/3000 vectors (100 %)"), lines
        assert len(lines) >= 3, lines  # at least one periodic line in between (30 batches)
    finally:
        from chromactl.checks.client import ChromaClient

        with ChromaClient(chroma_server.url) as c:
            c.delete_collection("progress-lines")


@pytest.mark.parametrize(("verb", "name"), [("load", "a/b"), ("load", ""), ("load", "x"), ("load", "ab..cd"), ("load", "10.0.0.1"),
                                            ("load", "-abc"), ("latency", "x"), ("latency", "a/b")])
def test_collection_name_chroma_refuses_is_a_usage_error_before_any_request(counting_server, tmp_path, verb: str, name: str) -> None:  # type: ignore[no-untyped-def]
    """Review finding 5: `a/b` was "unexpected ValueError" (exit 1), "" and "x" reached the server for its
    HTTP 400 with no hint. Chroma's own rule (rust/types/src/validators.rs validate_name, see
    chromactl/checks/names.py) is checked first: exit 2, a hint, nothing sent."""
    url, hits = counting_server
    good = tmp_path / "ok.jsonl"
    good.write_text('{"id": "a", "embedding": [1, 2]}\n')
    args = ("load", "--file", str(good)) if verb == "load" else ("latency", "-n", "5")
    res = run_cli(*args, "--collection", name, "--endpoint", url, timeout=60)
    assert res.returncode == 2, (res.returncode, res.stdout, res.stderr)
    assert "not a valid Chroma collection name" in res.stderr and "hint:" in res.stderr
    assert "unexpected" not in res.stderr and "Traceback" not in res.stderr
    assert hits == [], hits


def test_names_chroma_accepts_pass_the_local_rule() -> None:
    from chromactl.checks.names import name_problem

    for ok in ("abc", "my-vectors_1.v2", "A" * 512, "1.2.3"):  # "1.2.3" is not an IPv4 address
        assert name_problem(ok) is None, ok
    for bad in ("ab", "A" * 513, "abc-", "_abc", "a..b", "127.0.0.1", "a b c", "é-abc"):
        assert name_problem(bad) is not None, bad


def test_refused_load_input_prints_no_progress_and_says_what_is_wrong(counting_server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Review finding 8: `loading X: started` / `done: 0 vectors` came before every error, a directory
    "did not exist", and an object .npy passed on numpy's allow_pickle advice (loading a pickle runs code)."""
    import numpy as np

    url, hits = counting_server
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    (tmp_path / "adir").mkdir()
    cases = {str(tmp_path / "adir"): "is a directory", str(tmp_path / "obj.npy"): "is not a plain numeric .npy array",
             str(tmp_path / "missing.jsonl"): "does not exist"}
    for path, needle in cases.items():
        res = run_cli("load", "--collection", "good-name", "--file", path, "--endpoint", url, timeout=60)
        assert res.returncode == 2, (path, res.stdout, res.stderr)
        assert needle in res.stderr, (path, res.stderr)
        assert "loading " not in res.stderr, res.stderr
        assert "allow_pickle" not in res.stderr and "unexpected" not in res.stderr, res.stderr
    assert hits == [], hits


def test_last_progress_line_shows_the_final_totals(chroma_server) -> None:  # type: ignore[no-untyped-def]
    """Review finding 7: the closing line repeated the last sample (`done: 0/200 queries (0 %)` after 200
    answered; open loop `4/5 s (80 %) ... 81 answered` while 100 were). It now shows the run's totals."""
    env = {"CHROMACTL_PROGRESS_EVERY": "3600"}  # no periodic lines: only the start and the end
    res = run_cli("latency", "--endpoint", chroma_server.url, "-n", "200", "--seed-vectors", "200", "--dims", "8", env=env,
                  timeout=HANG_GUARD_S)
    assert res.returncode == 0, res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.startswith("querying: ")]
    assert lines[-1].startswith("querying: done: 200/200 queries (100 %), 200 answered, 0 errors"), lines
    res = run_cli("latency", "--endpoint", chroma_server.url, "--rate", "40", "--duration", "2", "--seed-vectors", "200",
                  "--dims", "8", env=env, timeout=HANG_GUARD_S)
    assert res.returncode == 0, res.stderr
    row = [ln for ln in res.stdout.splitlines() if "\t" in ln]
    count = int(row[0].split("\t")[0])
    lines = [ln for ln in res.stderr.splitlines() if ln.startswith("querying: ")]
    assert lines[-1].startswith(f"querying: done: 2/2 s (100 %), {count} answered, 0 errors"), (lines, row)


def test_terminal_bar_ends_at_the_final_totals(chroma_server) -> None:  # type: ignore[no-untyped-def]
    """Review finding 7, on a terminal: the bar stayed at 0/N after a run shorter than a tick."""
    import pty
    import select

    master, slave = pty.openpty()
    env = dict(os.environ, NO_COLOR="1", COLUMNS="200", TERM="xterm")
    proc = subprocess.Popen([CHROMACTL, "latency", "--endpoint", chroma_server.url, "-n", "100", "--seed-vectors", "100", "--dims", "8"],
                            stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL, env=env)
    os.close(slave)
    buf = b""
    end = time.monotonic() + HANG_GUARD_S
    try:
        while time.monotonic() < end:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                buf += chunk
            elif proc.poll() is not None:
                break
        proc.wait(30)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    text = buf.decode(errors="replace")
    assert proc.returncode == 0, text
    last = text[text.rindex("querying"):]
    assert "100/100" in last and "100 answered, 0 errors" in last, last[-400:]
