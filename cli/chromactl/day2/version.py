"""The Chroma version checks of the local env (`up --env local`), and the day-2 face of the version record.

The record itself (the highest Chroma version that has opened an env's data, where it lives, how a downgrade is
refused) is failover/version_record.py: the failover records the version its gate passed on, and failover sits below
day2 (tools/layers/contract.py LAYERS), so the record sits there, beside the data manifest. Its names are imported
here for the callers that know the record as day2.version (workflows/up.py and workflows/status.py).
"""

from __future__ import annotations

from typing import Any

from chromactl.config import EnvConfig
from chromactl.failover.version_record import (
    HISTORY,
    LOCAL_NAME,
    RECORD_VERSION,
    ChromaImage,
    configured_image,
    local_path,
    parse_image,
    read_record,
    record,
    record_after_check,
    refuse_downgrade,
    s3_key,
    version_key,
)
from chromactl.local import server

__all__ = ["HISTORY", "LOCAL_NAME", "RECORD_VERSION", "ChromaImage", "configured_image", "local_path", "local_preflight", "parse_image",
           "read_record", "record", "record_after_check", "record_local", "refuse_downgrade", "s3_key", "version_key"]


# --- the local env ----------------------------------------------------------------------------------------


def local_preflight(env: EnvConfig) -> str:
    """Before `up --env local` starts Chroma: refuse a chromadb older than the one that opened the data dir."""
    version = server._chroma_version()
    refuse_downgrade(env, version, read_record(env))
    return version


def record_local(env: EnvConfig) -> dict[str, Any]:
    """After a passing smoke check: record the version the running local server reports in its state file."""
    state = server._read_state(env) or {}
    version = str(state.get("chroma_version") or server._chroma_version())
    return record(env, version, image=f"chromadb=={version} (local)", region=None)
