"""`chromactl size`: the Fargate task size the capacity rule picks, before any plan."""

from __future__ import annotations

import typer

from chromactl.cli.context import JSON_OPT, app_context


def register(app: typer.Typer) -> None:
    @app.command("size")
    def size(
        ctx: typer.Context,
        vectors: int = typer.Option(..., "--vectors", "-n", help="Vectors the env will hold."),
        dims: int = typer.Option(..., "--dims", "-d", help="Dimensions of the embeddings (e.g. 384, 1536)."),
        memory: int | None = typer.Option(None, "--memory", help="Check this task memory (MiB) instead of picking one: exit 1 when it cannot hold the vectors."),
        json_out: bool = JSON_OPT,
    ) -> None:
        """Print the task size the capacity rule picks: memory at steady state and during a load, the Fargate pair."""
        from chromactl import sizing
        from chromactl.errors import OperationFailed

        actx = app_context(ctx, json_out)
        if memory is not None:
            sizing.check_memory(memory)
        chosen = sizing.pick(vectors, dims)
        data = chosen.to_dict()
        failed: list[str] = []
        if memory is not None:
            failed = sizing.failures(chosen.estimate, memory)
            f = sizing.fit(chosen.estimate, 0, memory)
            data["checked"] = {"memory_mib": memory, "steady_state_percent": round(f.steady_percent, 1),
                               "during_load_percent": round(f.load_percent, 1), "steady_state_ok": f.steady_ok,
                               "during_load_ok": f.load_ok, "failures": failed}

        def render(console) -> None:  # type: ignore[no-untyped-def]
            e, p = chosen.estimate, chosen.fit
            console.print(f"{vectors:,} vectors x {dims} dimensions")
            console.print(f"  steady state  {e.steady_mib:>8,} MiB  ({p.steady_percent:.0f} % of the task; alarm at "
                          f"{sizing.ALARM_PERCENT} %, kept {sizing.HEADROOM_PERCENT} % under it)")
            console.print(f"  during a load {e.load_mib:>8,} MiB  ({p.load_percent:.0f} % of the task; kept under {sizing.LOAD_CEILING_PERCENT} %)")
            console.print(f"  Fargate task  cpu {p.cpu} ({p.cpu / 1024:g} vCPU), memory {p.memory_mib} MiB ({p.memory_mib / 1024:g} GiB)")
            console.print(f"  health-check grace {chosen.grace_seconds} s (the stack's default for these vectors)")
            console.print(f"  terraform.tfvars: expected_vectors = {vectors}, vector_dimensions = {dims}, "
                          f"task_cpu = {p.cpu}, task_memory = {p.memory_mib}")
            if memory is not None:
                if failed:
                    for line in failed:
                        console.print(f"  {memory} MiB fails: {line}")
                else:
                    f = sizing.fit(e, 0, memory)
                    console.print(f"  {memory} MiB holds them: steady state {f.steady_percent:.0f} %, during a load {f.load_percent:.0f} %")

        actx.output.result(data, render)
        if failed:
            raise OperationFailed(f"{memory} MiB cannot hold {vectors} vectors of {dims} dimensions: {'; '.join(failed)}.",
                                  f"Use task_memory = {chosen.fit.memory_mib} (task_cpu = {chosen.fit.cpu}) or more.")
