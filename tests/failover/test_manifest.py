"""The data manifest: recorded in the state bucket (moto) from a real Chroma, and the gate's comparison rule."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from chromactl.cli.app import main
from chromactl.failover.manifest import compare

from tests.failover.conftest import SEED, TOKEN, World
from tests.fixtures.envelope import result_of

T = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)


def entry(minutes: int, **cols: int) -> dict[str, Any]:
    return {"recorded_at": (T + timedelta(minutes=minutes)).isoformat(), "region": "us-east-1", "collections": cols,
            "total_records": sum(cols.values())}


def test_record_and_show_through_the_cli(world: World, chroma: Any, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    code = main(["manifest", "show", "--env", "prod"])
    err = capsys.readouterr().err
    assert code == 1 and "error: No manifest recorded for env 'prod'" in err and "chromactl manifest record" in err
    monkeypatch.setenv("FAILOVER_TEST_TOKEN", TOKEN)
    code = main(["manifest", "record", "--env", "prod", "--endpoint", chroma.url, "--token-env", "FAILOVER_TEST_TOKEN", "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert result_of(out)["collections"] == SEED
    code = main(["manifest", "show", "--env", "prod", "--json"])
    data = result_of(capsys.readouterr().out)
    assert code == 0 and data["env"] == "prod" and data["entries"][-1]["collections"] == SEED
    assert TOKEN not in json.dumps(data)
    # without the token the proxy refuses: a clear error, nothing appended
    code = main(["manifest", "record", "--env", "prod", "--endpoint", chroma.url])
    err = capsys.readouterr().err
    assert code == 1 and "error: " in err and "Traceback" not in err
    main(["manifest", "show", "--env", "prod", "--json"])
    assert len(result_of(capsys.readouterr().out)["entries"]) == 1


def test_baseline_is_newest_entry_at_or_before_the_data() -> None:
    manifest = {"entries": [entry(0, docs=100), entry(10, docs=110), entry(30, docs=150, new=5)]}
    ok = compare(manifest, {"docs": 112}, T + timedelta(minutes=20))
    assert ok.ok and ok.baseline_at == entry(10)["recorded_at"]
    assert ok.within_rpo_window["collections"] == {"docs": {"newest_manifest": 150, "found": 112}, "new": {"newest_manifest": 5, "found": None}}
    short = compare(manifest, {"docs": 105}, T + timedelta(minutes=20))
    assert not short.ok and short.short == {"docs": {"expected": 110, "found": 105}}
    assert "docs 105/110" in short.summary()


def test_missing_collection_fails_and_extra_is_reported() -> None:
    res = compare({"entries": [entry(0, docs=1, faq=2)]}, {"docs": 1, "other": 3}, T + timedelta(hours=1))
    assert not res.ok and res.missing == ["faq"] and res.extra == ["other"]
    assert "missing collections: faq" in res.summary()


def test_no_baseline_does_not_fail() -> None:
    assert compare(None, {"docs": 1}, T).ok
    later_only = compare({"entries": [entry(30, docs=10)]}, {"docs": 1}, T)
    assert later_only.ok and later_only.baseline_at is None and "newer than the data" in later_only.note
    assert later_only.within_rpo_window["collections"]["docs"] == {"newest_manifest": 10, "found": 1}
