"""The data manifest: collections and their counts, recorded after successful checks.

Stored in the env's state bucket (which lives outside the primary region) under
`<key_prefix>/<env>/manifest.json`, so a failover can read it with the primary
region gone. The file keeps the newest entries (up to HISTORY), each stamped
with the time it was recorded.

The gate's rule (docs/failover.md, "Data check"): the promoted data is a copy
as of a known time T (the replica's LastReplicatedTimestamp, or the recovery
point's creation time). The baseline is the newest manifest entry recorded at
or before T: everything it lists must have been in the data at T. So every
baseline collection must be present and hold at least the baseline's count.
Entries recorded after T may list data the copy never had; their differences
are reported as "within the RPO window", not failures. With no entry at or
before T there is no baseline: the check reports that and does not fail.
Deletes made between the baseline and T show as missing records: the gate
fails and says so; `--accept-data-diff` accepts them after a human looked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from chromactl.aws.session import describe_aws_error, error_code
from chromactl.checks.checkcoll import is_check_collection
from chromactl.checks.snapshot import collections_snapshot
from chromactl.config import EnvConfig
from chromactl.errors import ConfigError, OperationFailed

MANIFEST_VERSION = 1
HISTORY = 48


def manifest_key(env: EnvConfig) -> str:
    prefix = env.state.key_prefix if env.state else "chromactl"
    return f"{prefix}/{env.name}/manifest.json"


def _parse_time(value: str) -> datetime:
    dt = datetime.fromisoformat(value)
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def snapshot(target: Any) -> dict[str, int]:
    """Collections and their record counts on a live endpoint (chromactl.checks.target.Target).

    chromactl's own check collections (smoke, latency) are not the user's data: never recorded, so
    deleting one can never make the failover gate report it missing (issue 20.6)."""
    with target.client() as client:
        return collections_snapshot(client)


def read_manifest(env: EnvConfig, factory: Any) -> dict[str, Any] | None:
    """The stored manifest, or None when none was recorded yet."""
    import botocore.exceptions as bex

    assert env.state is not None
    s3 = factory.client("s3", env.state.region)
    try:
        body = s3.get_object(Bucket=env.state.bucket, Key=manifest_key(env))["Body"].read()
    except bex.ClientError as exc:
        if error_code(exc) in ("NoSuchKey", "404", "NotFound"):
            return None
        raise OperationFailed(
            f"Cannot read the data manifest s3://{env.state.bucket}/{manifest_key(env)}: {describe_aws_error(exc)}.",
            "Check the state bucket and your permissions on it.",
        ) from None
    except bex.BotoCoreError as exc:
        raise OperationFailed(
            f"Cannot read the data manifest from the state bucket in {env.state.region}: {describe_aws_error(exc)}.",
            "Check the network and credentials for the state bucket's region.",
        ) from None
    try:
        data = json.loads(body)
    except json.JSONDecodeError:
        raise ConfigError(f"s3://{env.state.bucket}/{manifest_key(env)} is not valid JSON.", "Record a new manifest with `chromactl manifest record`.") from None
    if not isinstance(data, dict) or data.get("env") != env.name or not isinstance(data.get("entries"), list):
        raise ConfigError(
            f"s3://{env.state.bucket}/{manifest_key(env)} is not a manifest of env {env.name!r}.",
            "Record a new manifest with `chromactl manifest record`.",
        )
    return data


def record_manifest(env: EnvConfig, region: str, target: Any, factory: Any, *, now: datetime | None = None) -> dict[str, Any]:
    """Snapshot `target` and append the entry to the env's manifest in the state bucket."""
    assert env.state is not None
    counts = snapshot(target)
    entry = {
        "recorded_at": (now or datetime.now(UTC)).isoformat(timespec="seconds"),
        "region": region,
        "collections": counts,
        "total_records": sum(counts.values()),
    }
    current = read_manifest(env, factory) or {"version": MANIFEST_VERSION, "env": env.name, "entries": []}
    entries = [*current["entries"], entry][-HISTORY:]
    data = {"version": MANIFEST_VERSION, "env": env.name, "entries": entries}
    s3 = factory.client("s3", env.state.region)
    s3.put_object(
        Bucket=env.state.bucket,
        Key=manifest_key(env),
        Body=json.dumps(data, indent=2).encode(),
        ContentType="application/json",
        ServerSideEncryption="AES256",
    )
    return entry


@dataclass
class DataCheck:
    ok: bool
    baseline_at: str | None
    data_as_of: str | None
    missing: list[str] = field(default_factory=list)
    short: dict[str, dict[str, int]] = field(default_factory=dict)
    within_rpo_window: dict[str, Any] = field(default_factory=dict)
    extra: list[str] = field(default_factory=list)
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "baseline_recorded_at": self.baseline_at,
            "data_as_of": self.data_as_of,
            "missing_collections": self.missing,
            "short_collections": self.short,
            "within_rpo_window": self.within_rpo_window,
            "new_collections": self.extra,
            "note": self.note,
        }

    def summary(self) -> str:
        if self.note and not (self.missing or self.short):
            return self.note
        parts = []
        if self.missing:
            parts.append(f"missing collections: {', '.join(sorted(self.missing))}")
        if self.short:
            parts.append(
                "fewer records than the manifest: "
                + ", ".join(f"{k} {v['found']}/{v['expected']}" for k, v in sorted(self.short.items()))
            )
        return "; ".join(parts) or "every manifest collection present with at least its recorded count"


def compare(manifest: dict[str, Any] | None, observed: dict[str, int], data_as_of: datetime | None) -> DataCheck:
    """Apply the rule in this module's docstring. Check collections are ignored on both sides: a
    manifest recorded by an older chromactl may list them, and they come and go with every check."""
    observed = {k: v for k, v in observed.items() if not is_check_collection(k)}
    if manifest and manifest.get("entries"):
        manifest = {**manifest, "entries": [
            {**e, "collections": {k: v for k, v in e["collections"].items() if not is_check_collection(k)}}
            for e in manifest["entries"]
        ]}
    if not manifest or not manifest.get("entries"):
        return DataCheck(ok=True, baseline_at=None, data_as_of=_iso(data_as_of),
                         note="no manifest recorded for this env: data check has no baseline (record one with `chromactl manifest record`)")
    entries = sorted(manifest["entries"], key=lambda e: _parse_time(e["recorded_at"]))
    if data_as_of is None:
        baseline, later = entries[-1], []
    else:
        before = [e for e in entries if _parse_time(e["recorded_at"]) <= data_as_of]
        later = [e for e in entries if _parse_time(e["recorded_at"]) > data_as_of]
        baseline = before[-1] if before else None
    result = DataCheck(ok=True, baseline_at=baseline["recorded_at"] if baseline else None, data_as_of=_iso(data_as_of))
    if baseline is None:
        result.note = (
            f"every manifest entry is newer than the data ({_iso(data_as_of)}): no baseline the copy must contain; "
            "differences against the newest entry are reported as within the RPO window"
        )
    else:
        for name, expected in baseline["collections"].items():
            if name not in observed:
                result.missing.append(name)
            elif observed[name] < int(expected):
                result.short[name] = {"expected": int(expected), "found": observed[name]}
        result.ok = not result.missing and not result.short
        result.extra = sorted(set(observed) - set(baseline["collections"]))
    if later:
        newest = later[-1]
        window: dict[str, Any] = {}
        for name, expected in newest["collections"].items():
            found = observed.get(name)
            if found is None or found < int(expected):
                window[name] = {"newest_manifest": int(expected), "found": found}
        if window:
            result.within_rpo_window = {"newest_recorded_at": newest["recorded_at"], "collections": window}
    return result


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat(timespec="seconds") if dt else None
