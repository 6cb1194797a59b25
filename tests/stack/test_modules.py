"""Every module and the stack validate on their own (real Terraform, offline provider), their
README tables are in step with variables.tf/outputs.tf, and the code is `terraform fmt` clean."""

from __future__ import annotations

import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import hcl2
import pytest

from tests.stack._tfplan import REPO

MODULES = ("vpc", "efs", "ecs", "alb", "observability")

# Modules that take the aliased failover provider are validated through a tiny root that passes it.
WRAPPERS = {
    "efs": "../terraform/modules/efs",
    "stack": "../terraform/stack",
}
WRAPPER_TF = """
provider "aws" {{
  region = "us-east-1"
}}

provider "aws" {{
  alias  = "failover"
  region = "us-west-2"
}}

{variables}

module "under_test" {{
  source    = "{source}"
  providers = {{ aws = aws, aws.failover = aws.failover }}
{args}
}}
"""


def wrapper_inputs(module_dir: Path) -> dict[str, str]:
    """The module's required inputs become the wrapper's own variables: unset at validate time,
    so Terraform type-checks every expression without judging placeholder values."""
    with (module_dir / "variables.tf").open(encoding="utf-8") as fh:
        variables = hcl2.load(fh)["variable"]
    decls, args = [], []
    for entry in variables:
        for raw_name, body in entry.items():
            if "default" in body:
                continue
            name = raw_name.strip('"')
            vtype = str(body.get("type", "any"))
            vtype = vtype[2:-1] if vtype.startswith("${") else vtype
            decls.append(f'variable "{name}" {{\n  type = {vtype}\n}}')
            args.append(f"  {name} = var.{name}")
    return {"variables": "\n\n".join(decls), "args": "\n".join(args)}


@pytest.fixture(scope="module")
def validations(tf_offline: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    base = tmp_path_factory.mktemp("modules")
    roots: dict[str, Path] = {}
    for name in MODULES:
        if name not in WRAPPERS:
            roots[name] = tf_offline.copy(f"terraform/modules/{name}", base / name)
    for name, source in WRAPPERS.items():
        dest = base / f"wrap_{name}"
        tf_offline.copy(f"terraform/modules/{MODULES[0]}", dest)  # brings terraform/ along
        module_dir = REPO / "terraform" / ("stack" if name == "stack" else f"modules/{name}")
        roots[name] = tf_offline.write_root(
            dest / "root", {"main.tf": WRAPPER_TF.format(source=source, **wrapper_inputs(module_dir))})
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = dict(zip(roots, pool.map(tf_offline.validate, roots.values())))
    return results


@pytest.mark.parametrize("name", [*MODULES, "stack"])
def test_module_validates(name: str, validations: dict[str, dict[str, Any]]) -> None:
    result = validations[name]
    assert result["valid"] is True, [d.get("summary") + ": " + d.get("detail", "") for d in result["diagnostics"]]
    assert result["stage"] == "validate"


@pytest.mark.parametrize("name", MODULES)
def test_module_is_flat_and_complete(name: str) -> None:
    d = REPO / "terraform" / "modules" / name
    assert {p.name for p in d.iterdir() if p.is_file()} >= {"main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"}
    assert not [p for p in d.iterdir() if p.is_dir() and not p.name.startswith(".")]
    versions = (d / "versions.tf").read_text()
    assert re.search(r'required_version\s*=\s*">= 1.10"', versions) and re.search(r'\bversion\s*=\s*"~> 6.0"', versions)


@pytest.mark.parametrize("name", [*MODULES, "stack"])
def test_every_variable_has_a_type_and_a_description(name: str) -> None:
    d = REPO / "terraform" / ("stack" if name == "stack" else f"modules/{name}")
    with (d / "variables.tf").open(encoding="utf-8") as fh:
        variables = hcl2.load(fh)["variable"]
    with (d / "outputs.tf").open(encoding="utf-8") as fh:
        outputs = hcl2.load(fh)["output"]
    for entry in variables:
        for var, body in entry.items():
            assert body.get("type"), f"{name}: {var} has no type"
            assert len(str(body.get("description", "")).strip('"')) > 10, f"{name}: {var} has no description"
    for entry in outputs:
        for out, body in entry.items():
            assert len(str(body.get("description", "")).strip('"')) > 10, f"{name}: output {out} has no description"


def test_only_the_aws_provider_is_used() -> None:
    for path in [*(REPO / "terraform").rglob("*.tf"), *(REPO / "envs").glob("*/*.tf")]:
        text = path.read_text()
        for other in ("hashicorp/random", "hashicorp/archive", "hashicorp/null", "hashicorp/tls", "hashicorp/time"):
            assert other not in text, f"{path} uses {other}"
        assert "aws_iam_policy_document" not in text, f"{path}: write policies with jsonencode()"
        assert "aws_secretsmanager_secret_version" not in text, f"{path}: the token value must never enter state"


def test_readme_tables_are_in_step() -> None:
    proc = subprocess.run([sys.executable, "scripts/gen_module_docs.py", "--check"], cwd=REPO,
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr


def test_readme_check_catches_a_drifted_table(tmp_path: Path) -> None:
    mod = tmp_path / "m"
    mod.mkdir()
    (mod / "variables.tf").write_text('variable "size" {\n  type        = number\n  description = "How big."\n  default     = 3\n}\n')
    (mod / "outputs.tf").write_text('output "id" {\n  description = "The ID."\n  value       = 1\n}\n')
    gen = [sys.executable, str(REPO / "scripts" / "gen_module_docs.py")]
    assert subprocess.run([*gen, str(mod)], capture_output=True, text=True, timeout=60, check=False).returncode == 0
    readme = (mod / "README.md").read_text()
    assert "| `size` | How big. | `number` | `3` | no |" in readme and "| `id` | The ID. |" in readme
    assert subprocess.run([*gen, "--check", str(mod)], capture_output=True, text=True, timeout=60, check=False).returncode == 0
    (mod / "variables.tf").write_text((mod / "variables.tf").read_text() + 'variable "name" {\n  type        = string\n  description = "A name."\n}\n')
    drift = subprocess.run([*gen, "--check", str(mod)], capture_output=True, text=True, timeout=60, check=False)
    assert drift.returncode == 1 and "out of step" in drift.stderr
    assert (mod / "README.md").read_text() == readme  # --check never writes


def test_terraform_fmt_clean(tf_offline: Any) -> None:
    engine = tf_offline.engine
    for d in ("terraform", "envs/dev", "envs/staging", "envs/prod"):
        proc = subprocess.run([*engine.argv, "fmt", "-check", "-recursive", d], cwd=REPO, capture_output=True,
                              text=True, timeout=60, env=tf_offline.env, check=False)
        assert proc.returncode == 0, f"terraform fmt would change: {proc.stdout}"


def test_readme_generator_reports_unparsable_hcl(tmp_path: Path) -> None:
    mod = tmp_path / "broken"
    mod.mkdir()
    (mod / "variables.tf").write_text('variable "x" {\n  type =\n')
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "gen_module_docs.py"), "--check", str(mod)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2 and "cannot be parsed" in proc.stderr and "Traceback" not in proc.stderr
    assert not (mod / "README.md").exists()
