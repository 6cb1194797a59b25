"""Compare the generated schema with a real `terraform providers schema -json` dump.

    python -m tfoffline compare-schema dump.json [--show N]

For every resource type and data source present in both, each attribute's type
and required/optional/computed flags and each nested block's nesting mode and
min/max items are compared. Framework nested attributes (`nested_type`) are
compared through their implied object type. Differences that the generator
cannot know by construction (cdktn does not carry `max_items` above 1) are
counted apart from real disagreements; the rest are listed. A dump from
another provider version also shows that version's drift.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

AWS = "registry.terraform.io/hashicorp/aws"


def _implied_type(attr: dict[str, Any]) -> Any:
    nested = attr.get("nested_type")
    if not nested:
        return attr.get("type")
    obj = ["object", {k: _implied_type(v) for k, v in nested.get("attributes", {}).items()}]
    mode = nested.get("nesting_mode", "single")
    return obj if mode == "single" else [mode, obj]


def _flags(attr: dict[str, Any]) -> tuple[bool, bool, bool]:
    return bool(attr.get("required")), bool(attr.get("optional")), bool(attr.get("computed"))


def _shape(nb: dict[str, Any]) -> tuple[str, int, int]:
    return nb["nesting_mode"], int(nb.get("min_items", 0)), int(nb.get("max_items", 0))


def compare_blocks(
    real: dict[str, Any], mine: dict[str, Any], path: str, stats: Counter, diffs: list[str]
) -> None:
    r_attrs, m_attrs = real.get("attributes", {}), mine.get("attributes", {})
    r_blocks, m_blocks = real.get("block_types", {}), mine.get("block_types", {})
    for name, a in r_attrs.items():
        where = f"{path}{name}"
        if name in m_attrs:
            same_type = _implied_type(a) == m_attrs[name]["type"]
            same_flags = _flags(a) == _flags(m_attrs[name])
            if same_type and same_flags:
                stats["attributes_same"] += 1
            else:
                stats["attributes_differ"] += 1
                what = "type" if not same_type else "flags"
                diffs.append(
                    f"{where}: {what} real={_implied_type(a) if not same_type else _flags(a)} "
                    f"generated={m_attrs[name]['type'] if not same_type else _flags(m_attrs[name])}"
                )
        elif name in m_blocks:
            stats["attribute_served_as_block"] += 1
            diffs.append(f"{where}: an attribute in the real schema, a block in the generated one")
        else:
            stats["attributes_missing"] += 1
    for name, nb in r_blocks.items():
        where = f"{path}{name}"
        if name not in m_blocks:
            stats["blocks_missing" if name not in m_attrs else "block_served_as_attribute"] += 1
            continue
        r_shape, m_shape = _shape(nb), _shape(m_blocks[name])
        if r_shape == m_shape:
            stats["blocks_same"] += 1
        elif r_shape[:2] == m_shape[:2] and r_shape[2] > 1 and m_shape[2] == 0:
            stats["blocks_max_items_unknown"] += 1  # cdktn carries max_items only when it is 1
        else:
            stats["blocks_differ"] += 1
            diffs.append(f"{where}: block real={r_shape} generated={m_shape}")
        compare_blocks(nb["block"], m_blocks[name]["block"], where + ".", stats, diffs)


def provider_of(doc: dict[str, Any]) -> dict[str, Any]:
    schemas = doc.get("provider_schemas", doc)
    if AWS in schemas:
        return schemas[AWS]
    if "resource_schemas" in doc:
        return doc
    raise ValueError("no registry.terraform.io/hashicorp/aws provider schema in the dump")


def compare(real_doc: dict[str, Any], mine_doc: dict[str, Any]) -> tuple[Counter, list[str]]:
    real, mine = provider_of(real_doc), provider_of(mine_doc)
    stats: Counter = Counter()
    diffs: list[str] = []
    for kind in ("resource_schemas", "data_source_schemas"):
        for type_name, schema in sorted(real.get(kind, {}).items()):
            if type_name not in mine.get(kind, {}):
                stats[f"{kind}_missing"] += 1
                continue
            stats[f"{kind}_compared"] += 1
            compare_blocks(
                schema["block"], mine[kind][type_name]["block"], f"{type_name}.", stats, diffs
            )
    return stats, diffs


def summary(stats: Counter) -> str:
    attrs = (
        stats["attributes_same"] + stats["attributes_differ"] + stats["attribute_served_as_block"]
    )
    blocks = stats["blocks_same"] + stats["blocks_differ"] + stats["blocks_max_items_unknown"]
    return (
        f"{stats['resource_schemas_compared']} resource types and {stats['data_source_schemas_compared']} data sources "
        f"compared: {stats['attributes_same']}/{attrs} attributes with the same type and flags, "
        f"{stats['blocks_same']}/{blocks} nested blocks with the same nesting and item limits "
        f"({stats['blocks_max_items_unknown']} differ only by a max_items above 1), "
        f"{stats['attributes_differ'] + stats['attribute_served_as_block'] + stats['blocks_differ']} real differences; "
        f"{stats['resource_schemas_missing'] + stats['data_source_schemas_missing']} types and "
        f"{stats['attributes_missing'] + stats['blocks_missing']} fields only in the dump"
    )


def load(path: Path) -> dict[str, Any]:
    text = path.read_bytes()
    if path.suffix == ".gz":
        import gzip

        text = gzip.decompress(text)
    return json.loads(text)
