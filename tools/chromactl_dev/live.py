"""The Terratest-style live suite: one orchestration, two targets.

Steps, in order: up (plan + apply, --auto-approve), wait (service stable, targets
healthy), status (healthy), smoke, latency (gated on the env's SLOs), unauthenticated
(a request without a token, and one with a wrong token, refused with 401),
rotation (the token-rotation drill: clients querying throughout, 0 errors), and
destroy, which runs in a `finally`: after a failed step the remaining steps are
skipped and the stack is destroyed anyway, so nothing is left running. Each
step's duration and outcome go into a JSON report, written also when the suite
fails.

The orchestration talks to a `Target` adapter:
- `AwsTarget` (here): the real thing. Terraform through chromactl's lifecycle,
  the real endpoint, the rotation through Secrets Manager and the Lambda.
- the offline target (tests/live/offline.py): the same Terraform with the
  offline provider and a local backend, moto's server for the AWS side, a local
  Chroma behind the local nginx (the ALB's token rule), the rotation driven
  through the rotation handler's four steps.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from chromactl.config import EnvConfig
from chromactl.drills.context import DrillContext
from chromactl.errors import ChromactlError, OperationFailed, UsageError
from chromactl.output import Output

STEPS = ("up", "wait", "status", "smoke", "latency", "unauthenticated", "rotation")


class SuiteTarget(Protocol):
    env: EnvConfig
    region: str
    output: Output
    kind: str

    def up(self) -> dict[str, Any]: ...
    def wait(self, outputs: dict[str, Any], timeout_s: float) -> dict[str, Any]: ...
    def status(self, outputs: dict[str, Any]) -> dict[str, Any]: ...
    def context(self, outputs: dict[str, Any]) -> DrillContext: ...
    def destroy(self) -> dict[str, Any]: ...


@dataclass
class SuiteSettings:
    wait_timeout_s: float = 900.0
    latency_queries: int = 300
    latency_concurrency: int = 4
    latency_seed_vectors: int = 2000
    latency_dims: int = 64
    rotation_timeout_s: float = 300.0


@dataclass
class SuiteReport:
    env: str
    region: str
    target: str
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    steps: list[dict[str, Any]] = field(default_factory=list)
    destroyed: bool = False
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        ran = {s["name"]: s for s in self.steps}
        return all(ran.get(n, {}).get("ok") for n in (*STEPS, "destroy")) and self.destroyed

    def step(self, name: str) -> dict[str, Any] | None:
        return next((s for s in self.steps if s["name"] == name), None)

    def to_dict(self) -> dict[str, Any]:
        return {"env": self.env, "region": self.region, "target": self.target, "ok": self.ok, "started_at": self.started_at,
                "seconds": round(self.seconds, 1), "destroyed": self.destroyed, "steps": self.steps}

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=2, default=str) + "\n", encoding="utf-8")
        tmp.replace(path)


def _short(exc: BaseException) -> str:
    if isinstance(exc, ChromactlError):
        return exc.message + (f" ({exc.hint})" if exc.hint else "")
    return f"{type(exc).__name__}: {exc}"


def run_suite(
    target: SuiteTarget,
    *,
    report_path: Path,
    settings: SuiteSettings | None = None,
    inject: Callable[[str], None] | None = None,
) -> SuiteReport:
    """Run every step (stopping at the first failure), then destroy in a `finally`; the report is always written."""
    s = settings or SuiteSettings()
    out = target.output
    report = SuiteReport(env=target.env.name, region=target.region, target=target.kind)
    started = time.monotonic()
    state: dict[str, Any] = {}

    def run_step(name: str, fn: Callable[[], dict[str, Any]]) -> None:
        t0 = time.monotonic()
        entry: dict[str, Any] = {"name": name, "ok": False}
        report.steps.append(entry)
        out.info(f"[live] {name} ...")
        try:
            if inject is not None:
                inject(name)
            entry["detail"] = fn()
            entry["ok"] = True
        except BaseException as exc:
            entry["error"] = _short(exc)
            raise
        finally:
            entry["seconds"] = round(time.monotonic() - t0, 2)
            report.write(report_path)
            out.info(f"[live] {name}: {'ok' if entry['ok'] else 'FAILED'} ({entry['seconds']:.1f} s)")

    def up() -> dict[str, Any]:
        state["outputs"] = target.up()
        state["ctx"] = target.context(state["outputs"])
        return {"endpoint": state["ctx"].endpoint}

    def wait() -> dict[str, Any]:
        res = target.wait(state["outputs"], s.wait_timeout_s)
        return {k: res.get(k) for k in ("running", "desired", "healthy", "seconds") if k in res}

    def status() -> dict[str, Any]:
        data = target.status(state["outputs"])
        if not data.get("healthy"):
            raise OperationFailed(f"status says the stack is not healthy: {'; '.join(data.get('problems') or []) or 'unknown'}.", None)
        svc = data.get("service", {})
        return {"healthy": True, "running": svc.get("running"), "desired": svc.get("desired"), "problems": data.get("problems")}

    def smoke() -> dict[str, Any]:
        ctx: DrillContext = state["ctx"]
        ok, data = ctx.smoke(ctx.target())
        if not ok:
            bad = [st["name"] for st in data.get("steps", []) if not st.get("ok")]
            raise OperationFailed(f"smoke failed at: {', '.join(bad) or 'cleanup'}.", None)
        return {"seconds": data.get("seconds"), "steps": len(data.get("steps", []))}

    def latency() -> dict[str, Any]:
        from chromactl.checks.latency import run_closed

        ctx: DrillContext = state["ctx"]
        rep = run_closed(ctx.target(), s.latency_queries, s.latency_concurrency, seed_vectors=s.latency_seed_vectors, dims=s.latency_dims)
        slos = {k: v for k, v in (("p95", target.env.slo.p95_ms), ("p99", target.env.slo.p99_ms)) if v}
        breaches = rep.breaches(slos)
        data = {"count": rep.count, "errors": rep.errors, "p50_ms": rep.p50_ms, "p95_ms": rep.p95_ms, "p99_ms": rep.p99_ms,
                "slo_ms": slos, "breaches": breaches}
        if breaches or rep.errors or not rep.count:
            raise OperationFailed(f"latency gate failed: {breaches or ''} {rep.errors} errors of {rep.count + rep.errors}.".replace("  ", " "), None)
        return data

    def unauthenticated() -> dict[str, Any]:
        from chromactl.drills.token_rotation import probe

        ctx: DrillContext = state["ctx"]
        import secrets

        none = probe(ctx.endpoint, None, ctx.verify_tls)
        wrong = probe(ctx.endpoint, secrets.token_hex(32), ctx.verify_tls)
        ours = probe(ctx.endpoint, ctx.read_token(), ctx.verify_tls)
        data = {"no_token": none, "wrong_token": wrong, "our_token": ours}
        if none != 401 or wrong != 401 or ours != 200:
            raise OperationFailed(f"auth check failed: without token HTTP {none}, wrong token HTTP {wrong}, our token HTTP {ours} "
                                  "(expected 401, 401, 200).", None)
        return data

    def rotation() -> dict[str, Any]:
        from chromactl.drills.token_rotation import run as rotate_drill

        ctx: DrillContext = state["ctx"]
        ctx.timeout_s = s.rotation_timeout_s
        result = rotate_drill(ctx)
        data = result.to_dict()
        if not result.passed:
            failed = [k for k, v in result.checks.items() if not v]
            raise OperationFailed(f"token rotation under load failed: {result.error or ', '.join(failed)}.", None)
        return {"rotation_s": data["measured_seconds"], "load": data["details"].get("load")}

    funcs = {"up": up, "wait": wait, "status": status, "smoke": smoke, "latency": latency,
             "unauthenticated": unauthenticated, "rotation": rotation}
    try:
        for name in STEPS:
            run_step(name, funcs[name])
    except Exception:  # noqa: BLE001 - recorded in the report; the remaining steps are skipped
        done = {st["name"] for st in report.steps}
        for name in STEPS:
            if name not in done:
                report.steps.append({"name": name, "ok": False, "skipped": True, "seconds": 0.0})
    finally:
        def destroy() -> dict[str, Any]:
            res = target.destroy()
            report.destroyed = True
            return res

        try:
            run_step("destroy", destroy)
        except Exception:  # noqa: BLE001 - recorded; a failed destroy fails the suite
            out.warn("the destroy step failed: resources may be left running; run `chromactl destroy` for this env now.")
        report.seconds = time.monotonic() - started
        report.write(report_path)
    return report


# --- the real target ---------------------------------------------------------------------------------------


class AwsTarget:
    """The live suite against real AWS, through chromactl's own lifecycle and checks."""

    kind = "aws"

    def __init__(self, env: EnvConfig, region: str | None, output: Output, *, profile: str | None = None, factory: Any = None):
        if not env.is_aws:
            raise UsageError(f"Env {env.name!r} is not an AWS env.", "The live suite needs a sandbox AWS env.")
        if env.protected:
            raise UsageError(f"Refusing to run the live suite on protected env {env.name!r}: it ends with `destroy`.",
                             "Use a sandbox env (protected = false) made for the live suite.")
        self.env, self.output, self.profile = env, output, profile
        self.region = env.region_or_primary(region)
        if factory is None:
            from chromactl.aws.session import ClientFactory

            factory = ClientFactory(profile=profile)
        self.factory = factory

    def up(self) -> dict[str, Any]:
        from chromactl.stack.outputs import read_outputs
        from chromactl.workflows.up import up

        up(self.env, self.region, self.output, auto_approve=True, skip_checks=True, profile=self.profile, factory=self.factory)
        return read_outputs(self.env, self.region, output=self.output, profile=self.profile)

    def wait(self, outputs: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        from chromactl.stack.health import wait_stable

        return wait_stable(self.env, self.region, outputs, self.factory, timeout_s, self.output)

    def status(self, outputs: dict[str, Any]) -> dict[str, Any]:
        from chromactl.workflows.status import collect_status

        return collect_status(self.env, self.region, outputs, self.factory).to_dict()

    def context(self, outputs: dict[str, Any]) -> DrillContext:
        return DrillContext(env=self.env, region=self.region, outputs=outputs, factory=self.factory, output=self.output,
                            profile=self.profile)

    def destroy(self) -> dict[str, Any]:
        from chromactl.lifecycle.apply import destroy

        return destroy(self.env, self.region, self.output, auto_approve=True, profile=self.profile).to_dict()


def live_enabled() -> tuple[bool, str]:
    """(run?, why not): CHROMACTL_LIVE=1, an env named by CHROMACTL_LIVE_ENV, and AWS credentials."""
    if os.environ.get("CHROMACTL_LIVE") != "1":
        return False, "live suite disabled: set CHROMACTL_LIVE=1 (make test-live ENV=<sandbox env>) to run it against real AWS"
    if not os.environ.get("CHROMACTL_LIVE_ENV"):
        return False, "live suite: CHROMACTL_LIVE_ENV names no env (make test-live ENV=<sandbox env>)"
    try:
        import boto3

        creds = boto3.session.Session(profile_name=os.environ.get("AWS_PROFILE") or None).get_credentials()
    except Exception as exc:  # noqa: BLE001 - any failure to find credentials means: do not run
        return False, f"live suite: no usable AWS credentials ({type(exc).__name__})"
    if creds is None:
        return False, "live suite: no AWS credentials found (set AWS_PROFILE or AWS_ACCESS_KEY_ID)"
    return True, ""
