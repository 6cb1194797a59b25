"""One of each (issue 15): one clock and one bounded poll-until (chromactl.poll), one AWS error-code
helper (chromactl.aws.session.error_code), botocore's paginators instead of hand-written NextToken
loops. This reads the package's source and fails when a second Clock class, a hand-written
`["Error"]["Code"]` lookup, a sleeping wait loop of its own or a hand-written pagination loop appears
outside the files allowed to have one.

The rotation Lambda (functions/token_rotation, outside cli/chromactl) ships alone with its own copies
and is not scanned.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import boto3
import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "cli" / "chromactl"

# Where each thing lives (the one of each).
HOME = {"clock": {"poll.py"}, "wait loop": {"poll.py"}, "error code": {"aws/session.py"}, "pagination": set()}

# Kept on purpose, with the reason.
EXEMPT = {
    ("wait loop", "checks/latency.py"): "paces an open-loop schedule and supervises its senders; it waits for no state",
    ("pagination", "rotation/token.py"): "botocore has no paginator for ListSecretVersionIds (pinned below)",
    ("pagination", "drills/ecs.py"): "ListTasks has a paginator, but the drills take any object with list_tasks "
                                     "(the drill tests' simulated control plane and per-call failure injection)",
}

# Files another branch of issue 15 moves (workflows/, stack/); they switch to the helpers there. This
# list only shrinks: an entry whose file no longer has the pattern fails below, so it gets removed.
PENDING: set[tuple[str, str]] = set()

_PATTERNS = {
    "clock": re.compile(r"^\s*class\s+\w*Clock\b", re.MULTILINE),
    "error code": re.compile(r"""(\.get\(|\[)["']Code["']"""),
    "pagination": re.compile(r"""\[["'](NextToken|Marker|ContinuationToken|nextToken)["']\]\s*="""),
}


def _sleeping_loops(source: str) -> list[int]:
    """Lines of `while` loops that call a sleep in their own body: a wait loop of their own."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.While):
            for call in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
                name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
                if name == "sleep":
                    lines.append(node.lineno)
                    break
    return lines


def _found() -> dict[tuple[str, str], list[int]]:
    found: dict[tuple[str, str], list[int]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        text = path.read_text(encoding="utf-8")
        for kind, pattern in _PATTERNS.items():
            hits = [text.count("\n", 0, m.start()) + 1 for m in pattern.finditer(text)]
            if hits:
                found[(kind, rel)] = hits
        loops = _sleeping_loops(text)
        if loops:
            found[("wait loop", rel)] = loops
    return found


def test_nothing_has_its_own_copy() -> None:
    extra = {key: lines for key, lines in _found().items()
             if key[1] not in HOME[key[0]] and key not in EXEMPT and key not in PENDING}
    assert not extra, (
        "a second copy of a one-of-each helper (use chromactl.poll.Clock / poll_until, chromactl.aws.session.error_code, "
        f"client.get_paginator): {extra}"
    )


def test_the_pending_list_only_shrinks() -> None:
    found = _found()
    stale = sorted(key for key in PENDING | set(EXEMPT) if key not in found)
    assert not stale, f"these no longer have their own copy: drop them from PENDING / EXEMPT: {stale}"


def test_the_scan_sees_what_it_looks_for() -> None:
    """The patterns match the shapes they replaced (each line from the code before issue 15)."""
    assert _PATTERNS["clock"].search("@dataclasses.dataclass\nclass Clock:\n")
    assert _PATTERNS["error code"].search('return str(resp.get("Error", {}).get("Code", ""))')
    assert _PATTERNS["error code"].search('code = exc.response["Error"]["Code"]')
    assert _PATTERNS["pagination"].search('            kwargs["NextToken"] = token')
    assert _sleeping_loops("while True:\n    if done():\n        break\n    clock.sleep(5)\n") == [1]
    assert _sleeping_loops("while not stop.wait(1):\n    tick()\n") == []


@pytest.mark.parametrize(("service", "operation", "paginated"), [
    # botocore/data/secretsmanager/2017-10-17/paginators-1.json lists ListSecrets only
    ("secretsmanager", "list_secret_version_ids", False),
    # botocore/data/backup/2018-11-15/paginators-1.json: what failover and `backup list` page with
    ("backup", "list_recovery_points_by_backup_vault", True),
    ("backup", "list_copy_jobs", True),
    # botocore/data/cloudwatch/2010-08-01/paginators-1.json: what `status` pages its alarms with
    ("cloudwatch", "describe_alarms", True),
])
def test_botocore_paginators_are_as_the_code_assumes(service: str, operation: str, paginated: bool) -> None:
    client = boto3.client(service, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")  # type: ignore[call-overload]
    assert client.can_paginate(operation) is paginated
