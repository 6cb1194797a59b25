"""A scaffolded env plans offline exactly like envs/prod: real Terraform fetches the stack module
from a pinned git ref (a local repository tagged v<version>, as a fork or mirror would be), and the
offline provider plans it. The planned resources are the same as envs/prod's."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from chromactl import __version__
from chromactl.rotation.package import build_zip
from chromactl.scaffold import InitRequest, init_env

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def tagged_module_repo(dest: Path) -> Path:
    """A git repository holding this tree's terraform/, tagged as the release `init` pins."""
    dest.mkdir(parents=True)
    shutil.copytree(REPO / "terraform", dest / "terraform", ignore=shutil.ignore_patterns(".terraform", "*.tfstate*"))
    git = ["git", "-c", "user.name=chromactl-test", "-c", "user.email=test@example.org", "-c", "init.defaultBranch=main"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "modules"], ["tag", f"v{__version__}"]):
        subprocess.run([*git, *args], cwd=dest, check=True, capture_output=True, timeout=60)
    return dest


def addresses(plan: dict[str, Any]) -> set[str]:
    return {rc["address"] for rc in plan.get("resource_changes", []) if rc.get("mode", "managed") == "managed"}


def test_scaffolded_env_plans_like_envs_prod(tmp_path: Path, tf_offline: Any, env_plan: Any) -> None:
    modules = tagged_module_repo(tmp_path / "chromactl-modules")
    infra = tmp_path / "infra"
    infra.mkdir()
    result = init_env(
        InitRequest(env="prod", region="us-east-1", failover_region="us-west-2", domain="chroma.example.com",
                    module_repository=f"git::file://{modules}"),
        infra,
    )
    assert result.module_source == f"git::file://{modules}//terraform/stack?ref=v{__version__}"
    build_zip(infra / "build" / "token-rotation.zip")  # what `chromactl plan` builds before planning
    root = result.env_dir
    tf_offline.init(root)
    # Terraform fetched the module at the pinned ref, not from this checkout
    fetched = root / ".terraform" / "modules" / "stack"
    assert (fetched / "terraform" / "stack" / "main.tf").is_file() or (fetched / "main.tf").is_file()
    plan = tf_offline.plan(root)
    scaffolded, example = addresses(plan), addresses(env_plan("prod"))
    assert len(scaffolded) > 100
    assert scaffolded == example, (sorted(scaffolded - example)[:10], sorted(example - scaffolded)[:10])
