"""How `chromactl status` reads for people (the --json document is the StatusResult itself)."""

from __future__ import annotations

from typing import Any

from chromactl.workflows.status import StatusResult


def render_status(console: Any, data: StatusResult) -> None:
    console.print(f"[bold]{data.env}/{data.region}[/]  endpoint: {data.endpoint or '-'}")
    svc = data.service
    if "error" in svc:
        console.print(f"service: [red]{svc['error']}[/]")
    else:
        console.print(f"service: {svc['running']}/{svc['desired']} running, {svc['pending']} pending ({svc['reason']})")
        for d in svc["deployments"]:
            console.print(f"  deployment {d['status']} {d.get('rollout_state') or ''} {d['running']}/{d['desired']}")
        for t in svc["targets"]:
            console.print(f"  target {t['id']}:{t['port']} {t['state']}")
    alarms = data.alarms
    firing = alarms.get("in_alarm") or []
    console.print(f"alarms ({alarms['prefix']}*): " + (", ".join(a["name"] for a in firing) if firing else alarms.get("error", "none in ALARM")))
    rep = data.replication
    if rep.get("destinations"):
        for d in rep["destinations"]:
            lag = f"{d['lag_s']:.0f} s" if d.get("lag_s") is not None else "unknown"
            console.print(f"replication -> {d['region']}: {d['status']}, lag {lag}")
    else:
        console.print(f"replication: {rep.get('error') or rep.get('note') or 'not configured'}")
    rp = data.recovery_point
    if rp.get("newest"):
        console.print(f"newest recovery point: {rp['newest']['created']} ({rp['newest']['age_s']:.0f} s old)")
    else:
        console.print(f"recovery point: {rp.get('error') or rp.get('note') or 'none yet'}")
    ch = data.chroma  # day2.status.ChromaSection
    console.print(f"chroma: {ch.image or ch.image_error or '-'} (Chroma {ch.chroma_version or 'unknown'}); "
                  f"highest version that opened the data: {ch.highest_opened_data or ch.record_error or 'none recorded'}")
    for p in data.problems:
        console.print(f"[red]problem:[/] {p}")
