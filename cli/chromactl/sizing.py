"""The capacity rule: how much memory a Chroma task needs for N vectors of D dimensions, and the
Fargate task size that holds them.

The same rule is written in Terraform (terraform/modules/ecs/main.tf, locals `capacity_*`), which
refuses a task size that breaks it at plan; tests/stack/test_capacity.py holds the two equal.

Figures (measured by scripts/bench_capacity.py, `make bench-capacity`; the table and its date are
in terraform/modules/ecs/README.md, "Capacity rule"):

  index   = N x (PER_VECTOR_BYTES + PER_DIM_BYTES x D)                   the HNSW index and its records in RSS
  steady  = FIXED_BYTES + index                                          RSS of a restarted, queried server
  load    = FIXED_BYTES + LOAD_EXTRA_BYTES + index x LOAD_PERCENT / 100  RSS right after a bulk load

Chroma's published rule (docs.trychroma.com, "Resource Requirements" of single-node Chroma: max
vectors in millions ~ 0.245 x RAM in GB at 1024 dims) is the index part alone at 1024 dims; the
measurement adds a fixed part per vector (ids, links of the HNSW graph, the record in SQLite's
cache) and the bulk-load growth (the write-ahead log and the unflushed batch held beside the index).

A task size fits when
  steady <= memory x ALARM_PERCENT/100 x (100 - HEADROOM_PERCENT)/100   (under the memory alarm, with headroom)
  load   <= memory x LOAD_CEILING_PERCENT/100                         (a bulk load does not reach the limit)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from chromactl.errors import UsageError

MIB = 1024 * 1024

# Least-squares fit (relative error) of the six points of scripts/bench_capacity.py's run of 2026-12-01
# (384 dims: 20k, 50k, 100k; 1536 dims: 10k, 20k, 40k; ecs README table); keep equal to
# terraform/modules/ecs/main.tf. The per-dimension part is the float32 data (4 B) and a little more.
FIXED_BYTES = 55 * MIB
PER_VECTOR_BYTES = 323
PER_DIM_BYTES_X100 = 420  # 4.20 bytes per dimension
LOAD_EXTRA_BYTES = 70 * MIB  # the write path's buffers, held after a bulk load
LOAD_PERCENT = 119

ALARM_PERCENT = 80  # the stack's memory alarm (terraform/modules/observability, memory_threshold_percent)
HEADROOM_PERCENT = 20  # steady state stays this far under the alarm
LOAD_CEILING_PERCENT = 90  # a bulk load stays under this share of the task's memory (tmpfs and page cache need the rest)

# Fargate task sizes (cpu units -> memory MiB), AWS "Amazon ECS task definition parameters for Fargate",
# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size
def _steps(lo: int, hi: int, step: int) -> tuple[int, ...]:
    return tuple(range(lo, hi + 1, step))


FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: _steps(1024, 4096, 1024),
    1024: _steps(2048, 8192, 1024),
    2048: _steps(4096, 16384, 1024),
    4096: _steps(8192, 30720, 1024),
    8192: _steps(16384, 61440, 4096),
    16384: _steps(32768, 122880, 8192),
}

FARGATE_MEMORIES: tuple[int, ...] = tuple(sorted({m for ms in FARGATE_SIZES.values() for m in ms}))


def check_memory(memory_mib: int) -> None:
    """A task memory must be one of Fargate's sizes (same table as above): anything else is a usage error,
    never a division by zero or a "holds them" for a size ECS would refuse."""
    if memory_mib not in FARGATE_MEMORIES:
        raise UsageError(
            f"--memory {memory_mib} MiB is not a Fargate task memory size.",
            f"Pass one of Fargate's sizes in MiB: 512, 1024, 2048, then 1024 steps up to 30720, 4096 steps up to 61440, "
            f"8192 steps up to {FARGATE_MEMORIES[-1]} (e.g. --memory 8192).",
        )


# Health-check grace: Chroma answers its heartbeat before it reads an index; the first query of a
# collection reads that collection's index from the data directory (EFS). The grace covers a
# start plus reading the whole index at a conservative EFS rate, so ECS never replaces a task
# that is still loading (issue 12 item 16).
GRACE_BASE_S = 120
GRACE_READ_MIB_PER_S = 50  # far under EFS Elastic throughput's per-client read rate (see the ecs README)
GRACE_MAX_S = 3600


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


@dataclass(frozen=True)
class Estimate:
    vectors: int
    dims: int
    index_bytes: int
    steady_bytes: int
    load_bytes: int

    @property
    def steady_mib(self) -> int:
        return _ceil_div(self.steady_bytes, MIB)

    @property
    def load_mib(self) -> int:
        return _ceil_div(self.load_bytes, MIB)

    @property
    def min_memory_steady_mib(self) -> int:
        """Smallest task memory whose alarm threshold, less the headroom, holds the steady state."""
        return _ceil_div(self.steady_bytes * 10000, ALARM_PERCENT * (100 - HEADROOM_PERCENT) * MIB)

    @property
    def min_memory_load_mib(self) -> int:
        """Smallest task memory that a bulk load stays under LOAD_CEILING_PERCENT of."""
        return _ceil_div(self.load_bytes * 100, LOAD_CEILING_PERCENT * MIB)

    @property
    def min_memory_mib(self) -> int:
        return max(self.min_memory_steady_mib, self.min_memory_load_mib)


def _validate(vectors: int, dims: int) -> None:
    if vectors < 0:
        raise UsageError(f"--vectors must be 0 or more, not {vectors}.", "Pass the number of vectors the env will hold, e.g. --vectors 1000000.")
    if not 1 <= dims <= 65536:
        raise UsageError(f"--dims must be between 1 and 65536, not {dims}.", "Pass the embedding's dimensions, e.g. --dims 1536.")


def estimate(vectors: int, dims: int) -> Estimate:
    _validate(vectors, dims)
    index = _ceil_div(vectors * (PER_VECTOR_BYTES * 100 + PER_DIM_BYTES_X100 * dims), 100)
    return Estimate(vectors, dims, index, FIXED_BYTES + index, FIXED_BYTES + LOAD_EXTRA_BYTES + _ceil_div(index * LOAD_PERCENT, 100))


def grace_seconds(vectors: int, dims: int) -> int:
    """Health-check grace for a task holding `vectors` x `dims`: a start plus reading the index."""
    index_mib = _ceil_div(estimate(vectors, dims).index_bytes, MIB)
    return min(GRACE_MAX_S, GRACE_BASE_S + _ceil_div(index_mib, GRACE_READ_MIB_PER_S))


@dataclass(frozen=True)
class Fit:
    """How a task size holds an estimate: each figure's share of the task, and which fails."""

    cpu: int
    memory_mib: int
    steady_percent: float
    load_percent: float
    steady_ok: bool
    load_ok: bool

    @property
    def ok(self) -> bool:
        return self.steady_ok and self.load_ok


def fit(est: Estimate, cpu: int, memory_mib: int) -> Fit:
    return Fit(
        cpu, memory_mib,
        steady_percent=100.0 * est.steady_bytes / (memory_mib * MIB),
        load_percent=100.0 * est.load_bytes / (memory_mib * MIB),
        steady_ok=memory_mib >= est.min_memory_steady_mib,
        load_ok=memory_mib >= est.min_memory_load_mib,
    )


def failures(est: Estimate, memory_mib: int) -> list[str]:
    """One sentence per figure the task's memory cannot hold (empty when it fits)."""
    out = []
    f = fit(est, 0, memory_mib)
    if not f.steady_ok:
        out.append(f"steady state {est.steady_mib} MiB is {f.steady_percent:.0f} % of {memory_mib} MiB, over the "
                   f"{ALARM_PERCENT} % memory alarm less {HEADROOM_PERCENT} % headroom (needs {est.min_memory_steady_mib} MiB)")
    if not f.load_ok:
        out.append(f"during a bulk load {est.load_mib} MiB is {f.load_percent:.0f} % of {memory_mib} MiB, over "
                   f"{LOAD_CEILING_PERCENT} % (needs {est.min_memory_load_mib} MiB)")
    return out


@dataclass(frozen=True)
class Pick:
    estimate: Estimate
    fit: Fit
    grace_seconds: int

    def to_dict(self) -> dict[str, Any]:
        e = self.estimate
        return {
            "vectors": e.vectors, "dims": e.dims, "cpu": self.fit.cpu, "memory_mib": self.fit.memory_mib,
            "steady_state_mib": e.steady_mib, "during_load_mib": e.load_mib,
            "steady_state_percent": round(self.fit.steady_percent, 1), "during_load_percent": round(self.fit.load_percent, 1),
            "alarm_percent": ALARM_PERCENT, "headroom_percent": HEADROOM_PERCENT, "load_ceiling_percent": LOAD_CEILING_PERCENT,
            "health_check_grace_period_seconds": self.grace_seconds,
            "rule": asdict(e) | {"fixed_bytes": FIXED_BYTES, "per_vector_bytes": PER_VECTOR_BYTES,
                                 "per_dim_bytes": PER_DIM_BYTES_X100 / 100, "load_extra_bytes": LOAD_EXTRA_BYTES,
                                 "load_percent": LOAD_PERCENT},
        }


def pick(vectors: int, dims: int, *, min_cpu: int = 256) -> Pick:
    """The smallest Fargate size (least memory, then least cpu) that holds `vectors` x `dims`."""
    est = estimate(vectors, dims)
    need = est.min_memory_mib
    best: tuple[int, int] | None = None
    for cpu, memories in FARGATE_SIZES.items():
        if cpu < min_cpu:
            continue
        for mem in memories:
            if mem >= need and (best is None or (mem, cpu) < (best[1], best[0])):
                best = (cpu, mem)
                break
    if best is None:
        largest = max(FARGATE_SIZES[16384])
        raise UsageError(
            f"{vectors} vectors of {dims} dimensions need {need} MiB by the capacity rule, more than Fargate's largest task ({largest} MiB).",
            "Shard the data over several services (one EFS access point each), or use fewer dimensions.",
        )
    return Pick(est, fit(est, *best), grace_seconds(vectors, dims))


def describe_rule() -> str:
    return (f"steady = {FIXED_BYTES // MIB} MiB + N x ({PER_VECTOR_BYTES} B + {PER_DIM_BYTES_X100 / 100:g} B x dims); "
            f"during load = {(FIXED_BYTES + LOAD_EXTRA_BYTES) // MIB} MiB + {LOAD_PERCENT / 100:g} x the index part; fits when steady <= "
            f"{ALARM_PERCENT} % x {100 - HEADROOM_PERCENT} % and load <= {LOAD_CEILING_PERCENT} % of the task's memory")
