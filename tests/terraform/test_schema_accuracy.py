"""The committed hashicorp/aws 6.69.1 schema carries real types, flags and block shapes.

Spot checks against the provider's documented schema for the resources the
stack relies on, the two Terraform-core traps, and the generator itself run
end to end (`python -m tfoffline gen-schema --wheel ...`) on a small synthetic
cdktn wheel, printing its counts.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import os
import subprocess
import sys
import tarfile
import zipfile
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from tfoffline import gen_schema, harness

REPO = harness.REPO


@lru_cache(maxsize=1)
def _doc() -> dict[str, Any]:
    with gzip.open(harness.SCHEMA_FILE) as fh:
        return json.load(fh)


def provider_schema() -> dict[str, Any]:
    return _doc()["provider_schemas"]["registry.terraform.io/hashicorp/aws"]


def block(type_name: str, kind: str = "resource_schemas") -> dict[str, Any]:
    return provider_schema()[kind][type_name]["block"]


def flags(attr: dict[str, Any]) -> str:
    return "".join(k[0].upper() for k in ("required", "optional", "computed") if attr.get(k))


def attrs(b: dict[str, Any]) -> dict[str, tuple[Any, str]]:
    return {n: (a["type"], flags(a)) for n, a in b.get("attributes", {}).items()}


def nested(b: dict[str, Any], name: str) -> dict[str, Any]:
    return b["block_types"][name]


def shape(nb: dict[str, Any]) -> tuple[str, int, int]:
    return nb["nesting_mode"], nb.get("min_items", 0), nb.get("max_items", 0)


def test_efs_access_point() -> None:
    b = block("aws_efs_access_point")
    assert attrs(b) == {
        "arn": ("string", "C"),
        "file_system_arn": ("string", "C"),
        "file_system_id": ("string", "R"),
        "id": ("string", "OC"),
        "owner_id": ("string", "C"),
        "region": ("string", "OC"),
        "tags": (["map", "string"], "O"),
        "tags_all": (["map", "string"], "OC"),
    }
    assert set(b["block_types"]) == {"posix_user", "root_directory"}
    posix = nested(b, "posix_user")
    assert shape(posix) == ("list", 0, 1)
    assert attrs(posix["block"]) == {
        "gid": ("number", "R"),
        "uid": ("number", "R"),
        "secondary_gids": (["set", "number"], "O"),
    }
    root = nested(b, "root_directory")
    assert shape(root) == ("list", 0, 1)
    assert attrs(root["block"]) == {"path": ("string", "OC")}
    info = nested(root["block"], "creation_info")
    assert shape(info) == ("list", 0, 1)
    assert attrs(info["block"]) == {
        "owner_gid": ("number", "R"),
        "owner_uid": ("number", "R"),
        "permissions": ("string", "R"),
    }


def test_ecs_service() -> None:
    b = block("aws_ecs_service")
    a = attrs(b)
    assert a["name"] == ("string", "R")
    assert a["cluster"] == ("string", "OC")
    assert a["task_definition"] == ("string", "O")
    assert a["desired_count"] == ("number", "O")
    assert a["deployment_maximum_percent"] == ("number", "O")
    assert a["deployment_minimum_healthy_percent"] == ("number", "O")
    assert a["enable_execute_command"] == ("bool", "O")
    assert a["launch_type"] == ("string", "OC")
    assert a["platform_version"] == ("string", "OC")
    assert a["health_check_grace_period_seconds"] == ("number", "O")
    assert a["wait_for_steady_state"] == ("bool", "O")
    assert a["triggers"] == (["map", "string"], "OC")
    assert a["arn"] == ("string", "C")
    # blocks, not attributes
    for name in (
        "network_configuration",
        "load_balancer",
        "deployment_circuit_breaker",
        "capacity_provider_strategy",
    ):
        assert name not in a and name in b["block_types"]

    net = nested(b, "network_configuration")
    assert shape(net) == ("list", 0, 1)
    assert attrs(net["block"]) == {
        "subnets": (["set", "string"], "R"),
        "security_groups": (["set", "string"], "O"),
        "assign_public_ip": ("bool", "O"),
    }
    lb = nested(b, "load_balancer")
    assert shape(lb) == ("set", 0, 0)
    la = attrs(lb["block"])
    assert la["container_name"] == ("string", "R")
    assert la["container_port"] == ("number", "R")
    assert la["target_group_arn"] == ("string", "O")
    cb = nested(b, "deployment_circuit_breaker")
    assert shape(cb) == ("list", 0, 1)
    assert attrs(cb["block"]) == {"enable": ("bool", "R"), "rollback": ("bool", "R")}
    assert shape(nested(b, "capacity_provider_strategy")) == ("set", 0, 0)
    assert shape(nested(b, "ordered_placement_strategy"))[0] == "list"
    assert shape(nested(b, "service_registries")) == ("list", 0, 1)
    timeouts = nested(b, "timeouts")
    assert shape(timeouts) == ("single", 0, 0)
    assert attrs(timeouts["block"]) == {
        "create": ("string", "O"),
        "update": ("string", "O"),
        "delete": ("string", "O"),
    }


def test_lb_listener_rule() -> None:
    b = block("aws_lb_listener_rule")
    a = attrs(b)
    assert a["listener_arn"] == ("string", "R")
    assert a["priority"] == ("number", "OC")
    assert a["arn"] == ("string", "C")
    action = nested(b, "action")
    assert shape(action) == ("list", 1, 0)
    aa = attrs(action["block"])
    assert aa["type"] == ("string", "R")
    assert aa["target_group_arn"] == ("string", "O")
    assert aa["order"] == ("number", "OC")
    fixed = nested(action["block"], "fixed_response")
    assert shape(fixed) == ("list", 0, 1)
    assert attrs(fixed["block"]) == {
        "content_type": ("string", "R"),
        "message_body": ("string", "O"),
        "status_code": ("string", "OC"),
    }
    forward = nested(action["block"], "forward")
    assert shape(forward) == ("list", 0, 1)
    assert shape(nested(forward["block"], "target_group")) == ("set", 1, 0)
    condition = nested(b, "condition")
    assert shape(condition) == ("set", 1, 0)
    header = nested(condition["block"], "http_header")
    assert shape(header) == ("list", 0, 1)
    ha = attrs(header["block"])
    assert ha["http_header_name"] == ("string", "R")
    assert ha["values"] == (["set", "string"], "O")
    assert attrs(nested(condition["block"], "path_pattern")["block"])["values"] == (
        ["set", "string"],
        "O",
    )


def test_other_resources_the_stack_uses() -> None:
    assert attrs(block("aws_ecs_task_definition"))["container_definitions"] == ("string", "R")
    assert attrs(block("aws_ecs_task_definition"))["cpu"] == ("string", "O")
    lifecycle = nested(block("aws_efs_file_system"), "lifecycle_policy")
    assert shape(lifecycle) == ("list", 0, 0)
    assert attrs(lifecycle["block"])["transition_to_ia"] == ("string", "O")
    assert shape(nested(block("aws_secretsmanager_secret_rotation"), "rotation_rules")) == (
        "list",
        0,
        1,
    )
    default_action = nested(block("aws_lb_listener"), "default_action")
    assert shape(default_action) == ("list", 1, 0)
    assert attrs(block("aws_iam_role"))["assume_role_policy"] == ("string", "R")
    assert attrs(block("aws_efs_mount_target"))["subnet_id"] == ("string", "R")
    assert attrs(block("aws_caller_identity", "data_source_schemas"))["account_id"] == (
        "string",
        "C",
    )
    assert attrs(block("aws_region", "data_source_schemas"))["region"] == ("string", "OC")
    # SDKv2 "attributes as blocks": set-of-object attributes (block syntax still accepted by Terraform)
    sg = block("aws_security_group")
    assert "ingress" not in sg.get("block_types", {})
    ingress_type, ingress_flags = attrs(sg)["ingress"]
    assert ingress_flags == "OC"
    assert ingress_type == [
        "set",
        [
            "object",
            {
                "cidr_blocks": ["list", "string"],
                "description": "string",
                "from_port": "number",
                "ipv6_cidr_blocks": ["list", "string"],
                "prefix_list_ids": ["list", "string"],
                "protocol": "string",
                "security_groups": ["set", "string"],
                "self": "bool",
                "to_port": "number",
            },
        ],
    ]
    prov = provider_schema()["provider"]["block"]
    assert attrs(prov)["region"] == ("string", "O")
    assert shape(prov["block_types"]["default_tags"]) == ("list", 0, 1)
    assert attrs(prov["block_types"]["default_tags"]["block"])["tags"] == (["map", "string"], "O")


def _walk(b: dict[str, Any], path: str = ""):
    for name, nb in b.get("block_types", {}).items():
        yield f"{path}{name}", nb
        yield from _walk(nb["block"], f"{path}{name}.")


def _has_dynamic(ty: Any) -> bool:
    if ty == "dynamic":
        return True
    if isinstance(ty, list):
        inner = ty[1].values() if ty[0] == "object" else ty[1:]
        return any(_has_dynamic(t) for t in inner)
    return False


def _block_has_dynamic(b: dict[str, Any]) -> bool:
    return any(_has_dynamic(a["type"]) for a in b.get("attributes", {}).values()) or any(
        _block_has_dynamic(nb["block"]) for nb in b.get("block_types", {}).values()
    )


def test_traps_are_avoided_everywhere() -> None:
    """Terraform core rejects set blocks holding dynamic values and map/single blocks with item limits."""
    checked = 0
    schemas = provider_schema()
    for kind in ("resource_schemas", "data_source_schemas"):
        for type_name, s in schemas[kind].items():
            for path, nb in _walk(s["block"]):
                checked += 1
                where = f"{type_name}.{path}"
                assert nb["nesting_mode"] in ("single", "list", "set", "map", "group"), where
                if nb["nesting_mode"] in ("map", "single", "group"):
                    assert not nb.get("min_items") and not nb.get("max_items"), where
                if nb["nesting_mode"] == "set":
                    assert not _block_has_dynamic(nb["block"]), where
            for name, a in s["block"].get("attributes", {}).items():
                assert a.get("required") or a.get("optional") or a.get("computed"), (
                    f"{type_name}.{name}"
                )
                assert not (a.get("required") and (a.get("optional") or a.get("computed"))), (
                    f"{type_name}.{name}"
                )
    assert checked > 6000
    # the map trap exists in this provider version: a required map-nested block
    locale = schemas["resource_schemas"]["aws_lexv2models_bot_version"]["block"]["block_types"][
        "locale_specification"
    ]
    assert locale["nesting_mode"] == "map" and "min_items" not in locale


def test_counts_are_recorded_and_true() -> None:
    doc = _doc()
    meta = doc["generated_from"]
    assert meta["package"] == "cdktn-provider-aws==25.8.1"
    assert meta["provider_version"] == "6.69.1"
    counts = meta["counts"]
    s = provider_schema()
    assert counts["resource_types"] == len(s["resource_schemas"]) >= 1700
    assert counts["data_sources"] == len(s["data_source_schemas"]) >= 650

    def count(b: dict[str, Any]) -> int:
        return len(b.get("attributes", {})) + sum(
            count(nb["block"]) for nb in b.get("block_types", {}).values()
        )

    assert counts["resource_attributes"] == sum(
        count(x["block"]) for x in s["resource_schemas"].values()
    )
    assert counts["data_source_attributes"] == sum(
        count(x["block"]) for x in s["data_source_schemas"].values()
    )
    line = gen_schema.format_counts(counts)
    assert (
        f"{counts['resource_types']} resource types ({counts['resource_attributes']} attributes)"
        in line
    )


# --------------------------------------------------------------------------- the generator, end to end

_RESOURCE_TS = """
// https://registry.terraform.io/providers/hashicorp/aws/6.69.1/docs/resources/demo_thing
import * as cdktn from 'cdktn';

export interface DemoThingRule {
  readonly name: string;
  readonly statement?: any;
}

export function demoThingRuleToHclTerraform(struct?: DemoThingRule | cdktn.IResolvable): any {
  const attrs = {
    name: {
      value: cdktn.stringToHclTerraform(struct!.name),
      isBlock: false,
      type: "simple",
      storageClassType: "string",
    },
    statement: {
      value: cdktn.anyToHclTerraform(struct!.statement),
      isBlock: false,
      type: "simple",
      storageClassType: "any",
    },
  };
  return attrs;
}

export class DemoThingRuleOutputReference extends cdktn.ComplexObject {
  // name - computed: false, optional: false, required: true
  private _name?: string; 
  public get name() {
    return this.getStringAttribute('name');
  }

  // statement - computed: false, optional: true, required: false
  private _statement?: any; 
  public get statement() {
    return this.interpolationForAttribute('statement');
  }
}

export class DemoThingRuleList extends cdktn.ComplexList {
  public get(index: number): DemoThingRuleOutputReference {
    return new DemoThingRuleOutputReference(this.terraformResource, this.terraformAttribute, index, this.wrapsSet);
  }
}

export interface DemoThingLocale {
  readonly voice: string;
}

export function demoThingLocaleToHclTerraform(struct?: DemoThingLocale | cdktn.IResolvable): any {
  const attrs = {
    voice: {
      value: cdktn.stringToHclTerraform(struct!.voice),
      isBlock: false,
      type: "simple",
      storageClassType: "string",
    },
  };
  return attrs;
}

export class DemoThingLocaleOutputReference extends cdktn.ComplexObject {
  // voice - computed: false, optional: false, required: true
  private _voice?: string; 
  public get voice() {
    return this.getStringAttribute('voice');
  }
}

export class DemoThingLocaleMap extends cdktn.ComplexMap {
  public get(key: string): DemoThingLocaleOutputReference {
    return new DemoThingLocaleOutputReference(this.terraformResource, this.terraformAttribute, key);
  }
}

export interface DemoThingSettings {
  readonly retries?: number;
  readonly labels?: { [key: string]: string }[] | cdktn.IResolvable;
}

export function demoThingSettingsToHclTerraform(struct?: DemoThingSettingsOutputReference | DemoThingSettings): any {
  const attrs = {
    retries: {
      value: cdktn.numberToHclTerraform(struct!.retries),
      isBlock: false,
      type: "simple",
      storageClassType: "number",
    },
    labels: {
      value: cdktn.listMapperHcl(cdktn.hashMapperHcl(cdktn.stringToHclTerraform), false)(struct!.labels),
      isBlock: false,
      type: "list",
      storageClassType: "stringMapList",
    },
  };
  return attrs;
}

export class DemoThingSettingsOutputReference extends cdktn.ComplexObject {
  // labels - computed: false, optional: true, required: false
  private _labels?: { [key: string]: string }[] | cdktn.IResolvable; 
  public get labels() {
    return this.interpolationForAttribute('labels');
  }

  // retries - computed: true, optional: true, required: false
  private _retries?: number; 
  public get retries() {
    return this.getNumberAttribute('retries');
  }
}

export class DemoThing extends cdktn.TerraformResource {
  public static readonly tfResourceType = "aws_demo_thing";

  // arn - computed: true, optional: false, required: false
  public get arn() {
    return this.getStringAttribute('arn');
  }

  // ids - computed: true, optional: false, required: false
  public get ids() {
    return cdktn.Fn.tolist(this.getListAttribute('ids'));
  }

  // name - computed: false, optional: false, required: true
  private _name?: string; 
  public get name() {
    return this.getStringAttribute('name');
  }

  // rule - computed: false, optional: true, required: false
  private _rule = new DemoThingRuleList(this, "rule", true);
  public get rule() {
    return this._rule;
  }

  // locale - computed: false, optional: false, required: true
  private _locale = new DemoThingLocaleMap(this, "locale");
  public get locale() {
    return this._locale;
  }

  // settings - computed: false, optional: false, required: true
  private _settings = new DemoThingSettingsOutputReference(this, "settings");
  public get settings() {
    return this._settings;
  }

  protected synthesizeHclAttributes(): { [name: string]: any } {
    const attrs = {
      name: {
        value: cdktn.stringToHclTerraform(this._name),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      rule: {
        value: cdktn.listMapperHcl(demoThingRuleToHclTerraform, true)(this._rule.internalValue),
        isBlock: true,
        type: "set",
        storageClassType: "DemoThingRuleList",
      },
      locale: {
        value: cdktn.hashMapperHcl(demoThingLocaleToHclTerraform)(this._locale.internalValue),
        isBlock: true,
        type: "map",
        storageClassType: "DemoThingLocaleMap",
      },
      settings: {
        value: demoThingSettingsToHclTerraform(this._settings.internalValue),
        isBlock: true,
        type: "list",
        storageClassType: "DemoThingSettingsList",
      },
    };
    return attrs;
  }
}
"""

_PROVIDER_TS = """
import * as cdktn from 'cdktn';
export class AwsProvider extends cdktn.TerraformProvider {
  public static readonly tfResourceType = "aws";
  protected synthesizeHclAttributes(): { [name: string]: any } {
    const attrs = {
      region: {
        value: cdktn.stringToHclTerraform(this._region),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
    };
    return attrs;
  }
}
"""

_DATA_TS = """
import * as cdktn from 'cdktn';
export class DataAwsDemo extends cdktn.TerraformDataSource {
  public static readonly tfResourceType = "aws_demo";

  // id - computed: true, optional: true, required: false
  private _id?: string; 
  public get id() {
    return this.getStringAttribute('id');
  }

  // tags - computed: true, optional: false, required: false
  private _tags = new cdktn.StringMap(this, "tags");
  public get tags() {
    return this._tags;
  }

  protected synthesizeHclAttributes(): { [name: string]: any } {
    const attrs = {
      id: {
        value: cdktn.stringToHclTerraform(this._id),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
    };
    return attrs;
  }
}
"""


def _index_js(ts: str) -> bytes:
    smap = {"version": 3, "sources": ["index.ts"], "mappings": "", "sourcesContent": [ts]}
    b64 = base64.b64encode(json.dumps(smap).encode()).decode()
    return f'"use strict";\nObject.defineProperty(exports, "__esModule", {{ value: true }});\n//# sourceMappingURL=data:application/json;base64,{b64}'.encode()


def _synthetic_wheel(path: Path) -> Path:
    tgz = io.BytesIO()
    with tarfile.open(fileobj=tgz, mode="w:gz") as tar:
        for name, ts in (
            ("demo-thing", _RESOURCE_TS),
            ("provider", _PROVIDER_TS),
            ("data-aws-demo", _DATA_TS),
        ):
            data = _index_js(ts)
            info = tarfile.TarInfo(f"package/lib/{name}/index.js")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("cdktn_provider_aws/_jsii/provider-aws@25.8.1.jsii.tgz", tgz.getvalue())
    return path


def _tool(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "tools"), str(REPO)])
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "tfoffline", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
        check=False,
    )


def test_generator_end_to_end_on_a_synthetic_wheel(tmp_path: Path) -> None:
    wheel = _synthetic_wheel(tmp_path / "cdktn_provider_aws-25.8.1-py3-none-any.whl")
    out = tmp_path / "schema.json.gz"
    proc = _tool("gen-schema", "--wheel", str(wheel), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert (
        "1 resource types (8 attributes), 1 data sources (2 attributes), provider config 1 attributes"
        in proc.stdout
    )
    with gzip.open(out) as fh:
        doc = json.load(fh)
    s = doc["provider_schemas"]["registry.terraform.io/hashicorp/aws"]
    thing = s["resource_schemas"]["aws_demo_thing"]["block"]
    assert attrs(thing) == {
        "arn": ("string", "C"),
        "ids": (["set", "string"], "C"),
        "name": ("string", "R"),
    }
    # trap 1: a set block holding a dynamic field is served as a list
    assert shape(thing["block_types"]["rule"]) == ("list", 0, 0)
    assert attrs(thing["block_types"]["rule"]["block"])["statement"] == ("dynamic", "O")
    # trap 2: a required map-nested block carries no min_items
    assert shape(thing["block_types"]["locale"]) == ("map", 0, 0)
    # a max-1 required block, with a list-of-maps attribute inside
    settings = thing["block_types"]["settings"]
    assert shape(settings) == ("list", 1, 1)
    assert attrs(settings["block"]) == {
        "labels": (["list", ["map", "string"]], "O"),
        "retries": ("number", "OC"),
    }
    assert attrs(s["data_source_schemas"]["aws_demo"]["block"]) == {
        "id": ("string", "OC"),
        "tags": (["map", "string"], "C"),
    }
    assert attrs(s["provider"]["block"]) == {"region": ("string", "O")}
    assert doc["generated_from"]["counts"]["resource_types"] == 1


@pytest.mark.parametrize("content", [b"not a zip", b""])
def test_generator_rejects_a_bad_wheel(tmp_path: Path, content: bytes) -> None:
    wheel = tmp_path / "bad.whl"
    wheel.write_bytes(content)
    proc = _tool("gen-schema", "--wheel", str(wheel), "--out", str(tmp_path / "x.json.gz"))
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("tfoffline: Cannot read the wheel")
    assert not (tmp_path / "x.json.gz").exists()


# --------------------------------------------------------------------------- comparing with a real dump


def test_compare_schema_against_a_dump(tmp_path: Path) -> None:
    """A dump equal to the snapshot except for three planted differences: exactly those are reported."""
    doc = json.loads(json.dumps(_doc()))  # deep copy
    real = doc["provider_schemas"]["registry.terraform.io/hashicorp/aws"]
    ap = real["resource_schemas"]["aws_efs_access_point"]["block"]
    ap["attributes"]["file_system_id"] = {"type": "number", "required": True}  # type differs
    ap["block_types"]["posix_user"]["min_items"] = 1  # shape differs
    real["resource_schemas"]["aws_efs_file_system"]["block"]["block_types"]["lifecycle_policy"][
        "max_items"
    ] = 3
    dump = tmp_path / "dump.json"
    dump.write_text(json.dumps(doc))
    proc = _tool("compare-schema", str(dump), "--show", "5")
    assert proc.returncode == 0, proc.stderr
    first, *rest = proc.stdout.splitlines()
    n_attrs = sum(
        1
        for kind in ("resource_schemas", "data_source_schemas")
        for s in real[kind].values()
        for _ in _all_attrs(s["block"])
    )
    assert f"{n_attrs - 1}/{n_attrs} attributes with the same type and flags" in first
    assert "(1 differ only by a max_items above 1), 2 real differences" in first
    assert sorted(ln.strip().split(":")[0] for ln in rest) == [
        "aws_efs_access_point.file_system_id",
        "aws_efs_access_point.posix_user",
    ]


def _all_attrs(b: dict[str, Any]):
    yield from b.get("attributes", {})
    for nb in b.get("block_types", {}).values():
        yield from _all_attrs(nb["block"])


def test_compare_schema_bad_input(tmp_path: Path) -> None:
    missing = _tool("compare-schema", str(tmp_path / "nope.json"))
    assert (
        missing.returncode == 2
        and "does not exist" in missing.stderr
        and "Traceback" not in missing.stderr
    )
    junk = tmp_path / "junk.json"
    junk.write_text('{"provider_schemas": {}}')
    proc = _tool("compare-schema", str(junk))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("tfoffline: Cannot read") and proc.stderr.count("\n") == 1
