"""The old path of `collect_status` (now chromactl/workflows/status.py): drills/live.py, the live-suite
harness, still imports it from here (EXEMPT in tools/layers/contract.py until that harness moves under tests/)."""

from __future__ import annotations

from chromactl.workflows.status import collect_status

__all__ = ["collect_status"]
