"""`chromactl smoke`, `latency`, `load`: checks against a Chroma endpoint.

The target is `--env E` (local: the local server; AWS: the stack's endpoint and
its token from Secrets Manager) or `--endpoint URL` with `--token-env VAR`
(the NAME of an environment variable holding the token; the token itself is
never an argument, never printed).

`--env` and `--region` also come from CHROMACTL_ENV and CHROMACTL_REGION, as
for every verb; `--endpoint` on the command line wins over CHROMACTL_ENV.
Values Click's ranges let through (nan, inf, 1e300) and options that cannot
apply together are refused (exit 2) before anything is sent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from chromactl.cli.context import JSON_OPT, app_context, complete_env
from chromactl.cli.validate import from_environment, refuse_together, request_timeout
from chromactl.errors import OperationFailed, UsageError

ENV_OPT = typer.Option(None, "--env", "-e", help="Environment name (local, or an AWS env under envs/).", envvar="CHROMACTL_ENV",
                       autocompletion=complete_env)
ENDPOINT_OPT = typer.Option(None, "--endpoint", help="Chroma URL, e.g. https://chroma.example.com (instead of --env).")
TOKEN_ENV_OPT = typer.Option(None, "--token-env", help="NAME of the environment variable that holds the token.")
TOKEN_HEADER_OPT = typer.Option("authorization", "--token-header", help="Send the token as 'authorization' (Bearer) or 'x-chroma-token'.")
REGION_OPT = typer.Option(None, "--region", "-r", help="AWS region (default: the env's primary).", envvar="CHROMACTL_REGION")
TIMEOUT_OPT = typer.Option(10.0, "--timeout", help="Seconds each request may take (at most 3600).", min=0.1)
SLO_OPT = typer.Option(None, "--slo", help="Fail (exit 1) above this, e.g. --slo p95=100 --slo p99=250 (ms).")

FILE_OPT = typer.Option(..., "--file", "-f", help="A .npy array (ids generated) or a .jsonl file.")

CHECKPOINT_OPT = typer.Option(None, "--checkpoint", help="Checkpoint file (default: <file>.chromactl-checkpoint.json).")
INSECURE_OPT = typer.Option(False, "--insecure", help="Do not verify the TLS certificate (self-signed test endpoints).")


def _env_choice(ctx: typer.Context, env: str | None, endpoint: str | None) -> str | None:
    """--endpoint given: an env that only came from CHROMACTL_ENV does not count."""
    if endpoint and env and from_environment(ctx, "env"):
        return None
    return env


def _target(actx: Any, env: str | None, endpoint: str | None, token_env: str | None, token_header: str,
            region: str | None, timeout: float, insecure: bool, loaded: Any = None) -> Any:
    """The check target; `loaded`: the env's EnvConfig when the verb has loaded it already."""
    from chromactl.workflows.endpoint import resolve_target

    return resolve_target(env, endpoint, token_env, region, actx.profile, timeout_s=timeout, verify_tls=not insecure,
                          token_header=token_header, root=actx.root, output=actx.output, env=loaded)


def _smoke_line(out: Any, report: Any) -> str:
    if report.interrupted:
        where = f" during step '{report.interrupted_in}'" if getattr(report, "interrupted_in", None) else ""
        return f"[yellow]smoke check interrupted{where} after {report.elapsed_s:.2f} s[/yellow]"
    verdict = "[green]smoke check passed[/green]" if report.ok else "[red]smoke check failed[/red]"
    return f"{verdict} in {report.elapsed_s:.2f} s"


def smoke_failure(report: Any) -> OperationFailed:
    """The one sentence (stderr, and the --json envelope's error) of a failed smoke check: the first failed step."""
    failed = [s for s in report.steps if not s.ok]
    if failed:
        step = failed[0]
        text = step.detail.removeprefix(f"{step.name}: ").rstrip(". ")
        detail = f" ({text})" if text else ""
        return OperationFailed(f"smoke check failed at: {step.name}{detail}.",
                               "Check that the server is up (`chromactl status`); each step's answer is in the lines above (`result.steps` under --json).")
    return OperationFailed(f"smoke check failed: could not clean up {report.collection}.",
                           "The next run recovers the check collection after an hour.")


def latency_failure(data: dict[str, Any], breaches: list[dict[str, Any]]) -> OperationFailed:
    """The one sentence of a failed latency run: the SLO breaches, else the errors or the abort."""
    if breaches:
        over = "; ".join(f"{b['metric']} {b['actual_ms']} ms is over the SLO of {b['limit_ms']:g} ms" if b.get("actual_ms") is not None
                         else f"{b['metric']} has no measurement against the SLO of {b['limit_ms']:g} ms" for b in breaches)
        return OperationFailed(f"{over}.", "Look at the server's load and size, or at the --slo limits.")
    if data.get("aborted"):
        return OperationFailed(f"latency run failed: {str(data['aborted']).rstrip('.')}.", "The error samples above show what the server answered.")
    return OperationFailed(f"latency run failed: {data.get('errors', 0)} of the requests got an error.",
                           "The error samples above show what the server answered.")


HNSW_OPT = typer.Option(None, "--hnsw", help="HNSW build option of a new collection, KEY=VALUE (repeatable): ef_construction, "
                        "max_neighbors, ef_search, num_threads, batch_size, sync_threshold, resize_factor; on top of chromactl's defaults "
                        "(ef_construction=64, measured: docs/checks.md), the rest Chroma's.")


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
        vectors: int = typer.Option(500, "--vectors", help="Vectors to add to the temporary collection.", min=10, max=1_000_000),
        dims: int = typer.Option(64, "--dims", help="Their dimensions.", min=2, max=65_536),
        json_out: bool = JSON_OPT,
    ) -> None:
        """Heartbeat, auth, create, add, query, filter, delete: does the endpoint work end to end?"""
        from chromactl.checks.smoke import run_smoke

        actx = app_context(ctx, json_out)
        out = actx.output
        request_timeout(timeout)
        target = _target(actx, _env_choice(ctx, env, endpoint), endpoint, token_env, token_header, region, timeout, insecure)

        def on_step(step: Any) -> None:
            if out.json:
                return
            mark = "[green]ok[/green]    " if step.ok else "[red]failed[/red]"
            out.out.print(f"{mark} {step.name:<26} {step.seconds * 1000:8.1f} ms  {step.detail}")

        if not out.json:
            out.out.print(f"smoke check against {target.url} (timeout {timeout:g} s per request)")
        report = run_smoke(target, vectors=vectors, dims=dims, timeout_s=timeout, on_step=on_step)

        def render(console: Any) -> None:
            if report.collection and not report.cleaned_up:
                what = "release the check collection" if report.collection_kept else "delete the temporary collection"
                console.print(f"[red]could not {what} {report.collection}[/red]; the next run recovers it after an hour")
            elif report.collection and report.collection_kept:
                console.print(f"check collection {report.collection} kept for the next run (no orphaned index directory)")
            elif report.collection:
                console.print(f"temporary collection {report.collection} removed")
            console.print(_smoke_line(out, report))

        out.result(report.to_dict(), render)
        if report.interrupted:
            raise typer.Exit(130)
        if not report.ok:
            raise smoke_failure(report)

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
        queries: int = typer.Option(1000, "--queries", "-n", help="Closed loop: number of queries.", min=1, max=100_000_000),
        concurrency: int = typer.Option(1, "--concurrency", "-c", help="Closed loop: workers.", min=1, max=256),
        rate: float | None = typer.Option(None, "--rate", help="Open loop: requests per second (with --duration)."),
        duration: float | None = typer.Option(None, "--duration", help="Open loop: seconds to run (at most 86400)."),
        max_in_flight: int = typer.Option(64, "--max-in-flight", help="Open loop: requests on the wire at most.", min=1, max=1024),
        collection: str | None = typer.Option(None, "--collection", help="Query this existing collection (read-only)."),
        seed_vectors: int = typer.Option(5000, "--seed-vectors", help="Vectors in the temporary benchmark collection.", min=1, max=10_000_000),
        dims: int = typer.Option(128, "--dims", help="Their dimensions.", min=2, max=65_536),
        n_results: int = typer.Option(10, "--n-results", help="Neighbours per query.", min=1),
        slo: list[str] | None = SLO_OPT,
        publish: bool = typer.Option(False, "--publish", help="Put p50/p95/p99 into CloudWatch (namespace Chromactl)."),
        publish_env: str | None = typer.Option(None, "--publish-env", help="Env dimension for --publish with --endpoint."),
        json_out: bool = JSON_OPT,
    ) -> None:
        """Query latency: closed loop (--queries/--concurrency) or open loop (--rate/--duration).

        Ctrl-C (or SIGTERM) stops the run: the figures of the part that ran are printed, marked
        interrupted, and the exit code is 130. An open loop that cannot keep its rate stops and
        says the rate it reached (exit 1).
        """
        from chromactl.checks.latency import check_rate_duration, parse_slos

        actx = app_context(ctx, json_out)
        out = actx.output
        # everything that can be refused is refused here, before a collection is seeded
        request_timeout(timeout)
        if (rate is None) != (duration is None):
            raise UsageError("--rate and --duration go together (open loop).", "e.g. --rate 100 --duration 30, or neither for a closed loop.")
        open_loop = rate is not None and duration is not None
        if open_loop:
            check_rate_duration(float(rate), float(duration))  # type: ignore[arg-type]
            refuse_together(ctx, "--rate/--duration", {"queries": "-n/--queries", "concurrency": "-c/--concurrency"},
                            "they size the closed loop; the open loop sends --rate x --duration requests from at most --max-in-flight senders",
                            "Drop them, or drop --rate/--duration for a closed loop.")
        else:
            refuse_together(ctx, "a closed loop", {"max_in_flight": "--max-in-flight"}, "it bounds the open loop's senders",
                            "Add --rate and --duration, or use -c/--concurrency for the closed loop.")
        if collection is not None:
            from chromactl.checks.names import check_collection_name

            check_collection_name(collection)
            refuse_together(ctx, "--collection", {"seed_vectors": "--seed-vectors", "dims": "--dims"},
                            "an existing collection is queried as it is (read-only), with its own dimensions",
                            "Drop them, or drop --collection to seed a temporary collection.")
        slos = parse_slos(slo)
        env = _env_choice(ctx, env, endpoint)
        the_env = None
        if not slos and env:
            from chromactl.config import load_env

            the_env = load_env(env, actx.root)
        target = _target(actx, env, endpoint, token_env, token_header, region, timeout, insecure, loaded=the_env)
        if the_env is not None:
            cfg = the_env.slo
            slos = {k: v for k, v in (("p95", cfg.p95_ms), ("p99", cfg.p99_ms)) if v}
        pub_env = target.env or publish_env
        pub_region = target.region if target.region and target.region != "local" else region
        if publish and (not pub_env or not pub_region):
            raise UsageError("--publish needs an Env and a Region for the metric's dimensions.",
                             "Use --env E (with --region for local), or --endpoint with --publish-env NAME --region R.")
        report = _run_latency(out, target, open_loop=open_loop, rate=rate, duration=duration, queries=queries,
                              concurrency=concurrency, max_in_flight=max_in_flight, collection=collection,
                              seed_vectors=seed_vectors, dims=dims, n_results=n_results)
        breaches = report.breaches(slos) if slos and not report.interrupted else []
        published = None
        if publish and report.count and not report.interrupted:
            from chromactl.checks.publish import publish_latency

            published = publish_latency(report, str(pub_env), str(pub_region), profile=actx.profile)
        data = {**report.to_dict(), "target": target.describe(), "slos": slos, "breaches": breaches,
                "published": published, "ok": report.ok and not breaches}

        def render(console: Any) -> None:
            lat = data["latency_ms"]

            def ms(v: Any) -> str:
                return "-" if v is None else f"{v:.1f} ms"

            cols = ("count", "errors", "completed/s", "p50", "p90", "p95", "p99", "p99.9", "max")
            row = (str(report.count), str(report.errors), f"{report.throughput:.1f}",
                   *(ms(lat[k]) for k in ("p50", "p90", "p95", "p99", "p99.9", "max")))
            title = f"{report.mode} loop latency, {data['collection']['name']}" + (" (interrupted: partial)" if report.interrupted else "")
            out.table(console, title, cols, [row], right=cols)
            if report.mode == "open":
                console.print(f"scheduled rate {data['scheduled_rate']:g}/s, achieved send rate {data['achieved_send_rate'] or 0:.1f}/s, "
                              f"completion rate {data['completion_rate']:.1f}/s, max queueing delay {data['max_queueing_delay_ms']:.1f} ms")
            console.print(f"[dim]{report.note}[/dim]")
            if report.interrupted:
                console.print(f"[yellow]interrupted after {report.duration_s:.1f} s: the figures are of the {report.count} answers before it[/yellow]")
            if report.aborted:
                console.print(f"[red]{report.aborted}[/red]")
            for sample in report.error_samples:
                console.print(f"[red]error:[/red] {sample}")
            for b in breaches:
                console.print(f"[red]SLO breach:[/red] {b['metric']} = {b['actual_ms']} ms > {b['limit_ms']:g} ms")
            if slos and not breaches and not report.interrupted:
                console.print("SLOs met: " + ", ".join(f"{k} <= {v:g} ms" for k, v in slos.items()))
            if published:
                console.print(f"published {', '.join(published['metrics'])} to CloudWatch {published['namespace']} in {published['region']}")

        out.result(data, render)
        if report.interrupted:
            raise typer.Exit(130)
        if not data["ok"]:
            raise latency_failure(data, breaches)

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
        mode: str = typer.Option("add", "--mode", help="add: keep records whose id exists; upsert: overwrite them (a corrected file)."),
        hnsw: list[str] | None = HNSW_OPT,
        json_out: bool = JSON_OPT,
    ) -> None:
        """Bulk-load vectors in parallel batches; rerun the same command to resume after an interruption."""
        from chromactl.checks.load import parse_hnsw, run_load

        actx = app_context(ctx, json_out)
        out = actx.output
        from chromactl.checks.names import check_collection_name

        check_collection_name(collection)  # Chroma's own rule, before any request (the server's 400 has no hint)
        hnsw_options = parse_hnsw(hnsw)  # a bad option is refused before any request
        request_timeout(timeout)
        target = _target(actx, _env_choice(ctx, env, endpoint), endpoint, token_env, token_header, region, timeout, insecure)
        # a bar on a terminal, a plain line every CHROMACTL_PROGRESS_EVERY s (10) when redirected; it starts
        # with run_load's first progress call, after the file is validated and the collection looked up,
        # so a refused input prints its error alone (no "started" / "done: 0 vectors" around it)
        bar = out.progress(f"loading {file.name}", unit="vectors")
        interrupted = False
        try:
            report = run_load(target, collection, file, workers=workers, batch_size=batch_size, checkpoint=checkpoint,
                              id_prefix=id_prefix, mode=mode, hnsw=hnsw_options, on_progress=lambda done, total: bar.update(done, total),
                              on_info=out.info)
        except KeyboardInterrupt:
            interrupted = True
            raise
        finally:
            bar.close(interrupted=interrupted)

        def render(console: Any) -> None:
            from chromactl.checks.load import describe_counts

            console.print(
                f"{describe_counts(report)} into {report.collection} in {report.seconds:.1f} s "
                f"({report.sent_batches} batches of up to {report.batch_size}, {report.workers} workers); "
                f"{report.skipped_batches} batches were already done",
                markup=False,
            )
            if report.kept:
                out.warn(f"{report.kept} records exist with other values and were kept (add keeps existing ids); "
                         "load with --mode upsert to overwrite them")
            console.print(f"collection count: {report.collection_count}; checkpoint: {report.checkpoint}", markup=False)

        out.result(report.to_dict(), render)


def _final_detail(report: Any) -> str:
    return f"{report.count} answered, {report.errors} errors" + (" (interrupted)" if report.interrupted else "")


def _run_latency(out: Any, target: Any, *, open_loop: bool, rate: float | None, duration: float | None, queries: int,
                 concurrency: int, max_in_flight: int, collection: str | None, seed_vectors: int, dims: int,
                 n_results: int) -> Any:
    """Seed (or look up) the collection, run the loop, remove what was seeded; progress on stderr throughout."""
    from chromactl.checks.latency import run_closed, run_open, workload_for

    seeding = out.progress("seeding", unit="vectors")  # starts with its first update (none for --collection)
    try:
        with workload_for(target, collection=collection, seed_vectors=seed_vectors, dims=dims, n_results=n_results,
                          on_info=out.info, on_progress=seeding.update) as wl:
            seeding.close()
            if open_loop:
                assert rate is not None and duration is not None
                out.info(f"open loop: scheduled rate {rate:g}/s for {duration:g} s against {target.url}")
                with out.progress("querying", duration, unit="s") as bar:
                    def tick(t: dict[str, Any]) -> None:
                        bar.update(round(t["elapsed_s"]), detail=f"{t['sent']} sent, {t['answered']} answered, {t['errors']} errors")

                    report = run_open(target, rate, duration, workload=wl, max_in_flight=max_in_flight, on_tick=tick)
                    # the last tick is a sample from before the run ended: the closing line shows the totals
                    bar.update(round(min(duration, report.duration_s)), detail=_final_detail(report))  # the drain after it is not more of the run
                    return report
            out.info(f"closed loop: {queries} queries, concurrency {concurrency}, against {target.url}")
            with out.progress("querying", queries, unit="queries") as bar:
                def tick_closed(t: dict[str, Any]) -> None:
                    bar.update(t["sent"], detail=f"{t['answered']} answered, {t['errors']} errors")

                report = run_closed(target, queries, concurrency, workload=wl, on_tick=tick_closed)
                bar.update(report.count + report.errors, detail=_final_detail(report))  # the totals, not the last sample
                return report
    finally:
        seeding.close()
