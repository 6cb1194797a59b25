"""Issue 15: the AWS region list lives in one place in HCL (terraform/stack/regions.tf, read by the stack's
region and failover_region validations) and agrees with the CLI's (cli/chromactl/regions.py). No other .tf
file carries a copy of the list or a region-name pattern; the modules trust the stack's check.
(That the validation refuses an unknown region is test_validations.py's "unknown region" case.)"""

from __future__ import annotations

import re
from pathlib import Path

import hcl2
from chromactl import regions

from tests.stack._tfplan import REPO

REGIONS_TF = REPO / "terraform" / "stack" / "regions.tf"
# a region name as a string literal: us-east-1, us-gov-west-1, ap-southeast-7
REGION_LITERAL = re.compile(r'"[a-z]{2}(?:-gov)?-[a-z]+-[0-9]"')


def hcl_regions() -> list[str]:
    with REGIONS_TF.open(encoding="utf-8") as fh:
        (block,) = hcl2.load(fh)["locals"]
    return [r.strip('"') for r in block["aws_regions"]]  # python-hcl2 keeps string literals quoted


def tf_files() -> list[Path]:
    return sorted(p for top in ("terraform", "envs") for p in (REPO / top).rglob("*.tf")
                  if ".terraform" not in p.parts and not p.is_symlink())


def test_the_hcl_list_is_the_clis_list() -> None:
    listed = hcl_regions()
    assert len(listed) == len(set(listed)) == 36
    assert set(listed) == regions.KNOWN_REGIONS
    assert all(regions._SHAPE.match(r) for r in listed)  # the CLI's pattern (its hint) fits every name


def test_the_stack_validates_both_regions_against_the_one_list() -> None:
    text = (REPO / "terraform" / "stack" / "variables.tf").read_text(encoding="utf-8")
    for var in ("region", "failover_region"):
        block = re.search(rf'(?ms)^variable "{var}" \{{.*?^\}}', text)
        assert block and f"contains(local.aws_regions, var.{var})" in block.group(0), var


def test_no_other_tf_file_carries_a_region_list_or_pattern() -> None:
    # A list literal of region names is a copy of the list; a map keyed by region (alb's ELB log-delivery
    # accounts, the envs' azs_by_region) is another fact, keyed by some regions, and is not one.
    copies = {}
    for path in tf_files():
        if path == REGIONS_TF:
            continue
        text = path.read_text(encoding="utf-8")
        lists = [m.group(0) for m in re.finditer(r"\[[^\[\]]*\]", text) if len(REGION_LITERAL.findall(m.group(0))) > 2]
        if lists or "(-gov)?" in text:
            copies[str(path.relative_to(REPO))] = lists[0][:80] if lists else "a region pattern"
    assert not copies, f"region lists or patterns outside terraform/stack/regions.tf: {copies}"
