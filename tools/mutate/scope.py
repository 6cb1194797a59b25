"""What `make mutate` mutates and which fast tests it runs against the mutants.

SCOPE maps each safety-critical module to the functions (mutmut's mangled names: `x_<function>`,
`xǁ<Class>ǁ<method>`, each a glob) whose mutants count in its score. Functions left out of a
module are not safety paths (rendering, CLI plumbing) and are named in docs/testing.md.

TESTS is the test selection: fast tests only (no Terraform, no moto server, no Chroma server),
so a mutant costs a fraction of a second. mutmut then runs, per mutant, only those of them
that called the mutated function in its coverage pass (its stats run), so the map from
module to tests is measured, not written down here.
"""

from __future__ import annotations

# path under cli/ (chromactl package) or the rotation function -> function globs
SCOPE: dict[str, list[str]] = {
    "chromactl/failover/core.py": ["x__fence", "x__promote", "x__gate", "x_gate_endpoint", "x_validate", "x_run_failover",
                                   "x__confirm_protected"],
    "chromactl/failover/ports.py": ["x__latency", "x__smoke"],
    "chromactl/failover/aws.py": ["x_fence_primary"],
    "chromactl/failover/manifest.py": ["x_compare"],
    "chromactl/failover/journal.py": ["*"],
    # the token rules moved from ensure_rule/_auth_condition into AuthRules (ensure, find, grace, _forwards) and _auth_header
    "token_rotation_handler.py": ["xǁRotationǁ*", "xǁAuthRulesǁensure", "xǁAuthRulesǁfind", "xǁAuthRulesǁgrace",
                                  "xǁAuthRulesǁ_forwards", "x__auth_header", "x_condition_value_count", "x_rule_values",
                                  "x_validate_event", "x_is_token", "x_new_token"],
    "chromactl/rotation/token.py": ["x_start_rotation_and_wait", "x_abandon_pending", "x_check_timeout", "x__version_with"],
    "chromactl/poll.py": ["x_poll_until"],  # every wait's loop (failover, token, drills, backup) runs here
    "chromactl/drills/common.py": ["x_guard_protected", "xǁCleanupǁ*", "xǁDrillResultǁ*", "x_poll_until", "x_record_failure",
                                   "x_rto_target", "x_check_timeout"],
    "chromactl/drills/kill_task.py": ["x_healthy_ids", "x_baseline", "x_recovered", "x_run", "x_record_recovery_then_smoke"],
    "chromactl/drills/az_loss.py": ["x_run", "x__settle"],
    "chromactl/lifecycle/planfile.py": ["*"],
    "chromactl/lifecycle/guard.py": ["*"],
    "chromactl/checks/smoke.py": ["xǁSmokeReportǁ*", "x_run_smoke", "x__cleanup"],
    "chromactl/checks/latency.py": ["xǁLatencyReportǁ*", "x__percentiles", "x_parse_slos"],
}

TESTS: list[str] = [
    "tests/failover/test_gate_teeth.py",
    "tests/failover/test_fence_teeth.py",
    "tests/failover/test_journal_teeth.py",
    "tests/failover/test_steps_teeth.py",
    "tests/failover/test_units.py",
    "tests/failover/test_gate_endpoint.py",
    "tests/failover/test_manifest.py::test_baseline_is_newest_entry_at_or_before_the_data",
    "tests/failover/test_manifest.py::test_missing_collection_fails_and_extra_is_reported",
    "tests/failover/test_manifest.py::test_no_baseline_does_not_fail",
    "tests/failover/test_compare_teeth.py",
    "tests/failover/test_core_teeth.py",
    "tests/failover/test_run_failover_teeth.py",
    "tests/rotation/test_rotation_teeth.py",
    "tests/rotation/test_handler_unit.py",
    "tests/rotation/test_handler_teeth.py",
    "tests/rotation/test_first_rotation_stubbed.py",
    "tests/drills/test_drills_teeth.py",
    "tests/drills/test_drill_records_teeth.py",
    "tests/drills/test_common_teeth.py",
    "tests/unit/test_poll.py",
    "tests/drills/test_guard.py",
    "tests/lifecycle/test_guards_teeth.py",
    "tests/checks/test_verdict_teeth.py",
]
