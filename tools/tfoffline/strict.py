"""AWS's value rules for the offline provider: what the real provider rejects at validate/plan and
what the AWS API rejects at apply.

Three tables in `rules/` (data, each rule with its source), compiled once per provider process:

- `provider.json`: the validators hashicorp/aws runs on arguments (value sets, ranges, lengths,
  patterns, CIDR network addresses, ConflictsWith/ExactlyOneOf/RequiredWith, name rules), each
  with the provider source file it was read from. Checked at ValidateResourceConfig (which
  Terraform calls at `validate` with unknown variables and again at `plan` with their values),
  and at PlanResourceChange for the plan-time (CustomizeDiff) rules.
- `api.json`: for each resource type, the API operation the provider calls and a map from
  Terraform arguments to that request's members; their enums, min/max, lengths and patterns come
  from botocore's service models (`botocore/data/<service>/<version>/service-2.json`). Plus
  curated rules AWS states only in prose (each with its documentation URL). Checked at
  ApplyResourceChange; the error reads like the provider's rendering of the AWS error.
- `metrics.json`: the metrics and dimension sets CloudWatch namespaces publish (AWS's metric
  pages); an alarm or dashboard widget on a combination AWS never publishes fails at plan.

The compiled form (botocore constraints resolved) is cached in $TMPDIR keyed by the tables, this
file and the botocore version, so a provider process loads a small JSON instead of the 2 MB
EC2 model. `TFOFFLINE_STRICT=0` turns every check off (for the overhead benchmark).
A missing or corrupt table, no botocore, or a botocore without a shape a rule needs raises
RuleTableError with one sentence naming the file or shape; the provider reports it as an error
diagnostic on every check, never a silent pass.

Stdlib only (runs in .venv-tfprov, which has no botocore: the models are read as JSON).
"""

from __future__ import annotations

import glob
import gzip
import hashlib
import ipaddress
import json
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RULES_DIR = HERE / "rules"
TABLES = ("provider.json", "api.json", "metrics.json")
REPO = HERE.parent.parent
REQUEST_ID = "00000000-0000-4000-8000-000000000000"


class RuleTableError(Exception):
    """A rule table or the botocore data it needs is missing or corrupt (one sentence)."""


@dataclass
class Finding:
    """One diagnostic: summary, detail, and the attribute path (names and list indices)."""

    summary: str
    detail: str = ""
    path: list[str | int] = field(default_factory=list)


def enabled(env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return env.get("TFOFFLINE_STRICT", "1").strip().lower() not in ("0", "false", "no", "off")


# --------------------------------------------------------------------------- values


def _is_unknown(v: Any) -> bool:
    return type(v).__name__ == "_Unknown"


def _has_unknown(v: Any) -> bool:
    if _is_unknown(v):
        return True
    if isinstance(v, dict):
        return any(_has_unknown(x) for x in v.values())
    if isinstance(v, list):
        return any(_has_unknown(x) for x in v)
    return False


def _set_value(v: Any) -> bool:
    """Configured: not null, not unknown, not an empty collection (the SDK's GetOk)."""
    if v is None or _is_unknown(v):
        return False
    return not (isinstance(v, (list, dict, str)) and len(v) == 0)


def values_at(
    obj: Any, path: str, sets: frozenset[str] = frozenset()
) -> Iterator[tuple[list[str | int], Any]]:
    """Every (concrete path, value) a dotted rule path names: list and set elements are walked
    (a `*` segment is implied at each list); unknown and null values are skipped."""

    def walk(
        node: Any, segs: list[str], done: list[str | int], dotted: str
    ) -> Iterator[tuple[list[str | int], Any]]:
        if node is None or _is_unknown(node):
            return
        if not segs:
            yield done, node
            return
        if isinstance(node, list):
            for i, item in enumerate(node):
                yield from walk(item, segs, done + ([] if dotted in sets else [i]), dotted)
            return
        if not isinstance(node, dict):
            return
        head, rest = segs[0], segs[1:]
        sub = f"{dotted}.{head}" if dotted else head
        yield from walk(node.get(head), rest, done + [head], sub)

    yield from walk(obj, path.split("."), [], "")


def sdk_key(path: list[str | int]) -> str:
    """The SDK's flatmap key (`health_check.0.interval`)."""
    return ".".join(str(p) for p in path)


def fw_key(path: list[str | int]) -> str:
    """The framework's path string (`condition[0].values`)."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out


def goq(values: list[Any]) -> str:
    """Go's %q of a []string: ["a" "b"]."""
    return "[" + " ".join(json.dumps(str(v)) for v in values) + "]"


def gov(values: list[Any]) -> str:
    """Go's %v of a []int: [1 2 3]."""
    return "[" + " ".join(str(v) for v in values) + "]"


# --------------------------------------------------------------------------- loading


def _read_table(name: str, rules_dir: Path) -> dict[str, Any]:
    path = rules_dir / name
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        raise RuleTableError(f"The offline provider's rule table {path} is missing.") from None
    except (OSError, ValueError) as exc:
        raise RuleTableError(
            f"The offline provider's rule table {path} is corrupt ({exc})."
        ) from None
    if not isinstance(doc, dict) or doc.get("version") != 1:
        raise RuleTableError(
            f'The offline provider\'s rule table {path} is corrupt (no "version": 1).'
        )
    return doc


def botocore_data_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    named = env.get("TFOFFLINE_BOTOCORE_DATA")
    if named:
        p = Path(named)
        if not (p / "endpoints.json").is_file():
            raise RuleTableError(
                f"TFOFFLINE_BOTOCORE_DATA={named} is not a botocore data directory (no endpoints.json)."
            )
        return p
    for cand in sorted(
        glob.glob(str(REPO / ".venv" / "lib" / "python3*" / "site-packages" / "botocore" / "data"))
    ):
        if (Path(cand) / "endpoints.json").is_file():
            return Path(cand)
    raise RuleTableError(
        f"botocore's service models were not found under {REPO / '.venv'} (run 'make setup', or set TFOFFLINE_BOTOCORE_DATA)."
    )


def _botocore_version(data: Path) -> str:
    init = data.parent / "__init__.py"
    m = re.search(r"__version__\s*=\s*['\"]([^'\"]+)", init.read_text()) if init.is_file() else None
    return m.group(1) if m else "unknown"


class _Models:
    def __init__(self, data: Path):
        self.data = data
        self._cache: dict[str, dict[str, Any]] = {}

    def service(self, name: str) -> dict[str, Any]:
        if name not in self._cache:
            files = sorted(glob.glob(str(self.data / name / "*" / "service-2.json*")))
            if not files:
                raise RuleTableError(f"botocore in {self.data} has no service model for '{name}'.")
            f = files[-1]
            raw = (
                gzip.decompress(Path(f).read_bytes()) if f.endswith(".gz") else Path(f).read_bytes()
            )
            self._cache[name] = json.loads(raw)
        return self._cache[name]

    def shape(self, service: str, shape: str) -> dict[str, Any]:
        shapes = self.service(service)["shapes"]
        if shape not in shapes:
            raise RuleTableError(
                f"botocore {_botocore_version(self.data)} has no shape {service}:{shape} that a rule needs."
            )
        return shapes[shape]

    def member(self, service: str, operation: str, member_path: str) -> tuple[str, dict[str, Any]]:
        """(wire name path, shape) of a request member path like `RootDirectory.Path`."""
        model = self.service(service)
        op = model["operations"].get(operation)
        if op is None:
            raise RuleTableError(
                f"botocore {_botocore_version(self.data)} has no operation {service}:{operation} that a rule needs."
            )
        shape_name = op["input"]["shape"]
        wire: list[str] = []
        for seg in member_path.split("."):
            shape = self.shape(service, shape_name)
            while shape.get("type") == "list":
                shape_name = shape["member"]["shape"]
                shape = self.shape(service, shape_name)
            members = shape.get("members", {})
            if seg not in members:
                raise RuleTableError(
                    f"botocore {_botocore_version(self.data)} has no member {service}:{shape_name}.{seg} that a rule needs."
                )
            m = members[seg]
            wire.append(m.get("locationName") or seg[:1].lower() + seg[1:])
            shape_name = m["shape"]
        return ".".join(wire), self.shape(service, shape_name)


def _constraints(shape: dict[str, Any]) -> dict[str, Any]:
    return {k: shape[k] for k in ("type", "min", "max", "pattern", "enum") if k in shape}


def compile_tables(
    rules_dir: Path = RULES_DIR, env: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The three tables with every botocore reference resolved (JSON-serialisable)."""
    provider = _read_table("provider.json", rules_dir)
    api = _read_table("api.json", rules_dir)
    metrics = _read_table("metrics.json", rules_dir)
    models = _Models(botocore_data_dir(env))
    try:
        for type_name, spec in (provider.get("resources") or {}).items():
            for rule in spec.get("rules", []):
                ref = rule.get("botocore_enum")
                if ref:
                    svc, shape = ref.split(":", 1)
                    values = models.shape(svc, shape).get("enum")
                    if not values:
                        raise RuleTableError(
                            f"botocore shape {ref} named by rules/provider.json ({type_name}) has no enum."
                        )
                    rule["values"] = list(values)
        for type_name, spec in (api.get("resources") or {}).items():
            svc, op = spec["service"], spec["operation"]
            resolved = []
            for tf_path, member_path in (spec.get("members") or {}).items():
                wire, shape = models.member(svc, op, member_path)
                resolved.append(
                    {"tf": tf_path, "member": member_path, "wire": wire, **_constraints(shape)}
                )
            spec["resolved"] = resolved
            spec["service_id"] = models.service(svc)["metadata"].get("serviceId", svc)
        api["endpoint_services"] = _endpoint_services(models.data)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise RuleTableError(
            f"The offline provider's rule tables in {rules_dir} are corrupt ({type(exc).__name__}: {exc})."
        ) from None
    return {
        "provider": provider,
        "api": api,
        "metrics": metrics,
        "botocore": _botocore_version(models.data),
    }


def _endpoint_services(data: Path) -> dict[str, list[str]]:
    """region -> endpoint prefixes botocore's endpoint data lists for it (aws partition)."""
    try:
        doc = json.loads((data / "endpoints.json").read_text())
    except (OSError, ValueError) as exc:
        raise RuleTableError(
            f"botocore's {data / 'endpoints.json'} is unreadable ({exc})."
        ) from None
    out: dict[str, set[str]] = {}
    for part in doc.get("partitions", []):
        if part.get("partition") != "aws":
            continue
        regions = list(part.get("regions", {}))
        for svc, sdef in part.get("services", {}).items():
            eps = sdef.get("endpoints", {})
            for r in regions:
                if r in eps or sdef.get("isRegionalized") is False and "aws-global" in eps:
                    out.setdefault(r, set()).add(svc)
    return {r: sorted(s) for r, s in out.items()}


class Rules:
    """The compiled tables with regexes compiled; one per provider process (see load())."""

    def __init__(self, doc: dict[str, Any]):
        self.doc = doc
        self.provider: dict[str, Any] = doc["provider"].get("resources", {})
        self.api: dict[str, Any] = doc["api"].get("resources", {})
        self.curated: list[dict[str, Any]] = doc["api"].get("curated", [])
        self.endpoint_services: dict[str, list[str]] = doc["api"].get("endpoint_services", {})
        self.vpce_aliases: dict[str, str] = doc["api"].get("vpc_endpoint_aliases", {})
        self.runtimes: dict[str, Any] = doc["api"].get("lambda_runtimes_blocked", {})
        self.fargate: dict[str, list[int]] = doc["api"].get("fargate_memory", {})
        self.metrics: dict[str, Any] = doc["metrics"].get("namespaces", {})
        self.uncompilable: list[str] = []
        self._re: dict[str, re.Pattern[str] | None] = {}

    def regex(self, pattern: str) -> re.Pattern[str] | None:
        if pattern not in self._re:
            try:
                self._re[pattern] = re.compile(pattern, re.DOTALL)
            except re.error:
                self._re[pattern] = None  # Java-only syntax (\p{L}...): listed by `tfoffline rules`
                self.uncompilable.append(pattern)
        return self._re[pattern]

    def counts(self) -> dict[str, int]:
        prov: dict[str, int] = {}
        for spec in self.provider.values():
            for r in spec.get("rules", []):
                prov[r["kind"]] = prov.get(r["kind"], 0) + 1
        api_members = sum(len(s.get("resolved", [])) for s in self.api.values())
        dims = sum(len(m) for ns in self.metrics.values() for m in ns.get("metrics", {}).values())
        return {
            "provider_types": len(self.provider),
            "provider_rules": sum(prov.values()),
            **{f"provider_{k}": v for k, v in sorted(prov.items())},
            "api_types": len(self.api),
            "api_members": api_members,
            "curated_rules": len(self.curated),
            "metric_namespaces": len(self.metrics),
            "metrics": sum(len(ns.get("metrics", {})) for ns in self.metrics.values()),
            "metric_dimension_sets": dims,
        }


def _cache_key(rules_dir: Path, data: Path) -> str:
    h = hashlib.sha256()
    for name in TABLES:
        try:
            h.update((rules_dir / name).read_bytes())
        except OSError:
            h.update(b"-missing-" + name.encode())
    h.update(Path(__file__).read_bytes())
    h.update(str(data).encode() + _botocore_version(data).encode())
    return h.hexdigest()[:16]


_MEMO: dict[tuple[Any, ...], Rules] = {}


def _stat_key(rules_dir: Path, env: Mapping[str, str]) -> tuple[Any, ...]:
    parts: list[Any] = [str(rules_dir), env.get("TFOFFLINE_BOTOCORE_DATA", "")]
    for name in TABLES:
        try:
            st = (rules_dir / name).stat()
        except OSError:
            raise RuleTableError(
                f"The offline provider's rule table {rules_dir / name} is missing."
            ) from None
        parts.append((st.st_mtime_ns, st.st_size))
    return tuple(parts)


def load(env: Mapping[str, str] | None = None) -> Rules:
    """The compiled rules, once per process (every RPC calls this: a stat per table when nothing
    changed); compiled from the tables and botocore, or read from the $TMPDIR cache when current."""
    env = os.environ if env is None else env
    rules_dir = Path(env.get("TFOFFLINE_RULES") or RULES_DIR)
    memo = _stat_key(rules_dir, env)
    if memo in _MEMO:
        return _MEMO[memo]
    # a corrupt table changes the cache key (its bytes are hashed), so it is compiled, and fails
    data = botocore_data_dir(env)
    key = _cache_key(rules_dir, data)
    cache = Path(tempfile.gettempdir()) / f"tfoffline-{os.getuid()}-rules-{key}.json"
    doc: dict[str, Any] | None = None
    try:
        doc = json.loads(cache.read_text())
    except (OSError, ValueError):
        doc = None
    if doc is None:
        doc = compile_tables(rules_dir, env)
        try:
            tmp = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(doc))
            tmp.replace(cache)
        except OSError:
            pass
    rules = Rules(doc)
    _MEMO.clear()
    _MEMO[memo] = rules
    return rules


# --------------------------------------------------------------------------- provider-side checks


def _num(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return None
    return None


def _fmt_num(v: Any) -> str:
    n = _num(v)
    if n is not None and float(n).is_integer():
        return str(int(n))
    return str(v)


def _ipv4_network_error(value: str) -> str | None:
    """None when `value` is an IPv4 CIDR naming its network address; else the corrected value or ''."""
    try:
        iface = ipaddress.IPv4Interface(value)
    except ValueError:
        return ""
    if "/" not in value:
        return ""
    net = iface.network
    if str(iface.ip) != str(net.network_address):
        return str(net)
    return None


def _rule_message(rule: dict[str, Any], framework: bool, key: str, value: Any) -> Finding | None:
    """Check one value against one single-value rule; the finding in the provider's wording."""
    kind = rule["kind"]
    msg = rule.get("message")

    def sdk(text: str) -> Finding:
        return Finding(text)

    if kind == "enum":
        values = rule["values"]
        ok = value in values or (
            rule.get("ignore_case") and str(value).lower() in [str(x).lower() for x in values]
        )
        if ok:
            return None
        if framework:
            return Finding(
                "Invalid Attribute Value Match",
                f'Attribute {key} value must be one of: {goq(values)}, got: "{value}"',
            )
        return sdk(f"expected {key} to be one of {goq(values)}, got {value}")
    if kind == "int_in":
        n = _num(value)
        if n is not None and n in rule["values"]:
            return None
        if framework:
            return Finding(
                "Invalid Attribute Value",
                f"Attribute {key} value must be one of: {gov(rule['values'])}, got: {_fmt_num(value)}",
            )
        return sdk(f"expected {key} to be one of {gov(rule['values'])}, got {_fmt_num(value)}")
    if kind == "int_in_or_divisible":
        n = _num(value)
        if n is not None and (n in rule["values"] or n % rule["divisor"] == 0):
            return None
        return sdk(
            f"expected {key} to be one of {gov(rule['values'])}, got {_fmt_num(value)}\n"
            f"expected {key} to be divisible by {rule['divisor']}, got: {_fmt_num(value)}"
        )
    if kind == "range":
        n = _num(value)
        lo, hi = rule.get("min"), rule.get("max")
        if n is None or (lo is None or n >= lo) and (hi is None or n <= hi):
            return None
        if framework:
            if hi is None:
                return Finding(
                    "Invalid Attribute Value",
                    f"Attribute {key} value must be at least {lo}, got: {_fmt_num(value)}",
                )
            return Finding(
                "Invalid Attribute Value",
                f"Attribute {key} value must be between {lo} and {hi}, got: {_fmt_num(value)}",
            )
        if hi is None:
            return sdk(f"expected {key} to be at least ({lo}), got {_fmt_num(value)}")
        if lo is None:
            return sdk(f"expected {key} to be at most ({hi}), got {_fmt_num(value)}")
        return sdk(f"expected {key} to be in the range ({lo} - {hi}), got {_fmt_num(value)}")
    if kind == "length":
        if not isinstance(value, str):
            return None
        lo, hi = rule.get("min", 0), rule["max"]
        if lo <= len(value) <= hi:
            return None
        if framework:
            return Finding(
                "Invalid Attribute Value Length",
                f"Attribute {key} string length must be between {lo} and {hi}, got: {len(value)}",
            )
        return sdk(f"expected length of {key} to be in the range ({lo} - {hi}), got {value}")
    if kind in ("pattern", "not_pattern"):
        if not isinstance(value, str):
            return None
        rx = re.compile(rule["pattern"], re.DOTALL)
        hit = (
            rx.search(value) is not None if rule.get("search") else rx.fullmatch(value) is not None
        )
        if (kind == "pattern") == hit:
            return None
        if msg:
            text = msg.format(key=key, value=value, qkey=json.dumps(key), qvalue=json.dumps(value))
            if framework:
                return Finding(rule.get("summary", "Invalid Attribute Value Match"), text)
            return sdk(text)
        return sdk(
            f"expected value of {key} to match regular expression {json.dumps(rule['pattern'])}, got {value}"
        )
    if kind == "max_len":
        if not isinstance(value, str) or len(value) <= rule["max"]:
            return None
        text = msg or "{qkey} cannot be longer than {max} characters"
        return sdk(text.format(key=key, value=value, qkey=json.dumps(key), qvalue=json.dumps(value), max=rule["max"]))
    if kind == "cidr_network":
        if not isinstance(value, str):
            return None
        err = _ipv4_network_error(value)
        if err is None:
            bits = rule.get("bits")
            if bits:
                plen = int(value.split("/")[1])
                if not bits[0] <= plen <= bits[1]:
                    return sdk(
                        f"expected {key} to contain a network Value with between {bits[0]} and {bits[1]} significant bits, got: {plen}"
                    )
            return None
        if rule.get("style") == "framework":
            return Finding(
                "Invalid Attribute Value",
                f"Attribute {key} value must be a valid IPv4 CIDR that represents a network address, got: {value}",
            )
        if rule.get("style") == "is_cidr_network":
            if err == "":
                return sdk(
                    f"expected {key} to contain a valid CIDR, got: {value} with err: invalid CIDR address: {value}"
                )
            return sdk(
                f"expected {key} to contain a valid network Value, expected {err}, got {value}"
            )
        if err == "":
            return sdk(
                f'"{key}" is not a valid IPv4 CIDR network address: invalid CIDR address: {value}'
            )
        return sdk(
            f'"{key}" is not a valid IPv4 CIDR network address: "{value}" is not a valid CIDR block; did you mean "{err}"?'
        )
    if kind == "json":
        if not isinstance(value, str):
            return None
        try:
            parsed = json.loads(value)
        except ValueError as exc:
            return sdk(
                rule.get("message", '"{key}" contains an invalid JSON: {err}').format(
                    key=key, err=exc
                )
            )
        if rule.get("must_be") == "array" and not isinstance(parsed, list):
            return sdk(
                rule.get("message", '"{key}" contains an invalid JSON: {err}').format(
                    key=key, err="not a JSON array"
                )
            )
        return None
    if kind == "arn":
        if not isinstance(value, str):
            return None
        parts = value.split(":", 5)
        if (
            len(parts) == 6
            and parts[0] == "arn"
            and parts[1].startswith("aws")
            and parts[2]
            and parts[5]
        ):
            return None
        why = "arn: invalid prefix" if not value.startswith("arn:") else "arn: not enough sections"
        return sdk(f'"{key}" ({value}) is an invalid ARN: {why}')
    raise RuleTableError(f"rules/provider.json has a rule of unknown kind {kind!r}.")


_CROSS = ("conflicts_with", "exactly_one_of", "at_least_one_of", "required_with")


def _cross_check(rule: dict[str, Any], framework: bool, obj: dict[str, Any]) -> list[Finding]:
    kind = rule["kind"]
    keys: list[str] = rule["keys"]
    present = [k for k in keys if any(_set_value(v) for _, v in values_at(obj, k))]
    unknown = [k for k in keys if any(_is_unknown(v) for v in _raw_at(obj, k))]
    if kind == "conflicts_with":
        first, others = keys[0], keys[1:]
        if first not in present:
            return []
        out = []
        for o in others:
            if o in present:
                if framework:
                    out.append(
                        Finding(
                            "Invalid Attribute Combination",
                            f'Attribute "{o}" cannot be specified when "{first}" is specified',
                            [first],
                        )
                    )
                else:
                    out.append(
                        Finding(
                            "Conflicting configuration arguments",
                            f'"{first}": conflicts with {o}',
                            [first],
                        )
                    )
        return out
    if kind == "exactly_one_of":
        if unknown and len(present) <= 1:
            return []
        if len(present) == 1:
            return []
        joined = ",".join(keys)
        if framework:
            if not present:
                return [
                    Finding(
                        "Invalid Attribute Combination",
                        f"No attribute specified when one (and only one) of [{joined}] is required",
                    )
                ]
            return [
                Finding(
                    "Invalid Attribute Combination",
                    f"{len(present)} attributes specified when one (and only one) of [{joined}] is required",
                )
            ]
        if not present:
            return [
                Finding(
                    "Missing required argument", f'"{keys[0]}": one of `{joined}` must be specified'
                )
            ]
        return [
            Finding(
                "Invalid combination of arguments",
                f'"{present[0]}": only one of `{joined}` can be specified, but `{",".join(present)}` were specified.',
                [present[0]],
            )
        ]
    if kind == "at_least_one_of":
        if present or unknown:
            return []
        return [
            Finding(
                "Missing required argument",
                f'"{keys[0]}": one of `{",".join(keys)}` must be specified',
            )
        ]
    if kind == "required_with":
        if keys[0] not in present or unknown:
            return []
        missing = [k for k in keys[1:] if k not in present]
        if not missing:
            return []
        return [
            Finding(
                "Missing required argument",
                f'"{keys[0]}": all of `{",".join(keys)}` must be specified',
                [keys[0]],
            )
        ]
    return []


def _raw_at(obj: Any, path: str) -> list[Any]:
    node = obj
    for seg in path.split("."):
        if isinstance(node, list):
            node = node[0] if node else None
        if not isinstance(node, dict):
            return [node] if _is_unknown(node) else []
        node = node.get(seg)
    return [node]


def _when(rule: dict[str, Any], obj: dict[str, Any]) -> bool:
    """A rule's `when` ({arg: value or [values]}) holds for the configuration."""
    for k, want in (rule.get("when") or {}).items():
        got = [v for _, v in values_at(obj, k)]
        wants = want if isinstance(want, list) else [want]
        if not any(g in wants for g in got):
            return False
    return True


def check_provider(
    rules: Rules,
    type_name: str,
    obj: Any,
    stage: str = "validate",
    sets: frozenset[str] = frozenset(),
) -> list[Finding]:
    """Provider-side findings for one resource configuration (`stage` validate or plan)."""
    spec = rules.provider.get(type_name)
    if spec is None or not isinstance(obj, dict):
        return []
    framework = bool(spec.get("framework"))
    out: list[Finding] = []
    for rule in spec.get("rules", []):
        if rule.get("stage", "validate") != stage or not _when(rule, obj):
            continue
        if rule["kind"] in _CROSS:
            out += _cross_check(rule, framework, obj)
            continue
        rule_fw = framework if "framework" not in rule else bool(rule["framework"])
        for path, value in values_at(obj, rule["path"], sets):
            if isinstance(value, list) and rule["kind"] not in ("json",):
                items = [
                    (path + ([i] if rule["path"] not in sets else []), v)
                    for i, v in enumerate(value)
                ]
            else:
                items = [(path, value)]
            for p, v in items:
                if v is None or _has_unknown(v):
                    continue
                key = fw_key(p) if rule_fw else sdk_key(p)
                f = _rule_message(rule, rule_fw, key, v)
                if f is not None:
                    f.path = p
                    out.append(f)
    if stage == "plan":
        out += check_metrics(rules, type_name, obj)
    return out


# --------------------------------------------------------------------------- metric catalog


def _dims_ok(ns: dict[str, Any], metric: str, dims: list[str]) -> list[list[str]] | None:
    """None when (metric, dims) is published; else the dimension sets that are."""
    sets = ns["metrics"].get(metric)
    if sets is None:
        return []
    want = sorted(dims)
    for s in sets:
        if sorted(s) == want:
            return None
    return [sorted(s) for s in sets]


def _metric_finding(
    rules: Rules, namespace: str, metric: str, dims: list[str], where: str, path: list[str | int]
) -> Finding | None:
    ns = rules.metrics.get(namespace)
    if ns is None:
        return None
    published = _dims_ok(ns, metric, dims)
    if published is None:
        return None
    src = ns.get("source", "")
    if not published:
        return Finding(
            f"CloudWatch namespace {namespace} has no metric named {metric}",
            f"{where}: AWS publishes no metric {metric} in {namespace}, so this never receives data. Source: {src}",
            path,
        )
    listed = "; ".join("[" + " ".join(s) + "]" if s else "[] (no dimensions)" for s in published)
    return Finding(
        f"{namespace} {metric} is not published with dimensions [{' '.join(sorted(dims))}]",
        f"{where}: AWS publishes {namespace} {metric} with these dimension sets only: {listed}. "
        f"A metric is identified by its name and all its dimensions, so this combination never receives data. Source: {src}",
        path,
    )


def check_metrics(rules: Rules, type_name: str, obj: dict[str, Any]) -> list[Finding]:
    out: list[Finding] = []
    def check_one(m: dict[str, Any], where: str, path: list[str | int]) -> None:
        """One metric of an alarm (the alarm itself or one metric_query entry)."""
        ns, metric, dims = m.get("namespace"), m.get("metric_name"), m.get("dimensions")
        if isinstance(ns, str) and isinstance(metric, str) and not _is_unknown(dims):
            f = _metric_finding(rules, ns, metric, list((dims or {}).keys()), where, path)
            if f:
                out.append(f)

    if type_name == "aws_cloudwatch_metric_alarm":
        check_one(obj, f"alarm {obj.get('alarm_name')}", ["metric_name"])
        for q in obj.get("metric_query") or []:
            if not isinstance(q, dict):
                continue
            for m in q.get("metric") or []:
                if isinstance(m, dict):
                    check_one(m, f"alarm {obj.get('alarm_name')} query {q.get('id')}", ["metric_query"])
    elif type_name == "aws_cloudwatch_dashboard":
        body = obj.get("dashboard_body")
        if isinstance(body, str):
            try:
                doc = json.loads(body)
            except ValueError:
                return out
            for wi, widget in enumerate(doc.get("widgets") or []):
                props = widget.get("properties") if isinstance(widget, dict) else None
                if not isinstance(props, dict):
                    continue
                for ns, metric, dims in _widget_metrics(props.get("metrics") or []):
                    f = _metric_finding(
                        rules,
                        ns,
                        metric,
                        dims,
                        f"dashboard widget {wi} ({props.get('title', '')})",
                        ["dashboard_body"],
                    )
                    if f:
                        out.append(f)
    return out


def _widget_metrics(rows: list[Any]) -> Iterator[tuple[str, str, list[str]]]:
    """(namespace, metric, dimension names) of a widget's metrics array, with CloudWatch's
    shorthand: "." repeats the previous row's value at that position, "..." the rest of it.
    Expression rows ([{"expression": ...}]) are skipped."""
    prev: list[Any] = []
    for row in rows:
        if not isinstance(row, list):
            continue
        items = [x for x in row if not isinstance(x, dict)]
        if not items:
            continue
        full: list[Any] = []
        for i, x in enumerate(items):
            if x == "...":
                full += prev[len(full) :]
                continue
            if x == ".":
                full.append(prev[i] if i < len(prev) else x)
            else:
                full.append(x)
        prev = full
        if len(full) < 2 or not all(isinstance(x, str) for x in full):
            continue
        ns, metric, rest = full[0], full[1], full[2:]
        yield ns, metric, [rest[i] for i in range(0, len(rest) - 1, 2)]


# --------------------------------------------------------------------------- API-side checks (apply)


def _coral(value: Any, wire: str, constraint: str) -> str:
    shown = json.dumps(value) if not isinstance(value, str) else value
    return f"1 validation error detected: Value '{shown}' at '{wire}' failed to satisfy constraint: {constraint}"


def _member_error(rules: Rules, m: dict[str, Any], value: Any) -> str | None:
    t = m.get("type")
    if "enum" in m and isinstance(value, str) and value not in m["enum"]:
        return f"Member must satisfy enum value set: [{', '.join(m['enum'])}]"
    if t == "string" and isinstance(value, str):
        if "min" in m and len(value) < m["min"]:
            return f"Member must have length greater than or equal to {int(m['min'])}"
        if "max" in m and len(value) > m["max"]:
            return f"Member must have length less than or equal to {int(m['max'])}"
        if "pattern" in m:
            rx = rules.regex(m["pattern"])
            if rx is not None and rx.fullmatch(value) is None:
                return f"Member must satisfy regular expression pattern: {m['pattern']}"
    elif t in ("integer", "long", "double", "float"):
        n = _num(value)
        if n is not None:
            if "min" in m and n < m["min"]:
                return f"Member must have value greater than or equal to {_fmt_num(m['min'])}"
            if "max" in m and n > m["max"]:
                return f"Member must have value less than or equal to {_fmt_num(m['max'])}"
    elif t == "list" and isinstance(value, list):
        if "min" in m and len(value) < m["min"]:
            return f"Member must have length greater than or equal to {int(m['min'])}"
        if "max" in m and len(value) > m["max"]:
            return f"Member must have length less than or equal to {int(m['max'])}"
    return None


def _api_error(
    spec: dict[str, Any], code: str, message: str, framework: bool, what: str
) -> Finding:
    svc_id = spec.get("service_id", spec["service"])
    status = spec.get("status", 400)
    err = (
        f"operation error {svc_id}: {spec['operation']}, https response error StatusCode: {status}, "
        f"RequestID: {REQUEST_ID}, api error {code}: {message}"
    )
    action = spec.get("action", f"creating {what}")
    if framework:
        return Finding(action, err)
    return Finding(f"{action}: {err}")


def check_api(
    rules: Rules,
    type_name: str,
    planned: Any,
    region: str,
    creating: bool,
    provider_spec: dict[str, Any] | None = None,
) -> list[Finding]:
    """What the AWS API refuses for this planned object: the first error only, as AWS returns it."""
    if not isinstance(planned, dict):
        return []
    spec = rules.api.get(type_name)
    framework = bool((rules.provider.get(type_name) or {}).get("framework"))
    if spec is not None and (creating or spec.get("on_update", True)):
        code = spec.get("validation_code", "ValidationException")
        for m in spec.get("resolved", []):
            for _, value in values_at(planned, m["tf"]):
                vals = value if isinstance(value, list) and m.get("type") != "list" else [value]
                for v in vals:
                    if v is None or _has_unknown(v):
                        continue
                    why = _member_error(rules, m, v)
                    if why is None:
                        continue
                    if spec.get("style") == "ec2":
                        msg = f"Value ({v}) for parameter {m['wire']} is invalid. {why.replace('Member', 'The value')}."
                    else:
                        msg = _coral(v, m["wire"], why)
                    return [_api_error(spec, code, msg, framework, type_name)]
    for rule in rules.curated:
        if type_name not in rule["types"]:
            continue
        f = _curated(rules, rule, type_name, planned, region)
        if f is not None:
            code, message = f
            target = spec or {
                "service": rule.get("service", type_name),
                "operation": rule.get("operation", "?"),
                "service_id": rule.get("service_id", ""),
            }
            if "action" in rule:
                target = {**target, "action": rule["action"]}
            return [_api_error(target, code, message, framework, type_name)]
    return []


def _curated(
    rules: Rules, rule: dict[str, Any], type_name: str, obj: dict[str, Any], region: str
) -> tuple[str, str] | None:
    kind = rule["kind"]
    if kind == "charset":
        allowed = re.compile(rule["allowed"])
        for _, v in values_at(obj, rule["path"]):
            if isinstance(v, str) and (
                allowed.fullmatch(v) is None or len(v) > rule.get("max", 10**9)
            ):
                return rule["code"], rule["message"].format(value=v)
        return None
    if kind == "forbid_combo":
        if all(
            any(val == want for _, val in values_at(obj, k)) for k, want in rule["when"].items()
        ):
            return rule["code"], rule["message"]
        return None
    if kind == "forbid_prefix":
        for _, v in values_at(obj, rule["path"]):
            if isinstance(v, str) and any(v.startswith(p) for p in rule["prefixes"]):
                return rule["code"], rule["message"].format(value=v)
        return None
    if kind == "path_depth":
        for _, v in values_at(obj, rule["path"]):
            if not isinstance(v, str) or v == "/":
                continue
            parts = v.split("/")[1:]
            if v.endswith("/") or len(parts) > rule["max"] or "" in parts:
                return rule["code"], rule["message"].format(value=v)
        return None
    if kind == "fargate":
        compat = obj.get("requires_compatibilities") or []
        if "FARGATE" not in compat:
            return None
        if obj.get("network_mode") != "awsvpc":
            return rule["code"], rule["message_network"]
        cpu, mem = _num(obj.get("cpu")), _num(obj.get("memory"))
        if cpu is None or mem is None:
            return rule["code"], rule["message_missing"]
        sizes = rules.fargate.get(str(int(cpu)))
        if sizes is None or int(mem) not in sizes:
            return rule["code"], rule["message_pair"].format(cpu=int(cpu), memory=int(mem))
        return None
    if kind == "backup_cold_storage":
        for _, found in values_at(obj, rule["path"]):
            for lc in found if isinstance(found, list) else [found]:
                if not isinstance(lc, dict):
                    continue
                cold, delete = _num(lc.get("cold_storage_after")), _num(lc.get("delete_after"))
                if cold and delete is not None and delete > 0 and delete < cold + rule["min_days"]:
                    return rule["code"], rule["message"].format(cold=int(cold), delete=int(delete))
        return None
    if kind == "lambda_runtime":
        rt = obj.get("runtime")
        blocked = rules.runtimes.get("runtimes", {})
        if isinstance(rt, str) and rt in blocked:
            return rule["code"], rule["message"].format(runtime=rt, replacement=blocked[rt])
        return None
    if kind == "vpc_endpoint_service":
        name = obj.get("service_name")
        if not isinstance(name, str) or _is_unknown(name):
            return None
        prefix = f"com.amazonaws.{obj.get('region') or region}."
        if not name.startswith(prefix):
            if name.startswith("com.amazonaws.vpce."):
                return None  # an endpoint service of another account: not knowable here
            return rule["code"], rule["message"].format(value=name)
        svc = name[len(prefix) :]
        svc = rules.vpce_aliases.get(svc, svc)
        if svc not in rules.endpoint_services.get(obj.get("region") or region, []):
            return rule["code"], rule["message"].format(value=name)
        return None
    raise RuleTableError(f"rules/api.json has a curated rule of unknown kind {kind!r}.")
