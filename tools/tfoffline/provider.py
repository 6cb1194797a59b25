"""A test-only stand-in for the hashicorp/aws provider (tfplugin6, run by Terraform).

It serves the schema rebuilt from cdktn-provider-aws (schema/aws-6.69.1.json.gz),
so Terraform itself checks every argument name, type, required argument and
block shape, and it answers the resource lifecycle deterministically:

- plan (create): unset computed attributes become unknown; `region` and
  `tags_all` are planned the way the real provider does (provider region,
  default_tags merged with tags);
- plan (update): the proposed new state (prior computed values kept);
- plan (destroy): the null passes through;
- apply: unknowns become deterministic values of the right type (ids, ARNs in
  the configured region and account 123456789012, empty collections...);
- read / upgrade: the current state as it is;
- data sources: computed values filled in deterministically (aws_caller_identity,
  aws_region, aws_partition, aws_availability_zones answer like AWS would).

It talks to no network. Run by the Python of .venv-tfprov (package `tf`,
grpcio, protobuf<6, msgpack); Terraform starts it through the launcher
`bin/terraform-provider-aws` found with a `dev_overrides` CLI config.
Environment: TFOFFLINE_SCHEMA overrides the schema file.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import msgpack

try:  # run as a script (Terraform, the zygote) or imported as tfoffline.provider (tests)
    import remote
    import strict
except ImportError:  # pragma: no cover - package import
    from tfoffline import remote, strict  # type: ignore[no-redef]

ACCOUNT_ID = "123456789012"
PARTITION = "aws"
DEFAULT_REGION = "us-east-1"
SCHEMA_PATH = Path(__file__).resolve().parent / "schema" / "aws-6.69.1.json.gz"
PROVIDER_ADDRESS = "registry.terraform.io/hashicorp/aws"


# --------------------------------------------------------------------------- values


class _Unknown:
    """Terraform's unknown value (msgpack extension 0); only the UNKNOWN instance exists."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<unknown>"


UNKNOWN = _Unknown()


def _ext_hook(code: int, data: bytes) -> Any:
    if code in (0, 12):  # 12: an unknown carrying refinements (cty >= 1.13)
        return UNKNOWN
    return msgpack.ExtType(code, data)


def _default(obj: Any) -> Any:
    if obj is UNKNOWN:
        return msgpack.ExtType(0, b"\x00")
    raise TypeError(f"cannot encode {type(obj).__name__}")


def decode(dv: Any) -> Any:
    if dv is None:
        return None
    if dv.msgpack:
        return msgpack.unpackb(dv.msgpack, raw=False, ext_hook=_ext_hook, strict_map_key=False)
    if dv.json:
        return json.loads(dv.json)
    return None


def encode(pb: Any, value: Any) -> Any:
    return pb.DynamicValue(msgpack=msgpack.packb(value, default=_default, use_bin_type=True))


def has_unknown(value: Any) -> bool:
    if value is UNKNOWN:
        return True
    if isinstance(value, dict):
        return any(has_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(has_unknown(v) for v in value)
    return False


def _known_only(value: Any) -> Any:
    if value is UNKNOWN:
        return "?"
    if isinstance(value, dict):
        return {k: _known_only(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_known_only(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def digest(*parts: Any, n: int = 17) -> str:
    raw = json.dumps([_known_only(p) for p in parts], sort_keys=True, default=str).encode()
    return hashlib.sha256(raw).hexdigest()[:n]


# --------------------------------------------------------------------------- schema


def schema_file() -> Path:
    return Path(os.environ.get("TFOFFLINE_SCHEMA") or SCHEMA_PATH)


def load_schema(path: Path | None = None) -> dict[str, Any]:
    with gzip.open(path or schema_file(), "rb") as fh:
        doc = json.loads(fh.read())
    return doc["provider_schemas"][PROVIDER_ADDRESS]


class LazySchema:
    """The schema JSON, parsed on first use; the protobuf answer to GetProviderSchema is cached on
    disk (keyed by the schema file's hash), so a provider process that only serves the schema (most
    of them: validate, show, each extra alias) starts without parsing the JSON."""

    def __init__(self, path: Path):
        self.path = path
        self.raw = path.read_bytes()
        # keyed by the schema and by this file, so a change to how the answer is built is never stale
        self.key = hashlib.sha256(self.raw + Path(__file__).read_bytes()).hexdigest()[:16]
        self._doc: dict[str, Any] | None = None

    @property
    def doc(self) -> dict[str, Any]:
        if self._doc is None:
            self._doc = json.loads(gzip.decompress(self.raw))["provider_schemas"][PROVIDER_ADDRESS]
        return self._doc

    def cache_file(self) -> Path:
        import tempfile

        return Path(tempfile.gettempdir()) / f"tfoffline-{os.getuid()}-schema-{self.key}.pb"


# --------------------------------------------------------------------------- serving only what a root names

_TYPE_TOKEN = re.compile(rb"\baws_[a-z0-9_]+\b")
_BACKEND = re.compile(rb'\bbackend\s+"([A-Za-z0-9_-]+)"|^\s*cloud\s*\{', re.MULTILINE)
_CONFIG_SUFFIXES = (".tf", ".tf.json", ".tftest.hcl", ".tftest.json", ".tfmock.hcl")


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def _tokens(path: Path) -> set[str]:
    return {m.decode() for m in _TYPE_TOKEN.findall(_read(path))}


def _config_files(d: Path) -> list[Path]:
    try:
        return [f for f in d.iterdir() if f.name.endswith(_CONFIG_SUFFIXES) and f.is_file()]
    except OSError:
        return []


def types_named(root: Path, env: Mapping[str, str] | None = None) -> set[str] | None:
    """Every `aws_*` word in the configuration Terraform reads from `root` (its files, its test files,
    the modules `init` recorded) and in its local state: a superset of the resource and data source
    types the command can need. None when that cannot be known (a remote backend's state, no
    readable module manifest), and then the whole schema is served.

    Serving only these types is the speed-up: Terraform decodes the provider schema at the start of
    every command, and the full one (2,420 types) costs about 0.35 s of CPU each time; a root's
    60-odd types cost almost nothing. A type the root names is served with its complete schema, so
    the checks on it are the same; a misspelt type still gets "does not support resource type"."""
    env = os.environ if env is None else env
    if env.get("TFOFFLINE_FULL_SCHEMA"):
        return None
    data_dir = Path(env.get("TF_DATA_DIR") or ".terraform")
    if not data_dir.is_absolute():
        data_dir = root / data_dir
    found: set[str] = set()
    dirs = [root, root / "tests"]
    manifest = data_dir / "modules" / "modules.json"
    if manifest.is_file():
        try:
            mods = json.loads(manifest.read_text()).get("Modules") or []
            dirs += [root / m["Dir"] for m in mods if isinstance(m, dict) and m.get("Dir")]
        except (OSError, ValueError, TypeError, KeyError):
            return None
    for d in dirs:
        for f in _config_files(d):
            found |= _tokens(f)
    # the state: resources gone from the configuration still need their schema to be planned away
    backend = _backend_in_use(root, data_dir)
    if backend is None:
        return None
    state = Path(backend)
    if not state.is_absolute():
        state = root / state
    found |= _tokens(state)
    workspaces = root / "terraform.tfstate.d"
    if workspaces.is_dir():
        for f in workspaces.rglob("*.tfstate"):
            found |= _tokens(f)
    for f in root.glob("*.tfstate"):
        found |= _tokens(f)
    return found


def _backend_in_use(root: Path, data_dir: Path) -> str | None:
    """The local state file's path, or None when the state lives elsewhere (remote backend, cloud)."""
    initialised = data_dir / "terraform.tfstate"  # the backend `init` configured
    if initialised.is_file():
        try:
            backend = json.loads(initialised.read_text()).get("backend") or {}
        except (OSError, ValueError):
            return None
        if backend.get("type") not in (None, "local"):
            return None
        return str((backend.get("config") or {}).get("path") or "terraform.tfstate")
    overridden_local = any(
        b'backend "local"' in _read(o)
        for o in _config_files(root)
        if o.name.endswith("override.tf")
    )
    for f in _config_files(root):  # not initialised (validate): what the files declare
        for m in _BACKEND.finditer(_read(f)):
            if m.group(1) != b"local" and not overridden_local:
                return None
    return "terraform.tfstate"


_NESTING = {"single": 1, "list": 2, "set": 3, "map": 4, "group": 5}


def block_to_pb(pb: Any, block: dict[str, Any]) -> Any:
    attrs = [
        pb.Schema.Attribute(
            name=name,
            type=json.dumps(a["type"]).encode(),
            required=bool(a.get("required")),
            optional=bool(a.get("optional")),
            computed=bool(a.get("computed")),
            sensitive=bool(a.get("sensitive")),
        )
        for name, a in sorted(block.get("attributes", {}).items())
    ]
    blocks = [
        pb.Schema.NestedBlock(
            type_name=name,
            block=block_to_pb(pb, nb["block"]),
            nesting=_NESTING[nb["nesting_mode"]],
            min_items=int(nb.get("min_items", 0)),
            max_items=int(nb.get("max_items", 0)),
        )
        for name, nb in sorted(block.get("block_types", {}).items())
    ]
    return pb.Schema.Block(attributes=attrs, block_types=blocks)


# --------------------------------------------------------------------------- deterministic values

_SERVICE = [
    ("aws_lb", "elasticloadbalancing"),
    ("aws_alb", "elasticloadbalancing"),
    ("aws_ecs_", "ecs"),
    ("aws_efs_", "elasticfilesystem"),
    ("aws_iam_", "iam"),
    ("aws_kms_", "kms"),
    ("aws_secretsmanager_", "secretsmanager"),
    ("aws_cloudwatch_log_", "logs"),
    ("aws_cloudwatch_", "cloudwatch"),
    ("aws_sns_", "sns"),
    ("aws_sqs_", "sqs"),
    ("aws_s3", "s3"),
    ("aws_backup_", "backup"),
    ("aws_route53", "route53"),
    ("aws_acm_", "acm"),
    ("aws_lambda_", "lambda"),
    ("aws_ecr_", "ecr"),
    ("aws_appautoscaling_", "application-autoscaling"),
    ("aws_dynamodb_", "dynamodb"),
    ("aws_wafv2_", "wafv2"),
    ("aws_vpc", "ec2"),
    ("aws_subnet", "ec2"),
    ("aws_security_group", "ec2"),
    ("aws_internet_gateway", "ec2"),
    ("aws_nat_gateway", "ec2"),
    ("aws_route_table", "ec2"),
    ("aws_eip", "ec2"),
    ("aws_network", "ec2"),
    ("aws_flow_log", "ec2"),
    ("aws_ec2_", "ec2"),
    ("aws_launch_template", "ec2"),
    ("aws_instance", "ec2"),
]
_GLOBAL_SERVICES = {"iam", "route53", "s3"}
_ID_PREFIX = {
    "aws_vpc": "vpc",
    "aws_subnet": "subnet",
    "aws_security_group": "sg",
    "aws_internet_gateway": "igw",
    "aws_nat_gateway": "nat",
    "aws_eip": "eipalloc",
    "aws_route_table": "rtb",
    "aws_efs_file_system": "fs",
    "aws_efs_access_point": "fsap",
    "aws_efs_mount_target": "fsmt",
    "aws_vpc_endpoint": "vpce",
    "aws_network_acl": "acl",
    "aws_flow_log": "fl",
    "aws_vpc_security_group_ingress_rule": "sgr",
    "aws_vpc_security_group_egress_rule": "sgr",
    "aws_security_group_rule": "sgrule",
    "aws_route": "r",
    "aws_route_table_association": "rtbassoc",
    "aws_instance": "i",
    "aws_launch_template": "lt",
}
_ARN_IS_ID = (
    "aws_lb",
    "aws_alb",
    "aws_lb_listener",
    "aws_lb_listener_rule",
    "aws_lb_target_group",
    "aws_alb_listener",
    "aws_alb_target_group",
    "aws_ecs_cluster",
    "aws_ecs_service",
    "aws_secretsmanager_secret",
    "aws_secretsmanager_secret_rotation",
    "aws_sns_topic",
    "aws_iam_policy",
    "aws_iam_openid_connect_provider",
    "aws_acm_certificate",
    "aws_backup_vault_policy",
)
_NAME_IS_ID = (
    "aws_iam_role",
    "aws_iam_user",
    "aws_iam_instance_profile",
    "aws_cloudwatch_log_group",
    "aws_s3_bucket",
    "aws_ecr_repository",
    "aws_cloudwatch_metric_alarm",
    "aws_kms_alias",
    "aws_cloudwatch_dashboard",
    "aws_dynamodb_table",
    "aws_backup_vault",
    "aws_lambda_function",
)


def service_of(type_name: str) -> str:
    for prefix, svc in _SERVICE:
        if type_name.startswith(prefix):
            return svc
    return type_name.removeprefix("aws_").split("_")[0]


class Context:
    """What deterministic values are derived from: resource type, its known values, region."""

    def __init__(self, type_name: str, obj: dict[str, Any], region: str):
        self.type_name = type_name
        self.obj = obj
        r = obj.get("region") if isinstance(obj, dict) else None
        self.region = r if isinstance(r, str) and r else region
        self.hash = digest(type_name, obj)

    def name(self) -> str:
        for key in (
            "name",
            "bucket",
            "family",
            "function_name",
            "cluster_identifier",
            "alarm_name",
            "name_prefix",
        ):
            v = self.obj.get(key) if isinstance(self.obj, dict) else None
            if isinstance(v, str) and v:
                return v + (self.hash[:8] if key == "name_prefix" else "")
        return f"{self.type_name.removeprefix('aws_').replace('_', '-')}-{self.hash[:8]}"

    def arn(self, what: str | None = None) -> str:
        svc = service_of(self.type_name)
        region = "" if svc in _GLOBAL_SERVICES else self.region
        account = "" if svc == "s3" else ACCOUNT_ID
        if what is None:
            kind = self.type_name.removeprefix("aws_")
            for p in (
                svc + "_",
                svc.split("-")[0] + "_",
                "lb_",
                "alb_",
                "cloudwatch_log_",
                "cloudwatch_",
            ):
                if kind.startswith(p):
                    kind = kind[len(p) :]
                    break
            what = f"{kind.replace('_', '-')}/{self.name()}"
        if svc == "s3":
            return f"arn:{PARTITION}:s3:::{self.name()}"
        if self.type_name == "aws_cloudwatch_log_group" and what.startswith("group/"):
            what = f"log-group:{self.name()}"
        return f"arn:{PARTITION}:{svc}:{region}:{account}:{what}"

    def ident(self) -> str:
        t = self.type_name
        if t in _ARN_IS_ID:
            return self.arn()
        if t in _NAME_IS_ID:
            return self.name()
        if t == "aws_kms_key":
            h = self.hash + digest(self.hash, n=15)
            return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"
        prefix = _ID_PREFIX.get(t)
        if prefix:
            return f"{prefix}-{self.hash}"
        return f"{self.name()}"


def fill_string(name: str, ctx: Context) -> str:
    if name == "id":
        return ctx.ident()
    if name in ("arn",):
        if ctx.type_name == "aws_kms_key":
            return ctx.arn(f"key/{ctx.ident()}")
        return ctx.arn()
    if name in ("owner_id", "account_id", "owner_account_id", "registry_id"):
        return ACCOUNT_ID
    if name == "region":
        return ctx.region
    if name == "partition":
        return PARTITION
    if name.endswith("_arn"):
        kind = name[: -len("_arn")].replace("_", "-")
        return ctx.arn(f"{kind}/{digest(ctx.hash, name, n=12)}")
    if name == "public_ip" or name.endswith("_public_ip") or name == "carrier_ip":
        # an address, not a placeholder word: configurations build CIDRs from it ("${ip}/32")
        # that the strict checks then parse (documentation range, RFC 5737)
        return f"203.0.113.{int(digest(ctx.hash, name, n=4), 16) % 254 + 1}"
    if name in ("private_ip", "ip_address") or name.endswith("_private_ip"):
        h = int(digest(ctx.hash, name, n=4), 16)
        return f"10.{h % 256}.{(h >> 8) % 256}.{(h >> 16) % 254 + 1}"
    if name == "dns_name":
        return f"{ctx.name()}-{digest(ctx.hash, name, n=8)}.{ctx.region}.elb.amazonaws.com"
    if name in ("zone_id", "hosted_zone_id"):
        return "Z" + digest(ctx.hash, name, n=13).upper()
    if name == "key_id" and ctx.type_name == "aws_kms_key":
        return ctx.ident()
    if name.endswith("_id"):
        return f"{name[:-3].replace('_', '-')}-{digest(ctx.hash, name)}"
    if name in ("name", "name_prefix"):
        return ctx.name()
    return f"{name}-{digest(ctx.hash, name, n=8)}"


def fill_typed(ty: Any, name: str, ctx: Context, value: Any = UNKNOWN) -> Any:
    """Replace unknowns inside `value` (of cty type `ty`) with deterministic values."""
    if value is None:
        return None
    if ty == "string":
        return fill_string(name, ctx) if value is UNKNOWN else value
    if ty == "number":
        return 0 if value is UNKNOWN else value
    if ty == "bool":
        return False if value is UNKNOWN else value
    if ty == "dynamic" or not isinstance(ty, list):
        return None if value is UNKNOWN else value
    kind, inner = ty[0], ty[1]
    if kind in ("list", "set"):
        if value is UNKNOWN:
            return []
        return [fill_typed(inner, name, ctx, v) for v in value]
    if kind == "map":
        if value is UNKNOWN:
            return {}
        return {k: fill_typed(inner, name, ctx, v) for k, v in value.items()}
    if kind == "object":
        if value is UNKNOWN:
            value = {k: UNKNOWN for k in inner}
        return {k: fill_typed(t, k, ctx, value.get(k)) for k, t in inner.items()}
    if kind == "tuple":
        if value is UNKNOWN:
            return [fill_typed(t, name, ctx) for t in inner]
        return [fill_typed(t, name, ctx, v) for t, v in zip(inner, value)]
    return value


def _nested_items(nb: dict[str, Any], value: Any) -> list[dict[str, Any]]:
    if value is None or value is UNKNOWN:
        return []
    mode = nb["nesting_mode"]
    if mode in ("list", "set"):
        return [v for v in value if isinstance(v, dict)]
    if mode == "map":
        return [v for v in value.values() if isinstance(v, dict)]
    return [value] if isinstance(value, dict) else []


def _compatible(block: dict[str, Any], new: Any, old: Any) -> bool:
    """Could `old` (a prior nested object) be `new` (its proposed value) once new's unset computed
    attributes are taken from old? Used to match set elements, which Terraform cannot."""
    if not isinstance(new, dict) or not isinstance(old, dict):
        return new == old
    for name, a in block.get("attributes", {}).items():
        nv = new.get(name)
        if nv is None and a.get("computed"):
            continue
        if has_unknown(nv) or nv != old.get(name):
            return False
    for name, nb in block.get("block_types", {}).items():
        nv, ov = new.get(name), old.get(name)
        mode = nb["nesting_mode"]
        if mode in ("list", "set"):
            nv, ov = nv or [], ov or []
            if len(nv) != len(ov):
                return False
            if mode == "list":
                if not all(_compatible(nb["block"], a, b) for a, b in zip(nv, ov)):
                    return False
            else:
                unused = list(ov)
                for item in nv:
                    match = next((o for o in unused if _compatible(nb["block"], item, o)), None)
                    if match is None:
                        return False
                    unused.remove(match)
        elif mode == "map":
            nv, ov = nv or {}, ov or {}
            if set(nv) != set(ov) or not all(_compatible(nb["block"], nv[k], ov[k]) for k in nv):
                return False
        elif not _compatible(nb["block"], nv, ov):
            return False
    return True


def keep_prior_computed(block: dict[str, Any], new: Any, old: Any) -> None:
    """Update plan: unset computed attributes keep their prior values, also inside set-nested blocks
    (Terraform's proposed state cannot pair set elements, so the real provider does this pairing)."""
    if not isinstance(new, dict) or not isinstance(old, dict):
        return
    for name, a in block.get("attributes", {}).items():
        if new.get(name) is None and a.get("computed") and old.get(name) is not None:
            new[name] = old[name]
    for name, nb in block.get("block_types", {}).items():
        nv, ov = new.get(name), old.get(name)
        mode = nb["nesting_mode"]
        if mode == "list" and isinstance(nv, list) and isinstance(ov, list):
            for a, b in zip(nv, ov):
                keep_prior_computed(nb["block"], a, b)
        elif mode == "set" and isinstance(nv, list) and isinstance(ov, list):
            unused = list(ov)
            for item in nv:
                match = next((o for o in unused if _compatible(nb["block"], item, o)), None)
                if match is not None:
                    unused.remove(match)
                    keep_prior_computed(nb["block"], item, match)
        elif mode == "map" and isinstance(nv, dict) and isinstance(ov, dict):
            for k in nv.keys() & ov.keys():
                keep_prior_computed(nb["block"], nv[k], ov[k])
        elif mode in ("single", "group"):
            keep_prior_computed(nb["block"], nv, ov)


def mark_unknown(block: dict[str, Any], obj: dict[str, Any]) -> None:
    """Create plan: every computed attribute left null becomes unknown (nested blocks too)."""
    for name, a in block.get("attributes", {}).items():
        if a.get("computed") and obj.get(name) is None:
            obj[name] = UNKNOWN
    for name, nb in block.get("block_types", {}).items():
        for item in _nested_items(nb, obj.get(name)):
            mark_unknown(nb["block"], item)


def fill_block(
    block: dict[str, Any], obj: dict[str, Any], ctx: Context, computed_only: bool = False
) -> None:
    """Apply/read: replace unknowns (or, for data sources, nulls of computed attributes)."""
    for name, a in block.get("attributes", {}).items():
        v = obj.get(name)
        if v is UNKNOWN or (computed_only and v is None and a.get("computed")):
            obj[name] = fill_typed(a["type"], name, ctx, UNKNOWN)
        elif has_unknown(v):
            obj[name] = fill_typed(a["type"], name, ctx, v)
    for name, nb in block.get("block_types", {}).items():
        for item in _nested_items(nb, obj.get(name)):
            fill_block(nb["block"], item, ctx, computed_only)


def conform(block: dict[str, Any], value: Any) -> Any:
    """Shape a JSON state object to the schema: missing attributes null, unknown ones dropped."""
    if not isinstance(value, dict):
        return None
    out: dict[str, Any] = {}
    for name in block.get("attributes", {}):
        out[name] = value.get(name)
    for name, nb in block.get("block_types", {}).items():
        v = value.get(name)
        mode = nb["nesting_mode"]
        if mode in ("list", "set"):
            out[name] = [conform(nb["block"], x) for x in v] if isinstance(v, list) else []
        elif mode == "map":
            out[name] = (
                {k: conform(nb["block"], x) for k, x in v.items()} if isinstance(v, dict) else {}
            )
        else:
            out[name] = conform(nb["block"], v) if isinstance(v, dict) else None
    return out


# --------------------------------------------------------------------------- data sources


def _one_or_list(values: list[str]) -> Any:
    values = sorted(values)
    return values[0] if len(values) == 1 else values


def policy_document(state: dict[str, Any]) -> dict[str, Any]:
    """aws_iam_policy_document rendered the way the provider does (single values collapse to strings);
    source/override documents are merged by statement id."""
    statements: list[dict[str, Any]] = []
    for src in state.get("source_policy_documents") or []:
        try:
            statements += json.loads(src).get("Statement", [])
        except (ValueError, AttributeError):
            continue
    for st in state.get("statement") or []:
        out: dict[str, Any] = {}
        if st.get("sid"):
            out["Sid"] = st["sid"]
        out["Effect"] = st.get("effect") or "Allow"
        for key, name in (
            ("actions", "Action"),
            ("not_actions", "NotAction"),
            ("resources", "Resource"),
            ("not_resources", "NotResource"),
        ):
            if st.get(key):
                out[name] = _one_or_list(st[key])
        for key, name in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
            if st.get(key):
                ids_by_type: dict[str, set[str]] = {}
                for p in st[key]:
                    ids_by_type.setdefault(p["type"], set()).update(p.get("identifiers") or [])
                pr = {t: _one_or_list(list(ids)) for t, ids in sorted(ids_by_type.items())}
                out[name] = "*" if pr == {"*": "*"} else pr
        if st.get("condition"):
            cond: dict[str, dict[str, Any]] = {}
            for c in st["condition"]:
                vals = c.get("values") or []
                cond.setdefault(c["test"], {})[c["variable"]] = vals[0] if len(vals) == 1 else vals
            out["Condition"] = cond
        statements = [
            x for x in statements if not (out.get("Sid") and x.get("Sid") == out["Sid"])
        ] + [out]
    for ov in state.get("override_policy_documents") or []:
        try:
            for st in json.loads(ov).get("Statement", []):
                statements = [
                    x for x in statements if not (st.get("Sid") and x.get("Sid") == st["Sid"])
                ] + [st]
        except (ValueError, AttributeError):
            continue
    doc: dict[str, Any] = {"Version": state.get("version") or "2012-10-17"}
    if state.get("policy_id"):
        doc["Id"] = state["policy_id"]
    doc["Statement"] = statements
    return doc


def answer_data_source(type_name: str, state: dict[str, Any], region: str) -> None:
    given = state.get("region")
    r: str = given if isinstance(given, str) else region

    def put(key: str, value: Any) -> None:
        if key in state and state.get(key) is None:
            state[key] = value

    if type_name == "aws_caller_identity":
        put("account_id", ACCOUNT_ID)
        put("arn", f"arn:{PARTITION}:iam::{ACCOUNT_ID}:user/tfoffline")
        put("user_id", "AIDACKCEVSQ6C2EXAMPLE")
        put("id", ACCOUNT_ID)
    elif type_name == "aws_region":
        name = state.get("name") if isinstance(state.get("name"), str) else r
        put("region", name)
        put("name", name)
        put("endpoint", f"ec2.{name}.amazonaws.com")
        put("description", name)
        put("id", name)
    elif type_name == "aws_partition":
        put("partition", PARTITION)
        put("dns_suffix", "amazonaws.com")
        put("reverse_dns_prefix", "com.amazonaws")
        put("id", PARTITION)
    elif type_name == "aws_availability_zones":
        put("names", [f"{r}a", f"{r}b", f"{r}c"])
        short = "".join(p[0] if not p[-1].isdigit() else p[0] + p[-1] for p in r.split("-"))
        put("zone_ids", [f"{short}-az{i}" for i in (1, 2, 3)])
        put("group_names", [r])
        put("id", r)
    elif type_name == "aws_iam_policy_document":
        doc = policy_document(state)
        put("json", json.dumps(doc, indent=2))
        put("minified_json", json.dumps(doc, separators=(",", ":")))
        put("id", str(int(digest(doc, n=8), 16)))
    elif type_name == "aws_availability_zone":
        put("name", f"{r}a")
        put("region", r)
    if "region" in state and state.get("region") is None:
        state["region"] = r


# --------------------------------------------------------------------------- strict checks


def set_paths(block: dict[str, Any], prefix: str = "") -> frozenset[str]:
    """Dotted paths of the set-typed nested blocks and attributes: Terraform cannot address a set
    element by index, so a diagnostic's attribute path stops at the set."""
    out: set[str] = set()
    for name, a in block.get("attributes", {}).items():
        t = a.get("type")
        if isinstance(t, list) and t and t[0] == "set":
            out.add(prefix + name)
    for name, nb in block.get("block_types", {}).items():
        if nb.get("nesting_mode") == "set":
            out.add(prefix + name)
        out |= set_paths(nb["block"], f"{prefix}{name}.")
    return frozenset(out)


def _finding_to_diag(pb: Any, f: Any) -> Any:
    steps = []
    for p in f.path:
        if isinstance(p, int):
            steps.append(pb.AttributePath.Step(element_key_int=p))
        else:
            steps.append(pb.AttributePath.Step(attribute_name=p))
    d = pb.Diagnostic(severity=pb.Diagnostic.ERROR, summary=f.summary, detail=f.detail)
    if steps:
        d.attribute.CopyFrom(pb.AttributePath(steps=steps))
    return d


# --------------------------------------------------------------------------- the servicer


def make_servicer(schema: LazySchema | dict[str, Any]) -> Any:
    from google.protobuf.message import DecodeError
    from tf.gen import tfplugin_pb2 as pb
    from tf.gen import tfplugin_pb2_grpc as rpc

    lazy = schema if isinstance(schema, LazySchema) else None

    def doc() -> dict[str, Any]:
        return lazy.doc if lazy is not None else schema  # type: ignore[return-value]

    _modes = {v: k for k, v in _NESTING.items()}

    def block_from_pb(b: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if b.attributes:
            out["attributes"] = {
                a.name: {
                    "type": json.loads(a.type),
                    "required": a.required,
                    "optional": a.optional,
                    "computed": a.computed,
                }
                for a in b.attributes
            }
        if b.block_types:
            out["block_types"] = {
                nb.type_name: {
                    "nesting_mode": _modes[nb.nesting],
                    "block": block_from_pb(nb.block),
                    "min_items": nb.min_items,
                    "max_items": nb.max_items,
                }
                for nb in b.block_types
            }
        return out

    def diag(summary: str, detail: str = "") -> Any:
        return pb.Diagnostic(severity=pb.Diagnostic.ERROR, summary=summary, detail=detail)

    class OfflineAWS(rpc.ProviderServicer):
        def __init__(self) -> None:
            self.region = DEFAULT_REGION  # the provider block's region when set (deterministic: no env lookup)
            self.default_tags: dict[str, Any] = {}
            self._schema_response: Any = None
            self._served: Any = None
            self._blocks: dict[tuple[str, str], dict[str, Any] | None] = {}
            self._lock = threading.Lock()

        # ---- schema
        def _caps(self) -> Any:
            # get_provider_schema_optional: Terraform may reuse the schema for further instances
            # (aliases) instead of asking each process again.
            return pb.ServerCapabilities(plan_destroy=True, get_provider_schema_optional=True)

        def GetMetadata(self, request: Any, context: Any) -> Any:
            full = self.GetProviderSchema(
                None, None
            )  # the types served, as GetProviderSchema lists them
            return pb.GetMetadata.Response(
                server_capabilities=self._caps(),
                resources=[
                    pb.GetMetadata.ResourceMetadata(type_name=n) for n in full.resource_schemas
                ],
                data_sources=[
                    pb.GetMetadata.DataSourceMetadata(type_name=n) for n in full.data_source_schemas
                ],
            )

        def _build_schema_response(self) -> Any:
            d = doc()
            return pb.GetProviderSchema.Response(
                provider=pb.Schema(version=0, block=block_to_pb(pb, d["provider"]["block"])),
                resource_schemas={
                    n: pb.Schema(version=s.get("version", 0), block=block_to_pb(pb, s["block"]))
                    for n, s in d["resource_schemas"].items()
                },
                data_source_schemas={
                    n: pb.Schema(version=s.get("version", 0), block=block_to_pb(pb, s["block"]))
                    for n, s in d["data_source_schemas"].items()
                },
                server_capabilities=self._caps(),
            )

        def GetProviderSchema(self, request: Any, context: Any) -> Any:
            with self._lock:
                if self._served is None:
                    self._served = self._serve(self._schema())
                return self._served

        def _serve(self, full: Any) -> Any:
            """The full answer cut down to the types the root in Terraform's working directory names
            (types_named); the full answer when that cannot be known."""
            names = types_named(Path.cwd())
            if names is None:
                return full
            return pb.GetProviderSchema.Response(
                provider=full.provider,
                resource_schemas={
                    n: full.resource_schemas[n] for n in sorted(names) if n in full.resource_schemas
                },
                data_source_schemas={
                    n: full.data_source_schemas[n]
                    for n in sorted(names)
                    if n in full.data_source_schemas
                },
                server_capabilities=full.server_capabilities,
            )

        def _schema(self) -> Any:
            if self._schema_response is not None:
                return self._schema_response
            if lazy is not None and lazy.key in _WARM:  # parsed before a zygote forked us
                self._schema_response = _WARM[lazy.key]
                return self._schema_response
            cache = lazy.cache_file() if lazy is not None else None
            if cache is not None and cache.is_file():
                try:
                    self._schema_response = pb.GetProviderSchema.Response.FromString(
                        cache.read_bytes()
                    )
                    return self._schema_response
                except (OSError, DecodeError):  # unreadable cache: rebuild it below
                    self._schema_response = None
            self._schema_response = self._build_schema_response()
            if cache is not None:
                try:
                    tmp = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")
                    tmp.write_bytes(self._schema_response.SerializeToString())
                    tmp.replace(cache)
                    # answers cached for older schemas or provider code are dead weight (1.5 MB each)
                    for old in cache.parent.glob(f"tfoffline-{os.getuid()}-schema-*.pb"):
                        if old != cache:
                            old.unlink(missing_ok=True)
                except OSError:
                    pass
            return self._schema_response

        # ---- validation: Terraform core already checks names, types and shapes against the schema
        def ValidateProviderConfig(self, request: Any, context: Any) -> Any:
            return pb.ValidateProviderConfig.Response()

        def ValidateResourceConfig(self, request: Any, context: Any) -> Any:
            # Terraform core has checked names, types and shapes; these are the provider's own
            # validators (rules/provider.json), run like the SDK does: unknown values are skipped,
            # so `validate` sees the literals and `plan` (which calls this again) the variables.
            if not strict.enabled():
                return pb.ValidateResourceConfig.Response()
            return pb.ValidateResourceConfig.Response(
                diagnostics=self._strict(
                    request.type_name,
                    lambda rules, sets: strict.check_provider(
                        rules, request.type_name, decode(request.config), "validate", sets
                    ),
                )
            )

        def _strict(
            self, type_name: str, check: Callable[[Any, frozenset[str]], list[Any]]
        ) -> list[Any]:
            """Run one strict check; findings (or a rule table that cannot load) as diagnostics."""
            try:
                rules = strict.load()
            except strict.RuleTableError as exc:
                return [
                    diag(
                        str(exc),
                        "The offline provider cannot check AWS's value rules without it (TFOFFLINE_STRICT=0 turns the checks off).",
                    )
                ]
            block = self._block(type_name, "resource_schemas") or {}
            return [_finding_to_diag(pb, f) for f in check(rules, set_paths(block))]

        def ValidateDataResourceConfig(self, request: Any, context: Any) -> Any:
            return pb.ValidateDataResourceConfig.Response()

        def ConfigureProvider(self, request: Any, context: Any) -> Any:
            cfg = decode(request.config) or {}
            region = cfg.get("region")
            if isinstance(region, str) and region:
                self.region = region
            tags: dict[str, Any] = {}
            for dt in cfg.get("default_tags") or []:
                if isinstance(dt, dict) and isinstance(dt.get("tags"), dict):
                    tags.update(dt["tags"])
            self.default_tags = tags
            return pb.ConfigureProvider.Response()

        def StopProvider(self, request: Any, context: Any) -> Any:
            return pb.StopProvider.Response()

        # ---- resources
        def _block(self, type_name: str, table: str) -> dict[str, Any] | None:
            key = (table, type_name)
            if key not in self._blocks:
                full = self.GetProviderSchema(None, None)
                entries = getattr(full, table)
                self._blocks[key] = (
                    block_from_pb(entries[type_name].block) if type_name in entries else None
                )
            return self._blocks[key]

        def _plan_region_and_tags(
            self, block: dict[str, Any], planned: dict[str, Any], config: dict[str, Any]
        ) -> None:
            attrs = block.get("attributes", {})
            if (
                "region" in attrs
                and attrs["region"].get("computed")
                and config.get("region") is None
            ):
                planned["region"] = self.region
            if "tags_all" in attrs and "tags" in attrs and config.get("tags_all") is None:
                tags = planned.get("tags")
                if tags is UNKNOWN or has_unknown(tags):
                    planned["tags_all"] = UNKNOWN
                else:
                    merged = dict(self.default_tags)
                    merged.update(tags or {})
                    planned["tags_all"] = UNKNOWN if has_unknown(merged) else merged

        def PlanResourceChange(self, request: Any, context: Any) -> Any:
            block = self._block(request.type_name, "resource_schemas")
            if block is None:
                return pb.PlanResourceChange.Response(
                    diagnostics=[diag(f"Unknown resource type {request.type_name}")]
                )
            prior = decode(request.prior_state)
            proposed = decode(request.proposed_new_state)
            config = decode(request.config) or {}
            if proposed is None:  # destroy
                return pb.PlanResourceChange.Response(
                    planned_state=request.proposed_new_state, planned_private=request.prior_private
                )
            if prior is None:
                mark_unknown(block, proposed)
            else:
                keep_prior_computed(block, proposed, prior)
            self._plan_region_and_tags(block, proposed, config)
            if (
                strict.enabled()
            ):  # the provider's plan-time checks (CustomizeDiff) and the metric catalog
                diags = self._strict(
                    request.type_name,
                    lambda rules, sets: strict.check_provider(
                        rules, request.type_name, config, "plan", sets
                    ),
                )
                if diags:
                    return pb.PlanResourceChange.Response(diagnostics=diags)
            return pb.PlanResourceChange.Response(
                planned_state=encode(pb, proposed), planned_private=request.prior_private
            )

        def ApplyResourceChange(self, request: Any, context: Any) -> Any:
            block = self._block(request.type_name, "resource_schemas")
            if block is None:
                return pb.ApplyResourceChange.Response(
                    diagnostics=[diag(f"Unknown resource type {request.type_name}")]
                )
            planned = decode(request.planned_state)
            if planned is None:  # destroy
                return pb.ApplyResourceChange.Response(new_state=request.planned_state)
            if (
                strict.enabled()
            ):  # what the AWS API itself refuses (rules/api.json, botocore models)
                prior = decode(request.prior_state)
                diags = self._strict(
                    request.type_name,
                    lambda rules, sets: strict.check_api(
                        rules, request.type_name, planned, self.region, creating=prior is None
                    ),
                )
                if diags:  # nothing was created or changed: the prior state stands
                    return pb.ApplyResourceChange.Response(
                        new_state=request.prior_state,
                        private=request.planned_private,
                        diagnostics=diags,
                    )
            ctx = Context(request.type_name, planned, self.region)
            fill_block(block, planned, ctx)
            return pb.ApplyResourceChange.Response(
                new_state=encode(pb, planned), private=request.planned_private
            )

        def ReadResource(self, request: Any, context: Any) -> Any:
            # The "remote" side: a test may have changed the object in AWS (TFOFFLINE_REMOTE,
            # remote.py), as the rotation function changes a listener rule; read returns that.
            side = remote.side_file()
            if side is None:
                return pb.ReadResource.Response(
                    new_state=request.current_state, private=request.private
                )
            block = self._block(request.type_name, "resource_schemas")
            current = decode(request.current_state)
            try:
                changed = remote.read(side, request.type_name, current)
            except remote.RemoteFileError as exc:
                return pb.ReadResource.Response(
                    new_state=request.current_state, diagnostics=[diag(str(exc))]
                )
            if changed is remote.UNCHANGED:
                return pb.ReadResource.Response(
                    new_state=request.current_state, private=request.private
                )
            if changed is None:  # deleted out of band: Terraform plans to create it again
                return pb.ReadResource.Response(new_state=encode(pb, None), private=request.private)
            return pb.ReadResource.Response(
                new_state=encode(pb, conform(block or {}, changed)), private=request.private
            )

        def UpgradeResourceState(self, request: Any, context: Any) -> Any:
            block = self._block(request.type_name, "resource_schemas")
            if block is None:
                return pb.UpgradeResourceState.Response(
                    diagnostics=[diag(f"Unknown resource type {request.type_name}")]
                )
            raw = request.raw_state.json
            if not raw:
                return pb.UpgradeResourceState.Response(
                    diagnostics=[
                        diag(
                            "The offline provider reads JSON state only",
                            "Flatmap state is not supported.",
                        )
                    ]
                )
            value = conform(block, json.loads(raw))
            return pb.UpgradeResourceState.Response(
                upgraded_state=pb.DynamicValue(json=json.dumps(value).encode())
            )

        def ImportResourceState(self, request: Any, context: Any) -> Any:
            return pb.ImportResourceState.Response(
                diagnostics=[
                    diag(
                        "Import is not supported by the offline test provider",
                        "It has no AWS account to read the object from.",
                    )
                ]
            )

        def ReadDataSource(self, request: Any, context: Any) -> Any:
            block = self._block(request.type_name, "data_source_schemas")
            if block is None:
                return pb.ReadDataSource.Response(
                    diagnostics=[diag(f"Unknown data source {request.type_name}")]
                )
            state = decode(request.config) or {}
            answer_data_source(request.type_name, state, self.region)
            ctx = Context(request.type_name, state, self.region)
            fill_block(block, state, ctx, computed_only=True)
            return pb.ReadDataSource.Response(state=encode(pb, state))

    _guard_rpcs(OfflineAWS, pb, diag)
    return OfflineAWS()


_RPCS = (
    "GetMetadata",
    "GetProviderSchema",
    "ValidateProviderConfig",
    "ValidateResourceConfig",
    "ValidateDataResourceConfig",
    "ConfigureProvider",
    "PlanResourceChange",
    "ApplyResourceChange",
    "ReadResource",
    "UpgradeResourceState",
    "ImportResourceState",
    "ReadDataSource",
)


def _guard_rpcs(cls: Any, pb: Any, diag: Any) -> None:
    """A bug in the double becomes an error diagnostic naming the RPC, not an opaque
    "plugin did not respond" from Terraform."""
    import functools
    import traceback

    for name in _RPCS:
        method = getattr(cls, name)

        def wrapped(self: Any, request: Any, context: Any, _m: Any = method, _n: str = name) -> Any:
            try:
                return _m(self, request, context)
            except Exception as exc:  # noqa: BLE001 - reported to Terraform as a diagnostic
                where = traceback.extract_tb(exc.__traceback__)[-1]
                summary = f"Offline provider failed in {_n}: {type(exc).__name__}: {exc}"
                detail = f"type {getattr(request, 'type_name', '') or '-'}; at {where.name}:{where.lineno}"
                return getattr(pb, _n).Response(diagnostics=[diag(summary, detail)])

        setattr(cls, name, functools.wraps(method)(wrapped))


def server_credentials() -> tuple[bytes, Any]:
    """Server credentials for go-plugin AutoMTLS (Terraform pins the certificate sent in the handshake
    line; the client certificate is not requested). The self-signed ECDSA pair is made once per user
    and kept in $TMPDIR (mode 0600), so a provider start skips importing `cryptography`."""
    import base64
    import tempfile

    import grpc

    cache = Path(tempfile.gettempdir()) / f"tfoffline-{os.getuid()}-plugin-cert.json"
    try:
        st = cache.stat()
        if st.st_uid == os.getuid() and (st.st_mode & 0o077) == 0:
            cached = json.loads(cache.read_text())
            creds = grpc.ssl_server_credentials(
                [(cached["key_pem"].encode(), cached["cert_pem"].encode())],
                require_client_auth=False,
            )
            return base64.b64decode(cached["cert_der"]), creds
    except (OSError, ValueError, KeyError, TypeError):
        pass
    key_pem, cert_pem, cert_der = _new_certificate()
    try:
        tmp = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(
                {
                    "key_pem": key_pem.decode(),
                    "cert_pem": cert_pem.decode(),
                    "cert_der": base64.b64encode(cert_der).decode(),
                },
                fh,
            )
        tmp.replace(cache)
    except OSError:
        pass
    return cert_der, grpc.ssl_server_credentials([(key_pem, cert_pem)], require_client_auth=False)


def _new_certificate() -> tuple[bytes, bytes, bytes]:
    """(key PEM, certificate PEM, certificate DER): self-signed P-256, CN localhost, like go-plugin's."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "localhost"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "HashiCorp"),
        ]
    )
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(seconds=30))
        .not_valid_after(now + datetime.timedelta(hours=262980))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=True,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    return key_pem, cert_pem, cert.public_bytes(serialization.Encoding.DER)


def serve(servicer: Any, alive: Callable[[], bool] | None = None) -> None:
    """go-plugin server: the tfplugin6 service plus the controller and stdio services, on a unix
    socket with AutoMTLS; returns when Terraform shuts the plugin down or `alive()` turns false
    (default: Terraform, our parent, is gone)."""
    import base64
    import tempfile
    from concurrent import futures

    import grpc
    from tf.gen import grpc_controller_pb2 as cpb
    from tf.gen import grpc_controller_pb2_grpc as crpc
    from tf.gen import grpc_stdio_pb2_grpc as srpc
    from tf.gen import tfplugin_pb2_grpc as rpc

    stopped = threading.Event()

    class Controller(crpc.GRPCControllerServicer):
        def Shutdown(self, request: Any, context: Any) -> Any:
            stopped.set()
            return cpb.Empty()

    class Stdio(srpc.GRPCStdioServicer):
        def StreamStdio(self, request: Any, context: Any) -> Any:
            return iter(())

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    rpc.add_ProviderServicer_to_server(servicer, server)
    crpc.add_GRPCControllerServicer_to_server(Controller(), server)
    srpc.add_GRPCStdioServicer_to_server(Stdio(), server)
    cert_der, creds = server_credentials()
    parent = os.getppid()
    with tempfile.TemporaryDirectory(prefix="tfoffline-plugin-") as tmp:
        sock = f"{tmp}/plugin.sock"
        server.add_secure_port(f"unix://{sock}", creds)
        server.start()
        cert_b64 = base64.b64encode(cert_der).decode().rstrip("=")
        sys.stdout.write(f"1|6|unix|{sock}|grpc|{cert_b64}\n")
        sys.stdout.flush()
        # Bounded wait per tick; leave when Terraform says so or is gone (no orphaned plugins).
        if alive is None:
            alive = lambda: os.getppid() == parent
        while not stopped.wait(0.5):
            if not alive():
                break
        server.stop(grace=0.2).wait(1.0)


_WARM: dict[str, Any] = {}  # schema key -> the parsed GetProviderSchema answer (filled by warm())


def warm() -> None:
    """Import and parse what every provider process needs, so processes forked from this one (the
    zygote, zygote.py) start serving at once."""
    import base64  # noqa: F401
    import tempfile  # noqa: F401
    from concurrent import futures  # noqa: F401 - imported for the children

    import grpc  # noqa: F401
    from tf.gen import grpc_controller_pb2_grpc, grpc_stdio_pb2_grpc  # noqa: F401

    # no grpc object is made here: grpc's core must first start in the forked child
    lazy = LazySchema(schema_file())
    _WARM[lazy.key] = make_servicer(lazy)._schema()
    if strict.enabled():
        try:  # the compiled rule tables, shared by every forked child
            strict.load()
        except strict.RuleTableError:
            pass  # each child reports it as a diagnostic


def main(argv: list[str] | None = None, alive: Callable[[], bool] | None = None) -> int:
    try:
        schema = LazySchema(schema_file())
    except OSError as exc:
        print(f"terraform-provider-aws (offline): cannot load the schema: {exc}", file=sys.stderr)
        return 1
    if not os.environ.get("TF_PLUGIN_MAGIC_COOKIE"):
        print(
            "This is the offline test provider for Terraform; Terraform starts it (see tools/tfoffline/README.md).",
            file=sys.stderr,
        )
        return 1
    serve(make_servicer(schema), alive)
    # Terraform has shut us down: skip interpreter teardown (grpc threads), it only costs time.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    raise SystemExit(main())
