"""`chromactl envs`: the environments found."""

from __future__ import annotations

from typing import Any

import typer

from chromactl.cli.context import JSON_OPT, app_context


def register(app: typer.Typer) -> None:
    @app.command("envs")
    def envs(ctx: typer.Context, json_out: bool = JSON_OPT) -> None:
        """List the environments, their regions, and whether they are protected."""
        from chromactl.config import all_envs, load_env

        actx = app_context(ctx, json_out)
        rows: list[dict[str, Any]] = []
        for name in all_envs(actx.root):
            env = load_env(name, actx.root)
            rows.append(
                {
                    "name": env.name,
                    "kind": env.kind,
                    "primary_region": env.primary_region,
                    "failover_regions": list(env.failover_regions),
                    "state_bucket": env.state.bucket if env.state else None,
                    "state_region": env.state.region if env.state else None,
                    "protected": env.protected,
                }
            )

        def render(console) -> None:  # type: ignore[no-untyped-def]
            table_rows = []
            for r in rows:
                state = f"{r['state_bucket']} ({r['state_region']})" if r["state_bucket"] else "-"
                table_rows.append((r["name"], r["kind"], r["primary_region"] or "127.0.0.1", ", ".join(r["failover_regions"]) or "-",
                                   state, "yes" if r["protected"] else "no"))
            actx.output.table(console, "chromactl environments",
                              ("env", "kind", "primary", "failover", "state bucket (region)", "protected"), table_rows)

        actx.output.result({"envs": rows}, render)
