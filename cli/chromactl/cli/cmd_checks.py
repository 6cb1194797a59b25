"""`chromactl smoke`, `latency`, `load`: checks against a Chroma endpoint.

The target is `--env E` (local: the local server; AWS: the stack's endpoint and
its token from Secrets Manager) or `--endpoint URL` with `--token-env VAR`
(the NAME of an environment variable holding the token; the token itself is
never an argument, never printed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from chromactl.cli.context import JSON_OPT, app_context
from chromactl.errors import EXIT_FAILED, UsageError

ENV_OPT = typer.Option(None, "--env", "-e", help="Environment name (local, or an AWS env under envs/).")
ENDPOINT_OPT = typer.Option(None, "--endpoint", help="Chroma URL, e.g. https://chroma.example.com (instead of --env).")
TOKEN_ENV_OPT = typer.Option(None, "--token-env", help="NAME of the environment variable that holds the token.")
TOKEN_HEADER_OPT = typer.Option("authorization", "--token-header", help="Send the token as 'authorization' (Bearer) or 'x-chroma-token'.")
REGION_OPT = typer.Option(None, "--region", "-r", help="AWS region (default: the env's primary).")
TIMEOUT_OPT = typer.Option(10.0, "--timeout", help="Seconds each request may take.", min=0.1)
SLO_OPT = typer.Option(None, "--slo", help="Fail (exit 1) above this, e.g. --slo p95=100 --slo p99=250 (ms).")

FILE_OPT = typer.Option(..., "--file", "-f", help="A .npy array (ids generated) or a .jsonl file.")

CHECKPOINT_OPT = typer.Option(None, "--checkpoint", help="Checkpoint file (default: <file>.chromactl-checkpoint.json).")
INSECURE_OPT = typer.Option(False, "--insecure", help="Do not verify the TLS certificate (self-signed test endpoints).")


def _target(actx: Any, env: str | None, endpoint: str | None, token_env: str | None, token_header: str,
            region: str | None, timeout: float, insecure: bool) -> Any:
    from chromactl.checks.target import resolve_target

    return resolve_target(env, endpoint, token_env, region, actx.profile, timeout_s=timeout, verify_tls=not insecure,
                          token_header=token_header, root=actx.root)


HNSW_OPT = typer.Option(None, "--hnsw", help="HNSW build option of a new collection, KEY=VALUE (repeatable): ef_construction, "
                        "max_neighbors, ef_search, num_threads, batch_size, sync_threshold, resize_factor (default: chromactl's, docs/checks.md).")


def register(app: typer.Typer) -> None:
    @app.command("smoke")
    def smoke(
        ctx: typer.Context,
        env: str | None = ENV_OPT,
        endpoint: str | None = ENDPOINT_OPT,
        token_env: str | None = TOKEN_ENV_OPT,
        token_header: str = TOKEN_HEADER_OPT,
        region: str | None = REGION_OPT,
        timeout: float = TIMEOUT_OPT,
        insecure: bool = INSECURE_OPT,
        vectors: int = typer.Option(500, "--vectors", help="Vectors to add to the temporary collection.", min=10),
        dims: int = typer.Option(64, "--dims", help="Their dimensions.", min=2),
        json_out: bool = JSON_OPT,
    ) -> None:
        """Heartbeat, auth, create, add, query, filter, delete: does the endpoint work end to end?"""
        from chromactl.checks.smoke import run_smoke

        actx = app_context(ctx, json_out)
        out = actx.output
        target = _target(actx, env, endpoint, token_env, token_header, region, timeout, insecure)

        def on_step(step: Any) -> None:
            if out.json:
                return
            mark = "[green]ok[/green]    " if step.ok else "[red]failed[/red]"
            out.out.print(f"{mark} {step.name:<26} {step.seconds * 1000:8.1f} ms  {step.detail}")

        if not out.json:
            out.out.print(f"smoke check against {target.url} (timeout {timeout:g} s per request)")
        report = run_smoke(target, vectors=vectors, dims=dims, timeout_s=timeout, on_step=on_step)

        def render(console: Any) -> None:
            if report.interrupted:
                console.print("[yellow]interrupted[/yellow]")
            if report.collection and not report.cleaned_up:
                console.print(f"[red]could not delete the temporary collection {report.collection}[/red]; delete it by hand")
            elif report.collection:
                console.print(f"temporary collection {report.collection} removed")
            verdict = "[green]smoke check passed[/green]" if report.ok else "[red]smoke check failed[/red]"
            console.print(f"{verdict} in {report.seconds:.2f} s")

        out.result(report.to_dict(), render)
        if report.interrupted:
            raise typer.Exit(130)
        if not report.ok:
            raise typer.Exit(EXIT_FAILED)

    @app.command("latency")
    def latency(
        ctx: typer.Context,
        env: str | None = ENV_OPT,
        endpoint: str | None = ENDPOINT_OPT,
        token_env: str | None = TOKEN_ENV_OPT,
        token_header: str = TOKEN_HEADER_OPT,
        region: str | None = REGION_OPT,
        timeout: float = TIMEOUT_OPT,
        insecure: bool = INSECURE_OPT,
        queries: int = typer.Option(1000, "--queries", "-n", help="Closed loop: number of queries.", min=1),
        concurrency: int = typer.Option(1, "--concurrency", "-c", help="Closed loop: workers.", min=1, max=256),
        rate: float | None = typer.Option(None, "--rate", help="Open loop: requests per second (with --duration)."),
        duration: float | None = typer.Option(None, "--duration", help="Open loop: seconds to run."),
        max_in_flight: int = typer.Option(64, "--max-in-flight", help="Open loop: requests on the wire at most.", min=1, max=1024),
        collection: str | None = typer.Option(None, "--collection", help="Query this existing collection (read-only)."),
        seed_vectors: int = typer.Option(5000, "--seed-vectors", help="Vectors in the temporary benchmark collection.", min=1),
        dims: int = typer.Option(128, "--dims", help="Their dimensions.", min=2),
        n_results: int = typer.Option(10, "--n-results", help="Neighbours per query.", min=1),
        slo: list[str] | None = SLO_OPT,
        publish: bool = typer.Option(False, "--publish", help="Put p50/p95/p99 into CloudWatch (namespace Chromactl)."),
        publish_env: str | None = typer.Option(None, "--publish-env", help="Env dimension for --publish with --endpoint."),
        json_out: bool = JSON_OPT,
    ) -> None:
        """Query latency: closed loop (--queries/--concurrency) or open loop (--rate/--duration)."""
        from chromactl.checks.latency import parse_slos, run_closed, run_open, workload_for

        actx = app_context(ctx, json_out)
        out = actx.output
        if (rate is None) != (duration is None):
            raise UsageError("--rate and --duration go together (open loop).", "e.g. --rate 100 --duration 30, or neither for a closed loop.")
        slos = parse_slos(slo)
        target = _target(actx, env, endpoint, token_env, token_header, region, timeout, insecure)
        if not slos and env:
            from chromactl.config import load_env

            cfg = load_env(env, actx.root).slo
            slos = {k: v for k, v in (("p95", cfg.p95_ms), ("p99", cfg.p99_ms)) if v}
        pub_env = target.env or publish_env
        pub_region = target.region if target.region and target.region != "local" else region
        if publish and (not pub_env or not pub_region):
            raise UsageError("--publish needs an Env and a Region for the metric's dimensions.",
                             "Use --env E (with --region for local), or --endpoint with --publish-env NAME --region R.")

        with workload_for(target, collection=collection, seed_vectors=seed_vectors, dims=dims, n_results=n_results,
                          on_info=out.info) as wl:
            if rate is not None and duration is not None:
                out.info(f"open loop: {rate:g} req/s for {duration:g} s against {target.url}")
                report = run_open(target, rate, duration, workload=wl, max_in_flight=max_in_flight)
            else:
                out.info(f"closed loop: {queries} queries, concurrency {concurrency}, against {target.url}")
                report = run_closed(target, queries, concurrency, workload=wl)
        breaches = report.breaches(slos) if slos else []
        published = None
        if publish and report.count:
            from chromactl.checks.publish import publish_latency

            published = publish_latency(report, str(pub_env), str(pub_region), profile=actx.profile)
        data = {**report.to_dict(), "target": target.describe(), "slos": slos, "breaches": breaches,
                "published": published, "ok": report.ok and not breaches}

        def render(console: Any) -> None:
            from rich.table import Table

            lat = data["latency_ms"]
            table = Table(title=f"{report.mode} loop latency, {data['collection']['name']}", show_header=True)
            for col in ("count", "errors", "completed/s", "p50", "p90", "p95", "p99", "p99.9", "max"):
                table.add_column(col, justify="right")

            def ms(v: Any) -> str:
                return "-" if v is None else f"{v:.1f} ms"

            table.add_row(str(report.count), str(report.errors), f"{report.throughput:.1f}",
                          *(ms(lat[k]) for k in ("p50", "p90", "p95", "p99", "p99.9", "max")))
            console.print(table)
            if report.mode == "open":
                console.print(f"scheduled rate {data['scheduled_rate']:g}/s, achieved send rate {data['achieved_send_rate'] or 0:.1f}/s, "
                              f"completion rate {data['completion_rate']:.1f}/s, max queueing delay {data['max_queueing_delay_ms']:.1f} ms")
            console.print(f"[dim]{report.note}[/dim]")
            if report.aborted:
                console.print(f"[red]{report.aborted}[/red]")
            for sample in report.error_samples:
                console.print(f"[red]error:[/red] {sample}")
            for b in breaches:
                console.print(f"[red]SLO breach:[/red] {b['metric']} = {b['actual_ms']} ms > {b['limit_ms']:g} ms")
            if slos and not breaches:
                console.print("SLOs met: " + ", ".join(f"{k} <= {v:g} ms" for k, v in slos.items()))
            if published:
                console.print(f"published {', '.join(published['metrics'])} to CloudWatch {published['namespace']} in {published['region']}")

        out.result(data, render)
        if not data["ok"]:
            raise typer.Exit(EXIT_FAILED)

    @app.command("load")
    def load(
        ctx: typer.Context,
        collection: str = typer.Option(..., "--collection", help="Collection to load into (created if missing)."),
        file: Path = FILE_OPT,
        env: str | None = ENV_OPT,
        endpoint: str | None = ENDPOINT_OPT,
        token_env: str | None = TOKEN_ENV_OPT,
        token_header: str = TOKEN_HEADER_OPT,
        region: str | None = REGION_OPT,
        timeout: float = typer.Option(60.0, "--timeout", help="Seconds each batch request may take.", min=0.1),
        insecure: bool = INSECURE_OPT,
        workers: int = typer.Option(2, "--workers", "-w", help="Parallel requests (raise it for remote endpoints).", min=1, max=64),
        batch_size: int | None = typer.Option(
            None, "--batch-size", help="Vectors per request (default: ~8 MB of vectors; capped by the server's max_batch_size).", min=1
        ),
        checkpoint: Path | None = CHECKPOINT_OPT,
        id_prefix: str | None = typer.Option(None, "--id-prefix", help=".npy: ids are <prefix><row> (default: the file's stem and a dash)."),
        hnsw: list[str] | None = HNSW_OPT,
        json_out: bool = JSON_OPT,
    ) -> None:
        """Bulk-load vectors in parallel batches; rerun the same command to resume after an interruption."""
        import sys

        from chromactl.checks.load import parse_hnsw, run_load

        actx = app_context(ctx, json_out)
        out = actx.output
        target = _target(actx, env, endpoint, token_env, token_header, region, timeout, insecure)
        show = not out.json and sys.stderr.isatty()
        progress_cb = None
        progress = None
        if show:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            progress = Progress(TextColumn("loading"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=out.err)
            task = progress.add_task("load", total=None)

            def progress_cb(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

        try:
            if progress:
                progress.start()
            report = run_load(target, collection, file, workers=workers, batch_size=batch_size, checkpoint=checkpoint,
                              id_prefix=id_prefix, hnsw=parse_hnsw(hnsw), on_progress=progress_cb, on_info=out.info)
        finally:
            if progress:
                progress.stop()

        def render(console: Any) -> None:
            console.print(
                f"loaded {report.sent_vectors} vectors into {report.collection} in {report.seconds:.1f} s "
                f"({report.vectors_per_s:.0f} vectors/s, {report.sent_batches} batches of up to {report.batch_size}, "
                f"{report.workers} workers); {report.skipped_batches} batches were already done"
            )
            console.print(f"collection count: {report.collection_count}; checkpoint: {report.checkpoint}")

        out.result(report.to_dict(), render)
