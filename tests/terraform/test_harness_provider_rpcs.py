"""The offline provider's RPCs, called directly (no Terraform) in its own environment.

The provider runs in .venv-tfprov (grpc, protobuf<6, msgpack, tf); this test
drives its servicer there with a script and checks the answers: what the
Terraform-level tests cannot see (the exact plan for destroy, schema upgrade
of odd JSON state, a bug turned into a diagnostic, unknown-value encoding).
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path

import pytest
from tfoffline import harness

SCRIPT = textwrap.dedent(
    r"""
    import json, sys
    import msgpack
    sys.path.insert(0, sys.argv[1])
    import provider as p
    from tf.gen import tfplugin_pb2 as pb

    sv = p.make_servicer(p.LazySchema(p.schema_file()))
    out = {}

    def dv(value):
        return p.encode(pb, value)

    schema = sv.GetProviderSchema(pb.GetProviderSchema.Request(), None)
    out["resources"] = len(schema.resource_schemas)
    out["caps"] = [schema.server_capabilities.plan_destroy, schema.server_capabilities.get_provider_schema_optional]
    nb = {b.type_name: b for b in schema.resource_schemas["aws_ecs_service"].block.block_types}
    out["lb_nesting"] = nb["load_balancer"].nesting
    out["net_max"] = nb["network_configuration"].max_items
    loc = {b.type_name: b for b in schema.resource_schemas["aws_lexv2models_bot_version"].block.block_types}
    out["locale"] = [loc["locale_specification"].nesting, loc["locale_specification"].min_items]
    meta = sv.GetMetadata(pb.GetMetadata.Request(), None)
    out["meta"] = len(meta.resources)

    cfg = {a.name: None for a in schema.provider.block.attributes}
    cfg.update({b.type_name: [] for b in schema.provider.block.block_types})
    cfg["region"] = "eu-north-1"
    cfg["default_tags"] = [{"tags": {"Team": "db"}}]
    sv.ConfigureProvider(pb.ConfigureProvider.Request(config=dv(cfg)), None)

    block = {a.name: None for a in schema.resource_schemas["aws_cloudwatch_log_group"].block.attributes}
    config = dict(block, name="/x", tags={"Name": "x"})
    plan = sv.PlanResourceChange(pb.PlanResourceChange.Request(
        type_name="aws_cloudwatch_log_group", proposed_new_state=dv(config), config=dv(config)), None)
    planned = p.decode(plan.planned_state)
    out["plan_unknown"] = sorted(k for k, v in planned.items() if v is p.UNKNOWN)
    out["plan_region"] = planned["region"]
    out["plan_tags_all"] = planned["tags_all"]

    applied = sv.ApplyResourceChange(pb.ApplyResourceChange.Request(
        type_name="aws_cloudwatch_log_group", planned_state=plan.planned_state, config=dv(config)), None)
    state = p.decode(applied.new_state)
    out["apply"] = {k: state[k] for k in ("id", "arn", "region", "tags_all", "retention_in_days", "skip_destroy")}

    again = sv.PlanResourceChange(pb.PlanResourceChange.Request(
        type_name="aws_cloudwatch_log_group", prior_state=applied.new_state,
        proposed_new_state=applied.new_state, config=dv(config)), None)
    out["update_same"] = p.decode(again.planned_state) == state

    gone = sv.PlanResourceChange(pb.PlanResourceChange.Request(
        type_name="aws_cloudwatch_log_group", prior_state=applied.new_state,
        proposed_new_state=pb.DynamicValue(msgpack=msgpack.packb(None)), config=dv(None)), None)
    out["destroy_planned"] = p.decode(gone.planned_state)
    done = sv.ApplyResourceChange(pb.ApplyResourceChange.Request(
        type_name="aws_cloudwatch_log_group", prior_state=applied.new_state,
        planned_state=gone.planned_state), None)
    out["destroy_applied"] = p.decode(done.new_state)

    read = sv.ReadResource(pb.ReadResource.Request(type_name="aws_cloudwatch_log_group", current_state=applied.new_state), None)
    out["read_same"] = read.new_state.msgpack == applied.new_state.msgpack

    raw = json.dumps({"name": "/old", "arn": "arn:old", "no_such_attribute": 1}).encode()
    up = sv.UpgradeResourceState(pb.UpgradeResourceState.Request(
        type_name="aws_cloudwatch_log_group", version=0, raw_state=pb.RawState(json=raw)), None)
    upgraded = json.loads(up.upgraded_state.json)
    out["upgrade"] = [upgraded["name"], upgraded["kms_key_id"], "no_such_attribute" in upgraded, sorted(upgraded) == sorted(block)]

    ds = {a.name: None for a in schema.data_source_schemas["aws_caller_identity"].block.attributes}
    ident = p.decode(sv.ReadDataSource(pb.ReadDataSource.Request(type_name="aws_caller_identity", config=dv(ds)), None).state)
    out["identity"] = [ident["account_id"], ident["arn"]]
    rg = {a.name: None for a in schema.data_source_schemas["aws_region"].block.attributes}
    out["region_ds"] = p.decode(sv.ReadDataSource(pb.ReadDataSource.Request(type_name="aws_region", config=dv(rg)), None).state)["region"]

    bad = sv.PlanResourceChange(pb.PlanResourceChange.Request(
        type_name="aws_cloudwatch_log_group", proposed_new_state=pb.DynamicValue(msgpack=b"\xc1")), None)
    out["bug_diag"] = [d.summary for d in bad.diagnostics]
    unknown_type = sv.PlanResourceChange(pb.PlanResourceChange.Request(type_name="aws_nope", proposed_new_state=dv({})), None)
    out["unknown_type"] = [d.summary for d in unknown_type.diagnostics]
    imp = sv.ImportResourceState(pb.ImportResourceState.Request(type_name="aws_vpc", id="vpc-1"), None)
    out["import"] = [d.summary for d in imp.diagnostics]

    out["unknown_bytes"] = msgpack.packb(p.UNKNOWN, default=p._default).hex()
    refined = msgpack.packb(msgpack.ExtType(12, b"\x81\x01\xc3"))
    out["refined_is_unknown"] = msgpack.unpackb(refined, ext_hook=p._ext_hook) is p.UNKNOWN
    print(json.dumps(out))
    """
)


@pytest.fixture(scope="module")
def answers() -> dict:
    harness.check_provider_env()
    proc = subprocess.run(
        [str(harness.provider_python()), "-c", SCRIPT, str(harness.PKG_DIR)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        # the whole schema (the cut to a root's types has its own tests below)
        env={**os.environ, "TFOFFLINE_FULL_SCHEMA": "1"},
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_schema_rpcs(answers: dict) -> None:
    assert answers["resources"] == answers["meta"] >= 1700
    assert answers["caps"] == [True, True]
    assert answers["lb_nesting"] == 3  # SET
    assert answers["net_max"] == 1
    assert answers["locale"] == [4, 0]  # MAP, no min_items


def test_plan_apply_read_destroy(answers: dict) -> None:
    # computed attributes left unset are unknown; region and tags_all are planned like the real provider
    assert answers["plan_unknown"] == [
        "arn",
        "deletion_protection_enabled",
        "id",
        "log_group_class",
        "name_prefix",
    ]
    assert answers["plan_region"] == "eu-north-1"
    assert answers["plan_tags_all"] == {"Team": "db", "Name": "x"}
    assert answers["apply"] == {
        "id": "/x",
        "arn": "arn:aws:logs:eu-north-1:123456789012:log-group:/x",
        "region": "eu-north-1",
        "tags_all": {"Team": "db", "Name": "x"},
        "retention_in_days": None,  # optional, not computed: stays as configured (null)
        "skip_destroy": None,
    }
    assert answers["update_same"] is True
    assert answers["destroy_planned"] is None
    assert answers["destroy_applied"] is None
    assert answers["read_same"] is True


def test_upgrade_and_data_sources(answers: dict) -> None:
    assert answers["upgrade"] == ["/old", None, False, True]
    assert answers["identity"] == ["123456789012", "arn:aws:iam::123456789012:user/tfoffline"]
    assert answers["region_ds"] == "eu-north-1"


def test_errors_become_diagnostics(answers: dict) -> None:
    assert answers["bug_diag"] and answers["bug_diag"][0].startswith(
        "Offline provider failed in PlanResourceChange"
    )
    assert answers["unknown_type"] == ["Unknown resource type aws_nope"]
    assert answers["import"] == ["Import is not supported by the offline test provider"]


def test_unknown_value_encoding(answers: dict) -> None:
    assert answers["unknown_bytes"] == "d40000"  # fixext1, extension type 0
    assert answers["refined_is_unknown"] is True


SERVED = textwrap.dedent(
    r"""
    import json, sys
    sys.path.insert(0, sys.argv[1])
    import provider as p
    from tf.gen import tfplugin_pb2 as pb

    sv = p.make_servicer(p.LazySchema(p.schema_file()))
    schema = sv.GetProviderSchema(pb.GetProviderSchema.Request(), None)
    meta = sv.GetMetadata(pb.GetMetadata.Request(), None)
    print(json.dumps({
        "resources": sorted(schema.resource_schemas), "data": sorted(schema.data_source_schemas),
        "meta": sorted(m.type_name for m in meta.resources),
        "vpc_attrs": len(schema.resource_schemas["aws_vpc"].block.attributes) if "aws_vpc" in schema.resource_schemas else 0,
    }))
    """
)


def _served(root: Path, **env: str) -> dict:
    harness.check_provider_env()
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("TF")}
    proc = subprocess.run(
        [str(harness.provider_python()), "-c", SERVED, str(harness.PKG_DIR)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=root,
        env={**full_env, **env},
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _root(tmp_path: Path, main_tf: str) -> Path:
    root = tmp_path / "root"
    root.mkdir()
    (root / "main.tf").write_text(main_tf)
    return root


MAIN_TF = """
resource "aws_vpc" "this" {
  cidr_block = "10.0.0.0/16"
}
data "aws_region" "here" {}
module "m" {
  source = "./m"
}
"""


def test_serves_the_types_the_root_its_modules_and_its_state_name(tmp_path: Path) -> None:
    root = _root(tmp_path, MAIN_TF)
    (root / "m").mkdir()
    (root / "m" / "main.tf").write_text('resource "aws_s3_bucket" "b" {}\n')
    # the module manifest `terraform init` writes; the state still holds a resource removed from the files
    (root / ".terraform" / "modules").mkdir(parents=True)
    (root / ".terraform" / "modules" / "modules.json").write_text(
        json.dumps({"Modules": [{"Key": "", "Dir": "."}, {"Key": "m", "Dir": "m"}]})
    )
    (root / "terraform.tfstate").write_text(
        json.dumps({"resources": [{"mode": "managed", "type": "aws_sqs_queue"}]})
    )
    served = _served(root)
    assert served["resources"] == ["aws_s3_bucket", "aws_sqs_queue", "aws_vpc"]
    # every aws_* word counts, whatever block it sits in: aws_vpc is a data source too
    assert served["data"] == ["aws_region", "aws_s3_bucket", "aws_sqs_queue", "aws_vpc"]
    assert served["meta"] == served["resources"]
    assert served["vpc_attrs"] >= 15  # a served type carries its whole schema


def test_state_of_a_local_backend_elsewhere_is_read(tmp_path: Path) -> None:
    root = _root(tmp_path, MAIN_TF.replace('module "m" {\n  source = "./m"\n}\n', ""))
    data = tmp_path / "data"
    state = tmp_path / "elsewhere.tfstate"
    state.write_text(json.dumps({"resources": [{"type": "aws_kms_key"}]}))
    data.mkdir()
    (data / "terraform.tfstate").write_text(
        json.dumps({"backend": {"type": "local", "config": {"path": str(state)}}})
    )
    assert "aws_kms_key" in _served(root, TF_DATA_DIR=str(data))["resources"]


@pytest.mark.parametrize(
    "declared", ['terraform {\n  backend "s3" {}\n}\n', "terraform {\n  cloud {\n  }\n}\n"]
)
def test_state_it_cannot_read_means_the_whole_schema(tmp_path: Path, declared: str) -> None:
    root = _root(tmp_path, MAIN_TF.replace('module "m" {\n  source = "./m"\n}\n', "") + declared)
    assert len(_served(root)["resources"]) >= 1700


def test_an_initialised_remote_backend_means_the_whole_schema(tmp_path: Path) -> None:
    root = _root(tmp_path, 'resource "aws_vpc" "this" {}\n')
    (root / ".terraform").mkdir()
    (root / ".terraform" / "terraform.tfstate").write_text(
        json.dumps({"backend": {"type": "s3", "config": {}}})
    )
    assert len(_served(root)["resources"]) >= 1700


def test_local_override_of_a_remote_backend_keeps_the_cut(tmp_path: Path) -> None:
    root = _root(tmp_path, 'resource "aws_vpc" "this" {}\nterraform {\n  backend "s3" {}\n}\n')
    (root / "_tfoffline_override.tf").write_text('terraform {\n  backend "local" {}\n}\n')
    assert _served(root)["resources"] == ["aws_vpc"]


def test_full_schema_switch(tmp_path: Path) -> None:
    root = _root(tmp_path, 'resource "aws_vpc" "this" {}\n')
    assert len(_served(root, TFOFFLINE_FULL_SCHEMA="1")["resources"]) >= 1700
