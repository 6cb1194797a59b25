"""The old one-module path of plan / apply / destroy (now lifecycle/plan.py and lifecycle/apply.py),
kept because code in the mutation-test scope imports from it inside functions (failover/core.py,
failover/ports.py); new code imports plan.py, apply.py, stack/health.py directly.
"""

from __future__ import annotations

from chromactl.lifecycle.apply import apply_region, apply_saved, destroy
from chromactl.lifecycle.plan import (
    DEFAULT_WAIT_S,
    PlanResult,
    check_converged,
    declared_variables,
    ensure_build_artifacts,
    guard_placeholders,
    plan,
    plan_diff,
    region_vars,
    require_converged,
    settle_pending_secrets,
    show_plan,
)
from chromactl.stack.health import wait_stable

__all__ = ["DEFAULT_WAIT_S", "PlanResult", "apply_region", "apply_saved", "check_converged", "declared_variables", "destroy",
           "ensure_build_artifacts", "guard_placeholders", "plan", "plan_diff", "region_vars", "require_converged",
           "settle_pending_secrets", "show_plan", "wait_stable"]
