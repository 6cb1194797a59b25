"""What a plan does: counts by action (create / update / replace / delete) and resource type.

Two sources give the same summary:
- the machine-readable stream of `terraform plan -json` (`planned_change`
  events), which `plan` reads as it runs, so no second Terraform process is
  needed to summarise;
- the plan JSON of `terraform show -json <planfile>` (`resource_changes`),
  used when applying a saved plan, to check what it really does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

ACTIONS = ("create", "update", "replace", "delete")
DESTRUCTIVE = ("replace", "delete")


@dataclass
class PlanSummary:
    # (action, resource type) -> count
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    # resource addresses by action
    addresses: dict[str, list[str]] = field(default_factory=lambda: {a: [] for a in ACTIONS})
    output_changes: int = 0

    def add(self, action: str, rtype: str, address: str) -> None:
        if action not in ACTIONS:
            return
        self.counts[(action, rtype)] += 1
        self.addresses[action].append(address)

    def total(self, action: str) -> int:
        return sum(n for (a, _), n in self.counts.items() if a == action)

    @property
    def has_resource_changes(self) -> bool:
        return bool(self.counts)

    @property
    def destructive(self) -> int:
        return sum(self.total(a) for a in DESTRUCTIVE)

    def destructive_addresses(self) -> list[str]:
        return [*self.addresses["replace"], *self.addresses["delete"]]

    def rows(self) -> list[dict[str, Any]]:
        order = {a: i for i, a in enumerate(ACTIONS)}
        return [
            {"action": a, "type": t, "count": n}
            for (a, t), n in sorted(self.counts.items(), key=lambda kv: (order[kv[0][0]], kv[0][1]))
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "totals": {a: self.total(a) for a in ACTIONS},
            "by_type": self.rows(),
            "destructive": self.destructive_addresses(),
            "output_changes": self.output_changes,
        }

    def line(self) -> str:
        return ", ".join(f"{self.total(a)} to {a}" for a in ACTIONS)

    def text(self, title: str) -> str:
        """The summary as an aligned plain-text table (no rich: printing it costs nothing)."""
        if not self.has_resource_changes:
            extra = f" ({self.output_changes} output change(s))" if self.output_changes else ""
            return f"{title}: no resource changes{extra}.\n"
        rows = self.rows()
        width = max([len("resource type"), *(len(r["type"]) for r in rows)])
        lines = [title, f"  {'action':<8} {'resource type':<{width}} {'count':>5}", f"  {'-' * 8} {'-' * width} {'-' * 5}"]
        lines += [f"  {r['action']:<8} {r['type']:<{width}} {r['count']:>5}" for r in rows]
        lines.append(self.line())
        return "\n".join(lines) + "\n"

    def render(self, console: Any, title: str) -> None:
        console.out(self.text(title).rstrip("\n"), highlight=False)


def _action_of(actions: list[str]) -> str | None:
    """Map a plan JSON `actions` list to one of ACTIONS (None for no-op / read)."""
    acts = list(actions or [])
    if acts in (["delete", "create"], ["create", "delete"]):
        return "replace"
    if acts == ["create"]:
        return "create"
    if acts == ["update"]:
        return "update"
    if acts == ["delete"]:
        return "delete"
    return None


def from_plan_json(plan: dict[str, Any]) -> PlanSummary:
    """Summary from `terraform show -json <planfile>`."""
    summary = PlanSummary()
    for rc in plan.get("resource_changes") or []:
        if rc.get("mode", "managed") != "managed":
            continue
        action = _action_of((rc.get("change") or {}).get("actions") or [])
        if action:
            summary.add(action, rc.get("type", "?"), rc.get("address", "?"))
    for oc in (plan.get("output_changes") or {}).values():
        if (oc.get("actions") or ["no-op"]) != ["no-op"]:
            summary.output_changes += 1
    return summary


def from_events(events: Iterable[dict[str, Any]]) -> PlanSummary:
    """Summary from the `terraform plan -json` event stream."""
    summary = PlanSummary()
    for event in events:
        kind = event.get("type")
        if kind == "planned_change":
            change = event.get("change") or {}
            action = change.get("action")
            res = change.get("resource") or {}
            if action in ACTIONS:
                summary.add(action, res.get("resource_type", "?"), res.get("addr", "?"))
        elif kind == "outputs":
            for out in (event.get("outputs") or {}).values():
                if out.get("action") not in (None, "noop"):
                    summary.output_changes += 1
    return summary
