"""The failover journal: one JSON file per (env, target region), written atomically.

It records each step's status, inputs and outputs (promoted file system, RPO,
restore directory, outputs of the apply), so `--resume` continues from the
failed step and a finished step is never redone. Mid-step checkpoints (a
restore job id, "replication deleted") are saved before the step finishes, so
a crash in the middle never starts a second restore.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chromactl.errors import ConfigError, UsageError
from chromactl.failover.model import STEPS

JOURNAL_VERSION = 1
REDACTED = "(sensitive: not stored)"
# Output names that carry secrets; an ARN, a name or an id that points at one is not the secret itself.
_SECRET_NAME = re.compile(r"(token|secret|password|passwd|private_key|credential|api_key)", re.IGNORECASE)
_POINTER_NAME = re.compile(r"(_arn|_name|_id|_ids|_arns|_names|_url|_header)$", re.IGNORECASE)


def scrub(value: Any, key: str = "") -> Any:
    """The journal's view of a value: never a sensitive output, here or in the S3 mirror (issue 20.9).

    Terraform marks outputs `"sensitive": true` in `output -json` ({"value", "type", "sensitive"}):
    such a value is dropped, whether it arrives in that shape or as bare values that carry the
    flags along (stack.outputs.OutputValues, what the apply step and the primary's state
    give); and a string under a secret-looking name (token, password, ...) is dropped too,
    whoever produced it, unless the name says it is a pointer (`token_secret_arn`)."""
    flagged = getattr(value, "sensitive", None)
    if isinstance(value, dict) and isinstance(flagged, frozenset):
        return {k: REDACTED if k in flagged else scrub(v, str(k)) for k, v in value.items()}
    if isinstance(value, dict):
        if value.get("sensitive") is True and "value" in value:
            return {**{k: v for k, v in value.items() if k != "value"}, "value": REDACTED}
        return {k: scrub(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, key) for v in value]
    if isinstance(value, str) and key and _SECRET_NAME.search(key) and not _POINTER_NAME.search(key):
        return REDACTED
    return value


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def journal_path(root: Path, env: str, region: str) -> Path:
    return root / ".chromactl" / "failover" / f"{env}-{region}.json"


@dataclass
class Journal:
    path: Path
    env: str
    target_region: str
    primary_region: str
    source: str
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    status: str = "running"  # running | failed | completed
    created_at: str = field(default_factory=_now)
    updated_at: str = field(default_factory=_now)
    inputs: dict[str, Any] = field(default_factory=dict)
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Called with the JSON after every local save (best effort copy to the state bucket); None: local only.
    mirror: Any = field(default=None, repr=False, compare=False)
    # The ordered step names; the failover's by default. Day-2 verbs (chromactl.day2) journal their own steps.
    step_names: tuple[str, ...] = field(default=STEPS, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in self.step_names:
            self.steps.setdefault(name, {"status": "pending", "attempts": 0})

    # --- persistence -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "version": JOURNAL_VERSION,
            "env": self.env,
            "target_region": self.target_region,
            "primary_region": self.primary_region,
            "source": self.source,
            "run_id": self.run_id,
            "status": self.status,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "inputs": scrub(self.inputs),
            "steps": scrub(self.steps),
        }

    def save(self) -> None:
        """Write atomically: a temp file in the same folder, fsync, rename."""
        self.updated_at = _now()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(self.to_dict(), fh, indent=2, default=str)
                fh.write("\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
        if self.mirror is not None:
            self.mirror(json.dumps(self.to_dict(), indent=2, default=str).encode())

    @classmethod
    def load(cls, path: Path, *, env: str, region: str, step_names: tuple[str, ...] = STEPS) -> Journal:
        """Read a journal, refusing one that belongs to another env or target region."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            raise ConfigError(f"The failover journal {path} is not valid JSON.", "Move it aside and start again, or restore it from a copy.") from None
        except OSError as exc:
            raise ConfigError(f"Cannot read the failover journal {path}: {exc.strerror}.", "Check the file's permissions.") from None
        if not isinstance(data, dict) or data.get("version") != JOURNAL_VERSION or not isinstance(data.get("steps"), dict):
            raise ConfigError(f"{path} is not a chromactl failover journal (version {JOURNAL_VERSION}).", "Move it aside and start again.")
        if data.get("env") != env or data.get("target_region") != region:
            raise UsageError(
                f"The journal {path} belongs to env {data.get('env')!r} in {data.get('target_region')!r}, "
                f"not env {env!r} in {region!r}.",
                "Use the journal of this env and region, or move the foreign one aside.",
            )
        steps = {s: {"status": "pending", "attempts": 0} for s in step_names}
        for name, rec in data["steps"].items():
            if name in steps and isinstance(rec, dict):
                steps[name] = rec
        return cls(
            path=path,
            env=env,
            target_region=region,
            primary_region=str(data.get("primary_region")),
            source=str(data.get("source")),
            run_id=str(data.get("run_id")),
            status=str(data.get("status")),
            created_at=str(data.get("created_at")),
            updated_at=str(data.get("updated_at")),
            inputs=dict(data.get("inputs") or {}),
            steps=steps,
            step_names=step_names,
        )

    # --- step bookkeeping ----------------------------------------------------------------------
    def step(self, name: str) -> dict[str, Any]:
        return self.steps[name]

    def done(self, name: str) -> bool:
        return self.steps[name].get("status") == "done"

    def outputs(self, name: str) -> dict[str, Any]:
        return dict(self.steps[name].get("outputs") or {})

    def checkpoint(self, name: str, key: str, value: Any) -> None:
        """Save a mid-step fact (e.g. a restore job id) before the step finishes."""
        self.steps[name].setdefault("checkpoint", {})[key] = value
        self.save()

    def checkpoints(self, name: str) -> dict[str, Any]:
        return dict(self.steps[name].get("checkpoint") or {})

    def begin(self, name: str) -> None:
        rec = self.steps[name]
        rec["status"] = "running"
        rec["attempts"] = int(rec.get("attempts", 0)) + 1
        rec["started_at"] = _now()
        rec.pop("error", None)
        self.status = "running"

    def finish(self, name: str, outputs: dict[str, Any], seconds: float) -> None:
        rec = self.steps[name]
        rec["status"] = "done"
        rec["outputs"] = outputs
        rec["finished_at"] = _now()
        rec["seconds"] = round(seconds, 3)

    def fail(self, name: str, error: str, seconds: float) -> None:
        rec = self.steps[name]
        rec["status"] = "failed"
        rec["error"] = error
        rec["finished_at"] = _now()
        rec["seconds"] = round(seconds, 3)
        self.status = "failed"

    def next_step(self) -> str | None:
        for name in self.step_names:
            if not self.done(name):
                return name
        return None
