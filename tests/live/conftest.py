"""Fixtures of the live suite's tests: the drills' moto world (steady tasks) is shared."""

from tests.drills.conftest import steady_tasks  # noqa: F401 - fixture re-exported for tests/live
