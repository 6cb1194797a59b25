"""Resilience drills (`chromactl drill`) and the live-suite orchestration.

Each drill disrupts one thing on purpose, measures how long the stack takes to
recover, compares that with its target (the env's RTO or a drill-specific
one), and undoes whatever it changed in a `finally`, also when it fails
halfway. Modules: common (guard, bounded polling, results, cleanup ledger),
ecs (task and target lookups), kill_task, az_loss, token_rotation,
restore_test, core (dispatch), live (the Terratest-style suite).
"""

SCENARIOS = ("kill-task", "az-loss", "token-rotation", "restore-test")
