"""The modelled downtime of an upgrade with one writer, and where each figure comes from (docs/upgrade.md).

With deployment_minimum_healthy_percent = 0 and maximum_percent = 100 (terraform/modules/ecs), ECS stops
the old task before it starts the new one, so the endpoint is down from the old task's deregistration
until the new one is healthy behind the ALB, and queries are slow until Chroma has read the index from EFS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from chromactl import sizing

DEREGISTRATION_S = 30  # terraform/modules/alb: deregistration_delay = 30 (ECS waits for it before stopping the task)
STOP_TIMEOUT_S = 60  # terraform/modules/ecs: stopTimeout = 60, SIGTERM to SIGKILL; the bound, not the typical exit
START_S = 60  # Fargate task launch and image pull (the failover model's figure, docs/failover.md "wait")
CHROMA_START_S = 2.2  # measured here: `chroma run` to a heartbeat answer (docs/DESIGN.md)
HEALTHY_S = 30  # terraform/modules/alb: healthy_threshold 2 x interval 15 s
EFS_READ_MIB_S = sizing.GRACE_READ_MIB_PER_S  # the stack's conservative per-client read rate (ecs README, AWS EFS performance)


@dataclass(frozen=True)
class Downtime:
    vectors: int
    dims: int
    index_mib: int
    stop_s: float
    start_s: float
    healthy_s: float
    index_load_s: float

    @property
    def total_s(self) -> float:
        return self.stop_s + self.start_s + self.healthy_s + self.index_load_s

    def to_dict(self) -> dict[str, float | int]:
        return {"vectors": self.vectors, "dims": self.dims, "index_mib": self.index_mib, "stop_s": self.stop_s,
                "start_s": self.start_s, "healthy_s": self.healthy_s, "index_load_s": self.index_load_s,
                "total_s": round(self.total_s, 1)}


def downtime(vectors: int, dims: int) -> Downtime:
    index_mib = -(-sizing.estimate(vectors, dims).index_bytes // sizing.MIB)
    return Downtime(vectors=vectors, dims=dims, index_mib=index_mib, stop_s=DEREGISTRATION_S + STOP_TIMEOUT_S,
                    start_s=START_S + CHROMA_START_S, healthy_s=HEALTHY_S, index_load_s=round(index_mib / EFS_READ_MIB_S, 1))


_NUM = r"\s*=\s*([0-9_]+)"


def expected_size(env_dir: Path) -> tuple[int, int] | None:
    """(expected_vectors, vector_dimensions) from the env's terraform.tfvars; None when not set there."""
    try:
        text = (env_dir / "terraform.tfvars").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    text = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    v = re.search(r"^\s*expected_vectors" + _NUM, text, re.MULTILINE)
    d = re.search(r"^\s*vector_dimensions" + _NUM, text, re.MULTILINE)
    if not v or not d:
        return None
    return int(v.group(1).replace("_", "")), int(d.group(1).replace("_", ""))
