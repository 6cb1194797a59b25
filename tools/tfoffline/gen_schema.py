"""Rebuild the hashicorp/aws provider schema from the PyPI package cdktn-provider-aws.

cdktn-provider-aws 25.8.1 is generated from hashicorp/aws 6.69.1. Its wheel holds
the npm tarball `cdktn_provider_aws/_jsii/provider-aws@25.8.1.jsii.tgz`; each
`package/lib/<name>/index.js` in it ends with an inline base64 source map whose
`sourcesContent[0]` is the generated TypeScript. From that TypeScript we read:

- per attribute, a comment `// name - computed: X, optional: Y, required: Z`;
- in `synthesizeHclAttributes()` / `<struct>ToHclTerraform()`: whether a field is
  a block or an attribute, its collection kind (simple/list/set/map/struct) and
  the value mapper chain (the element types of lists and maps);
- max-1 blocks: their mapper is the struct function itself, not a list mapper;
- computed-only fields (absent from the synthesizers): the getter
  (`getStringAttribute`, `Fn.tolist(getListAttribute)`, `new XList(this, n, wrapsSet)`...).

The output has the shape of `terraform providers schema -json`. Two traps of the
Terraform core schema validator are avoided: a set-nested block holding a
dynamic (untyped) field is served as a list, and map-nested blocks carry no
min_items/max_items.

Usage: python -m tfoffline gen-schema [--wheel PATH] [--out PATH]
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PACKAGE = "cdktn-provider-aws"
PACKAGE_VERSION = "25.8.1"
PROVIDER_VERSION = "6.69.1"
PROVIDER_ADDRESS = "registry.terraform.io/hashicorp/aws"
SCHEMA_DIR = Path(__file__).resolve().parent / "schema"
DEFAULT_OUT = SCHEMA_DIR / f"aws-{PROVIDER_VERSION}.json.gz"
_MAP_MARKER = "sourceMappingURL=data:application/json;base64,"

# Provider-config blocks that the real provider limits to one (the provider
# class in cdktn carries no flag comments and writes every block as a list).
_PROVIDER_MAX1 = {"default_tags", "ignore_tags", "assume_role_with_web_identity"}


class GenError(Exception):
    """The generator could not produce a schema (one sentence)."""


# --------------------------------------------------------------------------- parsing


@dataclass
class SynthAttr:
    name: str
    value: str
    is_block: bool
    kind: str  # simple, list, set, map, struct
    storage: str


@dataclass
class Field:
    name: str
    computed: bool
    optional: bool
    required: bool
    body: str  # source between this comment and the next field comment


@dataclass
class TsFile:
    synth: dict[str, list[SynthAttr]] = field(default_factory=dict)  # struct/class name -> attrs
    fields: dict[str, list[Field]] = field(default_factory=dict)  # class name -> fields
    list_item: dict[str, str] = field(default_factory=dict)  # XList/XMap class -> XOutputReference
    top: tuple[str, str, str] | None = None  # (kind, tf type name, class name)


_SYNTH_RE = re.compile(
    r'"?(\w+)"?: \{\s*value: (.*?),\n\s*isBlock: (true|false),\s*type: "(\w+)",\s*storageClassType: "(\w+)"',
)
_FIELD_RE = re.compile(
    r"^  // (\w+) - computed: (true|false), optional: (true|false), required: (true|false)$",
    re.MULTILINE,
)
_TOP_KINDS = {
    "TerraformResource": "resource",
    "TerraformDataSource": "data",
    "TerraformProvider": "provider",
}


def _ucfirst(name: str) -> str:
    return name[:1].upper() + name[1:]


def parse_ts(text: str) -> TsFile:
    out = TsFile()
    chunks = re.split(r"^(?=export )", text, flags=re.MULTILINE)
    for chunk in chunks:
        m = re.match(r"export function (\w+)ToHclTerraform\(", chunk)
        if m:
            out.synth[_ucfirst(m.group(1))] = _synth_attrs(chunk)
            continue
        m = re.match(r"export class (\w+) extends cdktn\.(\w+)", chunk)
        if not m:
            continue
        cls, base = m.group(1), m.group(2)
        if base in ("ComplexList", "ComplexMap"):
            item = re.search(r"return new (\w+)\(", chunk)
            if item:
                out.list_item[cls] = item.group(1)
            continue
        out.fields[cls] = _fields(chunk)
        if base in _TOP_KINDS:
            t = re.search(r'tfResourceType = "(\w+)"', chunk)
            if t:
                out.top = (_TOP_KINDS[base], t.group(1), cls)
            i = chunk.find("protected synthesizeHclAttributes()")
            out.synth[cls] = _synth_attrs(chunk[i:]) if i >= 0 else []
    return out


_NULL_GUARD = re.compile(r"^\S+ === undefined \? null : ")


def _synth_attrs(chunk: str) -> list[SynthAttr]:
    # Object-typed attributes guard each field: `struct!.x === undefined ? null : <mapper>(...)`.
    return [
        SynthAttr(
            m.group(1),
            _NULL_GUARD.sub("", m.group(2).strip()),
            m.group(3) == "true",
            m.group(4),
            m.group(5),
        )
        for m in _SYNTH_RE.finditer(chunk)
    ]


def _is_attribute_list(a: SynthAttr) -> bool:
    """`isBlock: true` with `listMapperHcl(fn, false)`: a list/set-of-object *attribute* in the real
    schema (SDKv2 ConfigModeAttr such as aws_security_group.ingress, or a framework list attribute
    of objects), written `x = [{...}]` (Terraform also accepts block syntax for these)."""
    return (
        a.is_block
        and a.kind in ("list", "set")
        and bool(re.match(r"cdktn\.listMapperHcl\(\w+, false\)", a.value))
    )


def _fields(chunk: str) -> list[Field]:
    found = list(_FIELD_RE.finditer(chunk))
    result = []
    for i, m in enumerate(found):
        end = found[i + 1].start() if i + 1 < len(found) else len(chunk)
        result.append(
            Field(
                m.group(1),
                m.group(2) == "true",
                m.group(3) == "true",
                m.group(4) == "true",
                chunk[m.end() : end],
            )
        )
    return result


# --------------------------------------------------------------------------- types


def _scalar_of_mapper(expr: str) -> Any:
    """Element type from a mapper chain like cdktn.listMapperHcl(cdktn.stringToHclTerraform, false)."""
    expr = expr.strip()
    m = re.match(r"cdktn\.listMapperHcl\((.*), (?:true|false)\)(?:\(.*\))?$", expr)
    if m:
        return ["list", _scalar_of_mapper(m.group(1))]
    m = re.match(r"cdktn\.hashMapperHcl\((.*)\)(?:\(.*\))?$", expr)
    if m:
        return ["map", _scalar_of_mapper(m.group(1))]
    for prefix, ty in (
        ("cdktn.string", "string"),
        ("cdktn.number", "number"),
        ("cdktn.boolean", "bool"),
    ):
        if expr.startswith(prefix + "ToHclTerraform"):
            return ty
    return "dynamic"


def _strip_call(expr: str) -> str:
    """`cdktn.listMapperHcl(X, false)(this._y)` -> `cdktn.listMapperHcl(X, false)`."""
    depth = 0
    for i, ch in enumerate(expr):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return expr[: i + 1]
    return expr


def attr_type_from_synth(a: SynthAttr) -> Any:
    if a.storage == "any":
        return "dynamic"
    if a.kind == "simple":
        return {"string": "string", "number": "number", "boolean": "bool"}.get(a.storage, "dynamic")
    mapper = _strip_call(a.value)
    t = _scalar_of_mapper(mapper)
    if not isinstance(t, list):
        return "dynamic"
    if a.kind == "set" and t[0] == "list":
        return ["set", t[1]]
    if a.kind == "map" and t[0] != "map":
        return ["map", t[1] if isinstance(t, list) else t]
    return t


_GETTER_TYPES = [
    (
        r"cdktn\.Token\.asNumberList\(cdktn\.Fn\.tolist\(this\.getNumberListAttribute",
        ["set", "number"],
    ),
    (r"cdktn\.Fn\.tolist\(this\.getListAttribute", ["set", "string"]),
    (r"cdktn\.Fn\.tolist\(this\.getBooleanListAttribute", ["set", "bool"]),
    (r"this\.getNumberListAttribute", ["list", "number"]),
    (r"this\.getBooleanListAttribute", ["list", "bool"]),
    (r"this\.getListAttribute", ["list", "string"]),
    (r"this\.getStringMapAttribute", ["map", "string"]),
    (r"this\.getNumberMapAttribute", ["map", "number"]),
    (r"this\.getBooleanMapAttribute", ["map", "bool"]),
    (r"this\.getStringAttribute", "string"),
    (r"this\.getNumberAttribute", "number"),
    (r"this\.getBooleanAttribute", "bool"),
    (r"this\.getAnyMapAttribute", ["map", "dynamic"]),
]


class Builder:
    def __init__(self, ts: TsFile, where: str):
        self.ts = ts
        self.where = where
        self.attr_count = 0

    # a computed-only field's type, from its getter / private declaration
    def computed_type(self, f: Field, stack: tuple[str, ...]) -> Any:
        m = re.search(r"private _\w+ = new (\w+)\(this, \"\w+\"(?:, (true|false))?\)", f.body)
        if m:
            cls, wraps_set = m.group(1), m.group(2)
            if cls in self.ts.list_item:
                obj = self.object_type(self.ts.list_item[cls], stack)
                if cls.endswith("Map") and wraps_set is None:
                    return ["map", obj]
                return ["set" if wraps_set == "true" else "list", obj]
            if cls.endswith("OutputReference"):
                return self.object_type(cls, stack)
        m = re.search(r"private _\w+ = new cdktn\.(String|Number|Boolean|Any)Map\(", f.body)
        if m:
            return [
                "map",
                {"String": "string", "Number": "number", "Boolean": "bool", "Any": "dynamic"}[
                    m.group(1)
                ],
            ]
        getter = re.search(r"public get \w+\(\) \{\s*(.*?)\n\s*\}", f.body, re.DOTALL)
        expr = getter.group(1) if getter else ""
        for pattern, ty in _GETTER_TYPES:
            if re.search(pattern, expr):
                return ty
        return "dynamic"

    def object_type(self, ref_cls: str, stack: tuple[str, ...]) -> Any:
        if ref_cls in stack or len(stack) > 12:
            return "dynamic"
        attrs = {}
        synth = {a.name: a for a in self.ts.synth.get(ref_cls.removesuffix("OutputReference"), [])}
        for f in self.ts.fields.get(ref_cls, []):
            a = synth.get(f.name)
            if a is not None and a.is_block:
                inner = self.object_type(self._struct_ref(a), stack + (ref_cls,))
                attrs[f.name] = (
                    inner
                    if a.kind == "struct"
                    else [{"set": "set", "map": "map"}.get(a.kind, "list"), inner]
                )
            elif a is not None:
                attrs[f.name] = attr_type_from_synth(a)
            else:
                attrs[f.name] = self.computed_type(f, stack + (ref_cls,))
        return ["object", attrs]

    def _struct_ref(self, a: SynthAttr) -> str:
        st = a.storage
        if st in self.ts.list_item:
            return self.ts.list_item[st]
        if st.endswith(("List", "Map")):
            base = st[:-4] if st.endswith("List") else st[:-3]
            return base + "OutputReference"
        return st + "OutputReference"

    @staticmethod
    def _attr_spec(f: Field, ty: Any) -> dict[str, Any]:
        spec: dict[str, Any] = {"type": ty, "description_kind": "plain"}
        if f.required:
            spec["required"] = True
        else:
            if f.optional:
                spec["optional"] = True
            if f.computed:
                spec["computed"] = True
            if not f.optional and not f.computed:
                spec["optional"] = True
        return spec

    def block(
        self, cls: str, struct: str, stack: tuple[str, ...] = (), provider: bool = False
    ) -> dict[str, Any]:
        """A configschema block for class `cls` (fields) whose synthesizer is `struct`."""
        synth = {a.name: a for a in self.ts.synth.get(struct, [])}
        fields = self.ts.fields.get(cls, [])
        if provider and not fields:
            fields = [Field(a.name, False, True, False, "") for a in synth.values()]
        attributes: dict[str, Any] = {}
        blocks: dict[str, Any] = {}
        for f in fields:
            a = synth.get(f.name)
            if a is not None and _is_attribute_list(a):
                ty: Any = [a.kind, self.object_type(self._struct_ref(a), stack)]
                attributes[f.name] = self._attr_spec(f, ty)
                self.attr_count += 1
                continue
            if a is not None and a.is_block:
                ref = self._struct_ref(a)
                if ref in stack or len(stack) > 12:
                    continue
                inner = self.block(
                    ref, ref.removesuffix("OutputReference"), stack + (ref,), provider
                )
                nb: dict[str, Any] = {
                    "nesting_mode": {"struct": "single"}.get(a.kind, a.kind),
                    "block": inner,
                }
                max1 = not a.value.startswith(("cdktn.listMapperHcl", "cdktn.hashMapperHcl"))
                if provider and f.name in _PROVIDER_MAX1:
                    max1 = True
                if nb["nesting_mode"] in ("list", "set"):
                    if f.required:
                        nb["min_items"] = 1
                    if max1:
                        nb["max_items"] = 1
                if nb["nesting_mode"] == "set" and _has_dynamic(inner):
                    nb["nesting_mode"] = "list"  # trap 1: NestingSet may not hold dynamic values
                blocks[f.name] = nb
                continue
            ty = attr_type_from_synth(a) if a is not None else self.computed_type(f, stack)
            attributes[f.name] = self._attr_spec(f, ty)
            self.attr_count += 1
        out: dict[str, Any] = {"description_kind": "plain"}
        if attributes:
            out["attributes"] = attributes
        if blocks:
            out["block_types"] = blocks
        return out


def _has_dynamic(block: dict[str, Any]) -> bool:
    def ty_dyn(t: Any) -> bool:
        if t == "dynamic":
            return True
        if isinstance(t, list):
            return any(ty_dyn(x) for x in (t[1].values() if t[0] == "object" else [t[1]]))
        return False

    if any(ty_dyn(a["type"]) for a in block.get("attributes", {}).values()):
        return True
    return any(_has_dynamic(b["block"]) for b in block.get("block_types", {}).values())


# --------------------------------------------------------------------------- sources


def typescript_sources(tgz: bytes) -> list[tuple[str, str]]:
    """(lib dir name, generated TypeScript) for every lib/<name>/index.js in the npm tarball."""
    out = []
    with tarfile.open(fileobj=io.BytesIO(tgz), mode="r:gz") as tar:
        for member in tar:
            parts = member.name.split("/")
            if (
                len(parts) != 4
                or parts[1] != "lib"
                or parts[3] != "index.js"
                or not member.isfile()
            ):
                continue
            fh = tar.extractfile(member)
            if fh is None:
                continue
            js = fh.read().decode("utf-8")
            i = js.rfind(_MAP_MARKER)
            if i < 0:
                continue
            smap = json.loads(base64.b64decode(js[i + len(_MAP_MARKER) :].strip()))
            out.append((parts[2], smap["sourcesContent"][0]))
    return out


def read_wheel(wheel: Path) -> bytes:
    try:
        with zipfile.ZipFile(wheel) as zf:
            names = [
                n
                for n in zf.namelist()
                if n.startswith("cdktn_provider_aws/_jsii/") and n.endswith(".jsii.tgz")
            ]
            if not names:
                raise GenError(f"{wheel} holds no cdktn_provider_aws/_jsii/*.jsii.tgz tarball.")
            return zf.read(names[0])
    except (zipfile.BadZipFile, OSError) as exc:
        raise GenError(f"Cannot read the wheel {wheel}: {exc}.") from None


def download_wheel(dest: Path) -> Path:
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--disable-pip-version-check",
        "-q",
        f"{PACKAGE}=={PACKAGE_VERSION}",
        "-d",
        str(dest),
    ]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False)
    except subprocess.TimeoutExpired:
        raise GenError(
            f"Downloading {PACKAGE}=={PACKAGE_VERSION} from PyPI took longer than 15 minutes."
        ) from None
    wheels = list(dest.glob("cdktn_provider_aws-*.whl"))
    if proc.returncode != 0 or not wheels:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise GenError(f"pip could not download {PACKAGE}=={PACKAGE_VERSION}: {last}")
    return wheels[0]


def build_schema(sources: list[tuple[str, str]]) -> tuple[dict[str, Any], dict[str, int]]:
    provider_block: dict[str, Any] | None = None
    resources: dict[str, Any] = {}
    data_sources: dict[str, Any] = {}
    attrs = {"resource": 0, "data": 0, "provider": 0}
    for name, text in sources:
        ts = parse_ts(text)
        if ts.top is None:
            continue
        kind, tf_name, cls = ts.top
        b = Builder(ts, name)
        if kind == "provider":
            provider_block = b.block(cls, cls, provider=True)
        else:
            blk = b.block(cls, cls)
            (resources if kind == "resource" else data_sources)[tf_name] = {
                "version": 0,
                "block": blk,
            }
        attrs[kind] += b.attr_count
    if provider_block is None or not resources:
        raise GenError(
            "The package holds no provider or resource classes: is it cdktn-provider-aws?"
        )
    schema = {
        "format_version": "1.0",
        "provider_schemas": {
            PROVIDER_ADDRESS: {
                "provider": {"version": 0, "block": provider_block},
                "resource_schemas": dict(sorted(resources.items())),
                "data_source_schemas": dict(sorted(data_sources.items())),
            }
        },
    }
    counts = {
        "resource_types": len(resources),
        "data_sources": len(data_sources),
        "resource_attributes": attrs["resource"],
        "data_source_attributes": attrs["data"],
        "provider_attributes": attrs["provider"],
    }
    schema["generated_from"] = {
        "package": f"{PACKAGE}=={PACKAGE_VERSION}",
        "provider_version": PROVIDER_VERSION,
        "counts": counts,
    }
    return schema, counts


def write_schema(schema: dict[str, Any], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(schema, separators=(",", ":"), sort_keys=False).encode()
    tmp = out.with_suffix(".tmp")
    # mtime=0 keeps the gzip bytes reproducible, so a regeneration shows no diff.
    with (
        open(tmp, "wb") as raw,
        gzip.GzipFile(filename="", fileobj=raw, mode="wb", compresslevel=9, mtime=0) as gz,
    ):
        gz.write(data)
    tmp.replace(out)


def generate(wheel: Path | None = None, out: Path = DEFAULT_OUT) -> dict[str, int]:
    with tempfile.TemporaryDirectory(prefix="tfoffline-gen-") as tmp:
        wheel = wheel or download_wheel(Path(tmp))
        sources = typescript_sources(read_wheel(wheel))
    schema, counts = build_schema(sources)
    write_schema(schema, out)
    return counts


def format_counts(counts: dict[str, int]) -> str:
    return (
        f"hashicorp/aws {PROVIDER_VERSION} from {PACKAGE} {PACKAGE_VERSION}: "
        f"{counts['resource_types']} resource types ({counts['resource_attributes']} attributes), "
        f"{counts['data_sources']} data sources ({counts['data_source_attributes']} attributes), "
        f"provider config {counts['provider_attributes']} attributes"
    )
