"""The gate's data check (chromactl.failover.manifest.compare), edge by edge, with fast tests (the ones
`make mutate` runs): which manifest entry is the baseline, what counts as missing or short, what is
reported as within the RPO window, and that chromactl's own check collections never count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from chromactl.failover.manifest import compare

T = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)
CHECK = "chromactl-check-smoke-d64"
TEMP = "chromactl-smoke-20261125200000-abcd1234"


def entry(minutes: int, **cols: Any) -> dict[str, Any]:
    return {"recorded_at": (T + timedelta(minutes=minutes)).isoformat(), "collections": cols}


def test_an_entry_recorded_exactly_at_the_data_time_is_the_baseline() -> None:
    res = compare({"entries": [entry(0, docs=5), entry(10, docs=9)]}, {"docs": 9}, T + timedelta(minutes=10))
    assert res.ok and res.baseline_at == entry(10)["recorded_at"] and res.within_rpo_window == {}
    assert res.data_as_of == "2026-11-25T20:10:00+00:00"


def test_the_baseline_is_found_in_unsorted_entries() -> None:
    manifest = {"entries": [entry(30, docs=30), entry(0, docs=1), entry(20, docs=20), entry(10, docs=10)]}
    res = compare(manifest, {"docs": 20}, T + timedelta(minutes=25))
    assert res.ok and res.baseline_at == entry(20)["recorded_at"]
    assert res.within_rpo_window == {"newest_recorded_at": entry(30)["recorded_at"],
                                     "collections": {"docs": {"newest_manifest": 30, "found": 20}}}
    res = compare(manifest, {"docs": 19}, T + timedelta(minutes=25))
    assert not res.ok and res.short == {"docs": {"expected": 20, "found": 19}} and res.missing == []


def test_the_newest_of_several_later_entries_is_the_rpo_window() -> None:
    manifest = {"entries": [entry(0, docs=1), entry(40, docs=40), entry(20, docs=20)]}
    res = compare(manifest, {"docs": 20}, T + timedelta(minutes=5))
    assert res.ok and res.within_rpo_window["newest_recorded_at"] == entry(40)["recorded_at"]
    assert res.within_rpo_window["collections"] == {"docs": {"newest_manifest": 40, "found": 20}}
    res = compare(manifest, {"docs": 40}, T + timedelta(minutes=5))
    assert res.within_rpo_window == {}  # the copy has everything recorded since: nothing in the window


def test_counts_equal_to_the_baseline_pass_one_short_fails() -> None:
    manifest = {"entries": [entry(0, docs="100", faq=3)]}  # counts as the manifest stores them (strings too)
    assert compare(manifest, {"docs": 100, "faq": 3}, T).ok
    res = compare(manifest, {"docs": 99, "faq": 3}, T)
    assert not res.ok and res.short == {"docs": {"expected": 100, "found": 99}}
    res = compare(manifest, {"faq": 3}, T)
    assert not res.ok and res.missing == ["docs"] and res.short == {}
    res = compare(manifest, {"docs": 100, "faq": 3, "b": 1, "a": 0}, T)
    assert res.ok and res.extra == ["a", "b"]


def test_without_a_data_time_the_newest_entry_is_the_baseline_and_nothing_is_later() -> None:
    res = compare({"entries": [entry(10, docs=10), entry(0, docs=1)]}, {"docs": 9}, None)
    assert not res.ok and res.baseline_at == entry(10)["recorded_at"] and res.data_as_of is None
    assert res.short == {"docs": {"expected": 10, "found": 9}} and res.within_rpo_window == {}


def test_check_collections_never_count_on_either_side() -> None:
    manifest = {"entries": [entry(0, docs=3, **{CHECK: 500, TEMP: 500})]}
    res = compare(manifest, {"docs": 3}, T)
    assert res.ok and res.missing == [] and res.short == {}
    res = compare(manifest, {"docs": 3, CHECK: 1, TEMP: 2, "mine": 1}, T)
    assert res.ok and res.extra == ["mine"]
    later = compare({"entries": [entry(0, docs=3), entry(30, docs=3, **{CHECK: 500})]}, {"docs": 3}, T)
    assert later.within_rpo_window == {}
    assert manifest["entries"][0]["collections"][CHECK] == 500  # the caller's manifest is not changed


def test_no_entries_is_no_baseline_and_says_how_to_record_one() -> None:
    for manifest in (None, {}, {"entries": []}):
        res = compare(manifest, {"docs": 1}, T)
        assert res.ok and res.baseline_at is None and res.data_as_of == "2026-11-25T20:00:00+00:00"
        assert res.note == ("no manifest recorded for this env: data check has no baseline "
                            "(record one with `chromactl manifest record`)")
    assert compare(None, {}, None).data_as_of is None


def test_every_entry_newer_than_the_data_says_so_and_reports_the_window() -> None:
    res = compare({"entries": [entry(30, docs=10, faq=2)]}, {"docs": 10}, T)
    assert res.ok and res.baseline_at is None and res.missing == [] and res.extra == []
    assert res.note == ("every manifest entry is newer than the data (2026-11-25T20:00:00+00:00): no baseline the copy "
                        "must contain; differences against the newest entry are reported as within the RPO window")
    assert res.within_rpo_window == {"newest_recorded_at": entry(30)["recorded_at"],
                                     "collections": {"faq": {"newest_manifest": 2, "found": None}}}


def test_a_recorded_time_without_a_zone_is_utc() -> None:
    manifest = {"entries": [{"recorded_at": "2026-11-25T20:00:00", "collections": {"docs": 5}}]}
    assert compare(manifest, {"docs": 5}, T).baseline_at == "2026-11-25T20:00:00"
    assert compare(manifest, {"docs": 5}, T - timedelta(seconds=1)).baseline_at is None


def test_without_a_data_time_the_newest_of_three_entries_is_the_baseline() -> None:
    res = compare({"entries": [entry(20, docs=20), entry(0, docs=1), entry(10, docs=10)]}, {"docs": 19}, None)
    assert res.baseline_at == entry(20)["recorded_at"] and res.short == {"docs": {"expected": 20, "found": 19}}


def test_the_entry_at_the_data_time_is_the_baseline_not_the_rpo_window() -> None:
    res = compare({"entries": [entry(0, docs=5), entry(10, docs=9)]}, {"docs": 8}, T + timedelta(minutes=10))
    assert not res.ok and res.short == {"docs": {"expected": 9, "found": 8}} and res.within_rpo_window == {}
