"""The stack's outputs for one (env, region), typed: what `terraform output -json` printed, read once
per run (read_outputs / read_stack_outputs, below, run Terraform through terraform/runner.py) and
passed down from there.

`StackOutputs` is the one place that knows the output names the Python code
reads; each field is an output of `envs/_root/outputs.tf` (tests/unit/
test_stack_outputs.py holds the names against that file, and every literal
`outputs.get("...")` / `outputs["..."]` in the package against these fields).
There is no guessing between alternative names: a missing output is a
ConfigError naming it.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from chromactl.config import EnvConfig
from chromactl.errors import ConfigError, OperationFailed
from chromactl.output import Output
from chromactl.terraform.runner import Runner


@dataclass(frozen=True)
class StackOutputs:
    """The outputs chromactl reads after an apply (None: the stack does not set it)."""

    endpoint_url: str | None = None
    endpoint_tls_verifiable: bool | None = None
    alb_dns_name: str | None = None
    alb_zone_id: str | None = None
    https_listener_arn: str | None = None
    target_group_arn: str | None = None
    cluster_name: str | None = None
    service_name: str | None = None
    file_system_id: str | None = None
    access_point_id: str | None = None
    file_system_root_directory: str | None = None
    token_secret_arn: str | None = None
    token_rotation_function_name: str | None = None
    token_rotation_log_group_name: str | None = None
    backup_vault_name: str | None = None
    backup_role_arn: str | None = None
    alarm_name_prefix: str | None = None
    account_id: str | None = None
    region: str | None = None
    failover_region: str | None = None
    replica_file_system_id: str | None = None
    dr_backup_vault_name: str | None = None
    dr_kms_key_arn: str | None = None
    vpc_id: str | None = None

    where: str = dataclasses.field(default="", compare=False, repr=False)  # "env/region", for messages

    NOT_OUTPUTS: ClassVar[frozenset[str]] = frozenset({"where"})

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """Every output name the Python code reads."""
        return tuple(f.name for f in dataclasses.fields(cls) if f.name not in cls.NOT_OUTPUTS)

    @classmethod
    def from_values(cls, values: Mapping[str, Any] | StackOutputs | None, *, where: str = "") -> StackOutputs:
        """From `name -> value` (terraform output values, or a state's outputs); unknown names are ignored."""
        if isinstance(values, StackOutputs):
            return values
        values = values or {}
        kwargs: dict[str, Any] = {}
        for name in cls.names():
            value = values.get(name)
            if value is None or value == "":
                continue
            if name == "endpoint_tls_verifiable":
                kwargs[name] = value if isinstance(value, bool) else str(value).lower() == "true"
            else:
                kwargs[name] = str(value)
        return cls(**kwargs, where=where)

    def to_values(self) -> dict[str, Any]:
        """name -> value of the outputs that are set (for journals and recorded outputs)."""
        return {n: getattr(self, n) for n in self.names() if getattr(self, n) is not None}

    def need(self, name: str) -> str:
        """The value of output `name`, or a ConfigError saying the stack does not set it."""
        if name not in self.names():
            raise ValueError(f"{name!r} is not an output chromactl reads (add it to StackOutputs and envs/_root/outputs.tf)")
        value = getattr(self, name)
        if value is None or value == "":
            where = self.where or "this stack"
            env, _, region = where.partition("/")
            hint = (f"Is the stack applied? Check `chromactl output --env {env} --region {region}`." if region
                    else "Is the stack applied? Check `chromactl output`.")
            raise ConfigError(f"The outputs of {where} have no {name}.", hint)
        return str(value)


class OutputValues(dict[str, Any]):
    """name -> value of a stack's outputs, remembering which names Terraform marks sensitive.

    A plain dict for every reader (`outputs.get("endpoint_url")`); `sensitive` carries the
    `"sensitive": true` flag of `terraform output -json` ({"value", "type", "sensitive"}, see
    https://developer.hashicorp.com/terraform/cli/commands/output#json) and of a state file's
    `outputs`, so whatever stores the values (the failover journal and its S3 mirror) can drop
    exactly those, whatever their names.
    """

    def __init__(self, values: Mapping[str, Any] | None = None, sensitive: frozenset[str] | set[str] = frozenset()) -> None:
        super().__init__(values or {})
        self.sensitive = frozenset(sensitive) & frozenset(self)

    @classmethod
    def from_full(cls, full: Mapping[str, Any] | None) -> OutputValues:
        """From name -> {"value", "sensitive", ...} (terraform output -json, or a state's outputs)."""
        items = {k: v for k, v in (full or {}).items() if isinstance(v, dict)}
        return cls({k: v.get("value") for k, v in items.items()}, {k for k, v in items.items() if v.get("sensitive") is True})

    def pick(self, names: tuple[str, ...] | list[str]) -> OutputValues:
        """The named outputs that are set (not None or ""), flags kept."""
        return OutputValues({k: self[k] for k in names if self.get(k) not in (None, "")}, self.sensitive)

    def copy(self) -> OutputValues:
        return OutputValues(self, self.sensitive)


def read_outputs_full(env: EnvConfig, region: str, *, output: Output | None = None, profile: str | None = None) -> dict[str, dict[str, Any]]:
    """name -> {"value", "sensitive", "type"} from the state of (env, region)."""
    runner = Runner(env, region, output or Output(json=True), profile=profile)
    runner.ensure_init()
    result = runner.run(["output", "-json", "-no-color"], step="output", timeout_s=300)
    if result.rc != 0:
        raise runner.failure("output", result)
    try:
        data = json.loads(result.stdout or "{}")
    except json.JSONDecodeError:
        raise OperationFailed(f"terraform output for {env.name}/{region} did not print JSON.", "Run again with --verbose to see the command.") from None
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, dict)}


def read_outputs(env: EnvConfig, region: str, *, output: Output | None = None, profile: str | None = None) -> OutputValues:
    """The outputs' values (sensitive ones included: callers must not print or store them; `.sensitive` names them)."""
    return OutputValues.from_full(read_outputs_full(env, region, output=output, profile=profile))


def read_stack_outputs(env: EnvConfig, region: str, *, output: Output | None = None, profile: str | None = None) -> StackOutputs:
    """The stack's outputs of (env, region), read once, typed."""
    return StackOutputs.from_values(read_outputs(env, region, output=output, profile=profile), where=f"{env.name}/{region}")


def redact(full: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Values for display: sensitive outputs are never printed."""
    return {k: ("(sensitive)" if v.get("sensitive") else v.get("value")) for k, v in full.items()}
