"""A small OCI distribution registry on 127.0.0.1 (a free port) for the upgrade's image check: it answers
HEAD /v2/<name>/manifests/<digest> with 200 for the manifests it holds and 404 otherwise, and (like Docker Hub)
first challenges with 401 + `WWW-Authenticate: Bearer realm=...,service=...,scope=...`, handing an anonymous
token from GET /token (OCI distribution spec, "Checking if content exists in the registry"; the token flow:
https://distribution.github.io/distribution/spec/auth/token/)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

TOKEN = "anonymous-pull-token"


class FakeRegistry:
    def __init__(self, manifests: set[tuple[str, str]]):
        self.manifests = set(manifests)  # (name, "sha256:<hex>")
        self.requests: list[tuple[str, str, str | None]] = []  # (method, path, Authorization)
        registry = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_a: Any) -> None:
                return

            def do_GET(self) -> None:
                registry.requests.append(("GET", self.path, self.headers.get("Authorization")))
                q = parse_qs(urlparse(self.path).query)
                if urlparse(self.path).path == "/token" and q.get("service") == ["fake-registry"] and q.get("scope"):
                    body = json.dumps({"token": TOKEN}).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_HEAD(self) -> None:
                registry.requests.append(("HEAD", self.path, self.headers.get("Authorization")))
                parts = self.path.split("/manifests/")
                name = parts[0].removeprefix("/v2/") if len(parts) == 2 else ""
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", f'Bearer realm="{registry.url}/token",service="fake-registry",'
                                                         f'scope="repository:{name}:pull"')
                elif len(parts) == 2 and (name, parts[1]) in registry.manifests:
                    self.send_response(200)
                    self.send_header("Docker-Content-Digest", parts[1])
                else:
                    self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
