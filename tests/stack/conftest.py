"""Fixtures for the AWS stack tests (terraform/modules, terraform/stack, envs/*).

Everything runs real Terraform against the offline AWS provider (tests/fixtures/terraform.py):
env plans come from the shared, session-cached `env_plan`; the one offline apply (prod,
for policies whose ARNs are only known after apply) is session-scoped here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.stack._tfplan import ENVS, Plan, State, ensure_rotation_zip


@pytest.fixture(scope="session", autouse=True)
def _rotation_zip() -> Path:
    return ensure_rotation_zip()


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def plans(env_plan: Any) -> dict[str, Plan]:
    """The plan of every AWS env, as committed (shared with other tests through env_plan)."""
    return {env: Plan(env_plan(env)) for env in ENVS}


@pytest.fixture(scope="session")
def prod_root(tf_offline: Any) -> Path:
    """envs/prod planned and applied into a local state with the offline provider (never changed
    afterwards: tests only read it or plan against it)."""
    root = tf_offline.copy("envs/prod")
    tf_offline.apply(root)
    return root


@pytest.fixture(scope="session")
def prod_state(tf_offline: Any, prod_root: Path) -> State:
    """The applied prod state: every ARN is filled in and the IAM and resource policies can be read whole."""
    return State(tf_offline.state(prod_root))


@pytest.fixture(scope="session")
def scratch_dev(tf_offline: Any) -> Path:
    """One initialised copy of envs/dev, reused by the bad-input plans (they never apply)."""
    root = tf_offline.copy("envs/dev")
    tf_offline.init(root)
    return root
