"""Stand-ins for helper C's shared fixtures (tests/fixtures/chroma_server.py and
nginx_proxy.py), used only while those do not exist: a real `chroma run` and a
real nginx that enforces the ALB's token rule with accepted values changeable at
run time (set_tokens writes the map and reloads nginx, then waits until the new
configuration answers)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.fixtures.servers import free_port, port_open, stop_process, wait_until

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def start_chroma(data_dir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    exe = Path(sys.executable).parent / "chroma"
    log = open(data_dir.parent / "chroma.log", "wb")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(
        [str(exe), "run", "--path", str(data_dir), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2).status == 200, timeout=60, what="chroma")
    except TimeoutError:
        stop_process(proc)
        raise
    return proc, url


def _escape(value: str) -> str:
    # Tokens are [a-z0-9]; anything else is refused rather than escaped.
    if not value.replace(" ", "").isalnum():
        raise ValueError("accepted values must be alphanumeric")
    return value


@dataclass
class Proxy:
    url: str
    prefix: Path
    upstream: str
    port: int
    proc: subprocess.Popen | None = None
    generation: int = 0
    tokens: list[str] = field(default_factory=list)

    def _write(self) -> None:
        bearer = "".join(f'    "~*^Bearer {_escape(t)}$" 1;\n' for t in self.tokens)
        header = "".join(f'    "~*^{_escape(t)}$" 1;\n' for t in self.tokens)
        (self.prefix / "tokens.conf").write_text(
            f"map $http_authorization $bearer_ok {{\n    default 0;\n{bearer}}}\n"
            f"map $http_x_chroma_token $header_ok {{\n    default 0;\n{header}}}\n"
            f'map "$bearer_ok$header_ok" $auth_ok {{\n    default 1;\n    "00" 0;\n}}\n'
            f'map $host $config_generation {{\n    default "{self.generation}";\n}}\n'
        )

    def _answers_generation(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/__generation", timeout=2) as r:
                return r.read().decode().strip() == str(self.generation)
        except urllib.error.URLError:
            return False

    def start(self) -> None:
        for d in ("tmp", "logs"):
            (self.prefix / d).mkdir(parents=True, exist_ok=True)
        self._write()
        t = self.prefix / "tmp"
        (self.prefix / "nginx.conf").write_text(
            f"""worker_processes 1;
daemon off;
pid {self.prefix}/nginx.pid;
error_log {self.prefix}/logs/error.log warn;
events {{ worker_connections 128; }}
http {{
  access_log off;
  client_body_temp_path {t}/body; proxy_temp_path {t}/proxy; fastcgi_temp_path {t}/fcgi;
  uwsgi_temp_path {t}/uwsgi; scgi_temp_path {t}/scgi;
  include {self.prefix}/tokens.conf;
  server {{
    listen 127.0.0.1:{self.port};
    location = /__generation {{ return 200 "$config_generation"; }}
    location / {{
      if ($auth_ok = 0) {{ return 401 "unauthorized"; }}
      proxy_pass {self.upstream};
      proxy_connect_timeout 5s; proxy_read_timeout 30s;
    }}
  }}
}}
"""
        )
        self.proc = subprocess.Popen([NGINX, "-p", str(self.prefix), "-c", str(self.prefix / "nginx.conf")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: port_open(self.port), timeout=20, what="nginx")

    def _workers(self) -> set[int]:
        assert self.proc is not None
        found = set()
        for task in Path(f"/proc/{self.proc.pid}/task").iterdir():
            found.update(int(p) for p in (task / "children").read_text().split())
        return found

    def set_tokens(self, tokens: list[str]) -> None:
        """Accept exactly `tokens`; returns once every worker still running has the new map."""
        self.tokens = list(tokens)
        self.generation += 1
        self._write()
        assert self.proc is not None
        old = self._workers()
        self.proc.send_signal(signal.SIGHUP)
        # Old workers finish their requests and exit; until then they may still answer.
        wait_until(lambda: not (old & self._workers()) and self._answers_generation(), timeout=20, what="nginx reload", interval=0.02)

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)


def make_nginx_proxy(upstream_url: str, accepted_tokens: list[str], prefix: Path) -> Proxy:
    port = free_port()
    proxy = Proxy(url=f"http://127.0.0.1:{port}", prefix=prefix, upstream=upstream_url, port=port, tokens=list(accepted_tokens))
    proxy.start()
    return proxy
