"""`scripts/tf-offline DIR plan` shows the strict diagnostics the way Terraform shows the real
provider's: Error line, the resource address, the file and line of the argument."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

ROOT = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 6.0" }
  }
}
provider "aws" {
  region = "eu-west-1"
}
variable "mode" {
  type    = string
  default = "fast"
}
resource "aws_efs_file_system" "data" {
  throughput_mode = var.mode
}
"""


def test_tf_offline_plan_shows_the_provider_error(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(ROOT)
    env = {k: v for k, v in os.environ.items() if k != "TFOFFLINE_ZYGOTE"}
    proc = subprocess.run(
        [str(REPO / "scripts" / "tf-offline"), str(tmp_path), "plan", "-no-color"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert 'Error: expected throughput_mode to be one of ["bursting" "provisioned" "elastic"], got fast' in out
    assert "with aws_efs_file_system.data" in out
    assert "main.tf line 15" in out
