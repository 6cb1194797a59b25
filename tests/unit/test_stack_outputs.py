"""Every output the Python code reads is an output of envs/_root (issue 12, item 5).

StackOutputs is the one typed place holding those names. These tests hold
them against envs/_root/outputs.tf (parsed with python-hcl2), the root's
outputs against terraform/stack/outputs.tf, and every literal output name the
package reads (`<...>outputs.get("x")`, `<...>outputs["x"]`, `.need("x")`)
against StackOutputs, so a name read anywhere but missing from the root fails
here instead of in a real account.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import hcl2
import pytest
from chromactl.errors import ConfigError
from chromactl.stack.outputs import StackOutputs

REPO = Path(__file__).resolve().parents[2]
PKG = REPO / "cli" / "chromactl"


def _outputs(path: Path) -> dict[str, dict[str, object]]:
    with path.open(encoding="utf-8") as fh:
        data = hcl2.load(fh)
    found: dict[str, dict[str, object]] = {}
    for block in data.get("output", []):
        for name, body in block.items():
            found[name.strip('"')] = body
    return found


def _reads() -> dict[str, list[str]]:
    """Literal output names read in the package: name -> ['file:line', ...]."""
    reads: dict[str, list[str]] = {}

    def holder(node: ast.expr) -> bool:  # `outputs`, `ctx.outputs`, `self.outputs`, `stack_outputs`...
        name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
        return name.endswith("outputs")

    for path in PKG.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            key: ast.expr | None = None
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
                if node.func.attr == "get" and holder(node.func.value) or node.func.attr == "need":
                    key = node.args[0]
            elif isinstance(node, ast.Subscript) and holder(node.value):
                key = node.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                reads.setdefault(key.value, []).append(f"{path.relative_to(REPO)}:{node.lineno}")
    return reads


def test_every_name_stackoutputs_reads_is_an_output_of_the_env_root() -> None:
    root = _outputs(REPO / "envs" / "_root" / "outputs.tf")
    missing = sorted(set(StackOutputs.names()) - set(root))
    assert not missing, f"StackOutputs reads outputs envs/_root/outputs.tf does not declare: {missing}"
    for name in ("backup_role_arn", "vpc_id"):  # the two the issue found missing
        assert name in root


def test_the_root_outputs_exist_in_the_stack() -> None:
    stack = _outputs(REPO / "terraform" / "stack" / "outputs.tf")
    for name, body in _outputs(REPO / "envs" / "_root" / "outputs.tf").items():
        m = re.fullmatch(r"\$\{module\.stack\.([a-z0-9_]+)\}", str(body["value"]))
        if m:
            assert m.group(1) in stack, f"envs/_root output {name} reads module.stack.{m.group(1)}, which the stack does not output"


def test_every_literal_output_name_the_package_reads_is_a_stackoutputs_field() -> None:
    reads = _reads()
    assert {"endpoint_url", "cluster_name", "backup_role_arn"} <= set(reads)  # the scan does see the reads
    unknown = {name: where for name, where in reads.items() if name not in StackOutputs.names()}
    assert not unknown, f"output names read but not in StackOutputs (and so not checked against envs/_root): {unknown}"


def test_the_failover_reads_only_stackoutputs_names() -> None:
    from chromactl.failover.core import _PRIMARY_KEYS

    assert set(_PRIMARY_KEYS) <= set(StackOutputs.names())


def test_no_alias_guessing_a_missing_output_is_named() -> None:
    # the old code took ecs_cluster_name/cluster_arn/... as stand-ins; one name now, and a clear error without it
    outputs = StackOutputs.from_values({"ecs_cluster_name": "c", "cluster_arn": "arn", "endpoint_tls_verifiable": False},
                                       where="prod/us-east-1")
    assert outputs.cluster_name is None and outputs.endpoint_tls_verifiable is False
    with pytest.raises(ConfigError) as info:
        outputs.need("cluster_name")
    assert info.value.message == "The outputs of prod/us-east-1 have no cluster_name."
    assert "chromactl output --env prod --region us-east-1" in (info.value.hint or "")
    with pytest.raises(ValueError):
        outputs.need("ecs_cluster_name")  # not an output chromactl reads: a programming error


def test_stackoutputs_is_frozen_and_round_trips() -> None:
    import dataclasses

    values = {"endpoint_url": "https://x", "backup_role_arn": "arn:aws:iam::111122223333:role/r", "unknown": 1}
    outputs = StackOutputs.from_values(values)
    assert outputs.to_values() == {"endpoint_url": "https://x", "backup_role_arn": "arn:aws:iam::111122223333:role/r"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        outputs.endpoint_url = "y"  # type: ignore[misc]
