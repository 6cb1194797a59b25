"""A small Chroma v2 REST client over httpx, with a timeout on every call.

Why not `chromadb.HttpClient`: it has no timeout by default, calls
`/api/v2/auth/identity` and the tenant/database routes on construction, and
costs about a second to import. The checks need only a handful of routes, each
bounded, each mapped to an error a person can act on.

Routes used (checked against `chroma run` 1.5.9 and its /openapi.json):
  GET  /api/v2/heartbeat                       {"nanosecond heartbeat": int}
  GET  /api/v2/pre-flight-checks               {"max_batch_size": 5461, "supports_base64_encoding": true}
  GET  /api/v2/tenants/{t}/databases/{d}
  GET  /api/v2/tenants/{t}/databases/{d}/collections_count
  GET  /api/v2/tenants/{t}/databases/{d}/collections?limit=&offset=
  POST /api/v2/tenants/{t}/databases/{d}/collections            {"name", "metadata", "configuration", "get_or_create"}
  GET  /api/v2/tenants/{t}/databases/{d}/collections/{name}     (by name; 404 when missing)
  DELETE /api/v2/tenants/{t}/databases/{d}/collections/{name}   (by name)
  GET  .../collections/{id}/count
  POST .../collections/{id}/add     {"ids", "embeddings" (float lists or base64 little-endian f32), "metadatas", "documents"}
  POST .../collections/{id}/query   {"query_embeddings", "n_results", "where", "include"}
  POST .../collections/{id}/get     {"ids", "where", "limit", "offset", "include"}
  POST .../collections/{id}/upsert  (as add; an existing id is overwritten)
  POST .../collections/{id}/delete  {"ids", "where"}
  PUT  .../collections/{id}         {"new_metadata"}
(upsert, delete and the PUT as the chromadb Python client sends them: chroma-core/chroma,
chromadb/api/fastapi.py `_upsert`, `_delete`, `_modify`.)
`add` with an id that already exists is a no-op on the server (the record is
kept, the count does not change): re-sending a batch never duplicates.

The token is sent as `Authorization: Bearer <token>` (or `X-Chroma-Token`), and
never appears in an error message or a repr.

Size: one client for Chroma's v2 REST API (the calls every check makes, the error classes they
raise, auth headers and the TLS server-name hook) and RawPoster, the pre-encoded sender the latency
loop times; split, the two would share the same transport setup twice.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from chromactl.checks.deadline import DeadlineHTTPConnection, DeadlineHTTPSConnection, deadline
from chromactl.checks.deadline import install as install_deadline
from chromactl.checks.target import split_userinfo
from chromactl.errors import OperationFailed

if TYPE_CHECKING:  # pragma: no cover
    import httpx

DEFAULT_TENANT = "default_tenant"
DEFAULT_DATABASE = "default_database"
TOKEN_HEADERS = {"authorization": "Authorization", "x-chroma-token": "X-Chroma-Token"}


def _dumps(data: Any) -> bytes:
    try:
        import orjson

        return orjson.dumps(data)
    except ImportError:  # pragma: no cover - orjson ships with chromadb
        import json

        return json.dumps(data, separators=(",", ":")).encode()


def _loads(raw: bytes) -> Any:
    try:
        import orjson

        return orjson.loads(raw)
    except ImportError:  # pragma: no cover
        import json

        return json.loads(raw)


class ChromaError(OperationFailed):
    """A Chroma call failed: `status` is the HTTP status (None when no answer came)."""

    def __init__(self, message: str, hint: str | None = None, *, status: int | None = None, kind: str = "http"):
        super().__init__(message, hint)
        self.status = status
        self.kind = kind  # "http", "auth", "not_found", "timeout", "unreachable"


class ChromaUnavailable(ChromaError):
    """No answer: connection refused or reset, DNS, TLS, or the timeout passed."""


class ChromaAuthError(ChromaError):
    """401/403: the token is missing, wrong, or not accepted."""


class ChromaNotFound(ChromaError):
    """404: the collection (or route) does not exist."""


def auth_headers(token: str | None, header: str = "authorization") -> dict[str, str]:
    if not token:
        return {}
    key = header.lower()
    if key not in TOKEN_HEADERS:
        raise ValueError(f"token header must be one of {sorted(TOKEN_HEADERS)}")
    if key == "authorization":
        return {"Authorization": f"Bearer {token}"}
    return {"X-Chroma-Token": token}


def encode_embeddings(embeddings: Any, base64_ok: bool) -> list[Any]:
    """Embeddings as Chroma wants them: base64 of little-endian float32 when the server supports it."""
    import numpy as np

    arr = np.asarray(embeddings, dtype="<f4")
    if arr.ndim != 2:
        raise ValueError("embeddings must be a 2-D array (one row per vector)")
    if base64_ok:
        return [base64.b64encode(row.tobytes()).decode("ascii") for row in arr]
    return arr.tolist()


def _server_name_hook(server_name: str) -> Any:
    def hook(request: Any) -> None:
        request.extensions["sni_hostname"] = server_name
        request.headers["Host"] = server_name

    return hook


class ChromaClient:
    """Chroma's v2 REST API, the parts chromactl needs. Thread-safe for reads; one per thread is fastest."""

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        token_header: str = "authorization",
        verify_tls: bool = True,
        timeout_s: float = 10.0,
        tenant: str = DEFAULT_TENANT,
        database: str = DEFAULT_DATABASE,
        pool_size: int = 8,
        server_name: str | None = None,
        basic_auth: tuple[str, str] | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> None:
        """`server_name`: connect to `url`'s host but present and verify this name in TLS (SNI) and
        send it as Host: reach one ALB by its own DNS name while checking the domain's certificate.
        User info in `url` (http://user:pw@host) is sent as basic auth and never kept in `self.url`.
        `extra_headers` go with every request (the restore drill's rule-matching header)."""
        import httpx

        url, in_url = split_userinfo(url)
        basic_auth = basic_auth or in_url
        base = url.rstrip("/")
        for suffix in ("/api/v2", "/api/v1"):
            base = base.removesuffix(suffix)
        self.url = base
        self.api = f"{base}/api/v2"
        self.timeout_s = float(timeout_s)
        self.tenant = tenant
        self.database = database
        self._has_token = bool(token)
        self._preflight: dict[str, Any] | None = None
        headers = {"Content-Type": "application/json", "Accept": "application/json", "User-Agent": "chromactl"}
        headers.update(auth_headers(token, token_header))
        headers.update(extra_headers or {})
        if basic_auth and "Authorization" not in headers:
            headers["Authorization"] = "Basic " + base64.b64encode(f"{basic_auth[0]}:{basic_auth[1]}".encode()).decode("ascii")
        self._http = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(self.timeout_s, connect=min(self.timeout_s, 5.0)),
            verify=verify_tls,
            follow_redirects=False,
            limits=httpx.Limits(max_connections=pool_size, max_keepalive_connections=pool_size),
            event_hooks={"request": [_server_name_hook(server_name)]} if server_name else None,
        )
        install_deadline(self._http)  # timeout_s bounds each request in total, not each socket read

    def __repr__(self) -> str:
        return f"ChromaClient({self.url!r}, token={'set' if self._has_token else 'none'})"

    # -- plumbing -----------------------------------------------------------
    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ChromaClient:  # noqa: PYI034
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def db_path(self) -> str:
        return f"{self.api}/tenants/{self.tenant}/databases/{self.database}"

    def request(
        self,
        method: str,
        url: str,
        *,
        body: Any = None,
        content: bytes | None = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        what: str = "",
    ) -> Any:
        """One call: JSON in, JSON out, every failure turned into a ChromaError."""
        import httpx

        if body is not None:
            content = _dumps(body)
        label = what or f"{method} {url.removeprefix(self.url)}"
        try:
            with deadline(self.timeout_s):
                resp = self._http.request(method, url, content=content, params=params, headers=headers)
        except httpx.TimeoutException:
            raise ChromaUnavailable(
                f"{label}: no answer within {self.timeout_s:g} s.",
                "Check that the server is up and reachable, or raise --timeout.",
                kind="timeout",
            ) from None
        except httpx.HTTPError as exc:
            raise ChromaUnavailable(
                f"{label}: cannot reach {self.url} ({type(exc).__name__}).",
                "Check the endpoint URL and that the server is running.",
                kind="unreachable",
            ) from None
        return self._decode(resp, label)

    def _decode(self, resp: httpx.Response, label: str) -> Any:
        status = resp.status_code
        if 200 <= status < 300:
            if not resp.content:
                return None
            try:
                return _loads(resp.content)
            except ValueError:
                raise ChromaError(f"{label}: the answer is not JSON (HTTP {status}).", "Is the URL a Chroma server?", status=status) from None
        detail = ""
        try:
            data = _loads(resp.content)
            if isinstance(data, dict):
                detail = str(data.get("message") or data.get("error") or "")[:300]
        except ValueError:
            detail = ""
        if status in (401, 403):
            if self._has_token:  # a token was sent and refused: wrong, old (rotated) or for another env
                raise ChromaAuthError(
                    f"{label}: refused with HTTP {status}: the token was sent and not accepted.",
                    "The token is wrong or was rotated: check the variable --token-env names holds this endpoint's "
                    "current token (`chromactl token age --env E` shows the last rotation), and --token-header.",
                    status=status,
                    kind="auth",
                )
            raise ChromaAuthError(
                f"{label}: refused with HTTP {status}: the endpoint needs a token and none was sent.",
                "Pass the token through --token-env VAR (the variable's name, not the value).",
                status=status,
                kind="auth",
            )
        if status == 404:
            raise ChromaNotFound(f"{label}: not found (HTTP 404){': ' + detail if detail else ''}.", None, status=status, kind="not_found")
        if status == 410:
            raise ChromaError(f"{label}: HTTP 410 Gone; this server speaks another API version.", "chromactl needs Chroma >= 1.0 (API v2).", status=status)
        if 300 <= status < 400:
            raise ChromaError(f"{label}: redirected (HTTP {status}).", "Use the final URL as --endpoint (https?).", status=status)
        raise ChromaError(f"{label}: HTTP {status}{': ' + detail if detail else ''}.", None, status=status)

    # -- server ---------------------------------------------------------------
    def heartbeat(self) -> int:
        data = self.request("GET", f"{self.api}/heartbeat", what="heartbeat")
        return int(data.get("nanosecond heartbeat", 0)) if isinstance(data, dict) else 0

    def preflight(self) -> dict[str, Any]:
        if self._preflight is None:
            data = self.request("GET", f"{self.api}/pre-flight-checks", what="pre-flight-checks")
            self._preflight = data if isinstance(data, dict) else {}
        return self._preflight

    def max_batch_size(self) -> int:
        return int(self.preflight().get("max_batch_size") or 1000)

    def supports_base64(self) -> bool:
        return bool(self.preflight().get("supports_base64_encoding", False))

    def get_database(self) -> dict[str, Any]:
        return self.request("GET", self.db_path, what="get database")

    def count_collections(self) -> int:
        return int(self.request("GET", f"{self.db_path}/collections_count", what="count collections"))

    def list_collections(self, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        data = self.request("GET", f"{self.db_path}/collections", params={"limit": limit, "offset": offset}, what="list collections")
        return list(data or [])

    # -- collections ----------------------------------------------------------
    def create_collection(
        self, name: str, *, metadata: dict[str, Any] | None = None, space: str = "l2", get_or_create: bool = False,
        hnsw: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        # hnsw: more of the collection's HNSW configuration (chromadb 1.5.9 CreateHNSWConfiguration: ef_construction,
        # max_neighbors, ef_search, num_threads, batch_size, sync_threshold, resize_factor); `space` always wins
        body: dict[str, Any] = {"name": name, "get_or_create": get_or_create, "configuration": {"hnsw": {**(hnsw or {}), "space": space}}}
        if metadata:
            body["metadata"] = metadata
        return self.request("POST", f"{self.db_path}/collections", body=body, what=f"create collection {name}")

    def get_collection(self, name: str) -> dict[str, Any]:
        return self.request("GET", f"{self.db_path}/collections/{name}", what=f"get collection {name}")

    def delete_collection(self, name: str) -> None:
        self.request("DELETE", f"{self.db_path}/collections/{name}", what=f"delete collection {name}")

    def count(self, collection_id: str) -> int:
        return int(self.request("GET", f"{self.db_path}/collections/{collection_id}/count", what="count"))

    def add(
        self,
        collection_id: str,
        ids: Sequence[str],
        embeddings: Any,
        metadatas: Sequence[dict[str, Any] | None] | None = None,
        documents: Sequence[str | None] | None = None,
        *,
        upsert: bool = False,
    ) -> None:
        """`add` (an existing id is kept as it is) or, with upsert, `upsert` (an existing id is overwritten)."""
        body: dict[str, Any] = {"ids": list(ids), "embeddings": encode_embeddings(embeddings, self.supports_base64())}
        if metadatas is not None and any(m for m in metadatas):
            body["metadatas"] = list(metadatas)
        if documents is not None and any(d is not None for d in documents):
            body["documents"] = list(documents)
        verb = "upsert" if upsert else "add"
        self.request("POST", f"{self.db_path}/collections/{collection_id}/{verb}", body=body, what=f"{verb} {len(ids)} records")

    def upsert(self, collection_id: str, ids: Sequence[str], embeddings: Any,
               metadatas: Sequence[dict[str, Any] | None] | None = None, documents: Sequence[str | None] | None = None) -> None:
        self.add(collection_id, ids, embeddings, metadatas, documents, upsert=True)

    def delete_records(self, collection_id: str, *, ids: Sequence[str] | None = None, where: dict[str, Any] | None = None) -> None:
        body: dict[str, Any] = {}
        if ids is not None:
            body["ids"] = list(ids)
        if where:
            body["where"] = where
        self.request("POST", f"{self.db_path}/collections/{collection_id}/delete", body=body, what="delete records")

    def modify_collection(self, collection_id: str, metadata: dict[str, Any]) -> None:
        self.request("PUT", f"{self.db_path}/collections/{collection_id}", body={"new_metadata": metadata}, what="update collection metadata")

    def query_body(
        self, embeddings: Any, n_results: int = 10, where: dict[str, Any] | None = None, include: Sequence[str] = ("distances",)
    ) -> bytes:
        import numpy as np

        body: dict[str, Any] = {
            "query_embeddings": np.asarray(embeddings, dtype="<f4").tolist(),
            "n_results": int(n_results),
            "include": list(include),
        }
        if where:
            body["where"] = where
        return _dumps(body)

    def query_url(self, collection_id: str) -> str:
        return f"{self.db_path}/collections/{collection_id}/query"

    def query(
        self,
        collection_id: str,
        embeddings: Any,
        n_results: int = 10,
        where: dict[str, Any] | None = None,
        include: Sequence[str] = ("distances",),
    ) -> dict[str, Any]:
        return self.request(
            "POST", self.query_url(collection_id), content=self.query_body(embeddings, n_results, where, include), what="query"
        )

    def post_raw(self, url: str, content: bytes) -> int:
        """Send a prebuilt request body; returns the status (raises ChromaError like `request`). For latency loops."""
        import httpx

        try:
            with deadline(self.timeout_s):
                resp = self._http.post(url, content=content)
        except httpx.TimeoutException:
            raise ChromaUnavailable(f"query: no answer within {self.timeout_s:g} s.", None, kind="timeout") from None
        except httpx.HTTPError as exc:
            raise ChromaUnavailable(f"query: cannot reach {self.url} ({type(exc).__name__}).", None, kind="unreachable") from None
        if resp.status_code >= 300:
            self._decode(resp, "query")
        return resp.status_code

    def get(
        self,
        collection_id: str,
        *,
        ids: Sequence[str] | None = None,
        where: dict[str, Any] | None = None,
        limit: int | None = None,
        offset: int | None = None,
        include: Sequence[str] = ("metadatas",),
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"include": list(include)}
        if ids is not None:
            body["ids"] = list(ids)
        if where:
            body["where"] = where
        if limit is not None:
            body["limit"] = limit
        if offset is not None:
            body["offset"] = offset
        return self.request("POST", f"{self.db_path}/collections/{collection_id}/get", body=body, what="get records")

    def probe_auth(self, token: str | None, header: str = "authorization") -> int:
        """Status of a data request sent with `token` instead of ours (None: no token at all). For the auth check."""
        import httpx

        req = self._http.build_request("GET", f"{self.db_path}/collections_count")
        for name in TOKEN_HEADERS.values():
            if name in req.headers:
                del req.headers[name]
        req.headers.update(auth_headers(token, header))
        try:
            with deadline(self.timeout_s):
                resp = self._http.send(req)
        except httpx.TimeoutException:
            raise ChromaUnavailable(f"auth probe: no answer within {self.timeout_s:g} s.", None, kind="timeout") from None
        except httpx.HTTPError as exc:
            raise ChromaUnavailable(f"auth probe: cannot reach {self.url} ({type(exc).__name__}).", None, kind="unreachable") from None
        return resp.status_code


class RawPoster:
    """One keep-alive HTTP/1.1 connection that POSTs prebuilt bodies: the latency loop's sender.

    Built on http.client, not httpx: per request it costs about 0.3 ms less on
    this hardware, which matters when the thing measured takes 1-2 ms. Each
    request must finish within timeout_s in total (chromactl.checks.deadline); a
    keep-alive connection the server closed is reopened once (a fresh connection
    that fails is an error).
    """

    def __init__(
        self, url: str, token: str | None = None, *, token_header: str = "authorization",
        verify_tls: bool = True, timeout_s: float = 10.0,
    ) -> None:
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        self.https = parts.scheme == "https"
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if self.https else 80)
        self.path = parts.path + (f"?{parts.query}" if parts.query else "")
        self.timeout_s = timeout_s
        self.verify_tls = verify_tls
        self.headers = {"Content-Type": "application/json", "Accept": "application/json", "User-Agent": "chromactl"}
        self.headers.update(auth_headers(token, token_header))
        self._conn: Any = None

    def __repr__(self) -> str:
        return f"RawPoster({self.host}:{self.port}{self.path})"

    def _connect(self) -> Any:
        if self.https:
            import ssl

            ctx = ssl.create_default_context()
            if not self.verify_tls:
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
            return DeadlineHTTPSConnection(self.host, self.port, timeout=self.timeout_s, context=ctx)
        return DeadlineHTTPConnection(self.host, self.port, timeout=self.timeout_s)

    def post(self, body: bytes) -> int:
        """POST `body`; returns the HTTP status. Raises ChromaUnavailable when no answer comes."""
        with deadline(self.timeout_s):  # the whole request, reconnect included, within timeout_s
            return self._post(body)

    def _post(self, body: bytes) -> int:
        import http.client

        for attempt in (0, 1):
            fresh = self._conn is None
            if fresh:
                self._conn = self._connect()
            try:
                self._conn.request("POST", self.path, body=body, headers=self.headers)
                resp = self._conn.getresponse()
                resp.read()
                if resp.will_close:
                    self.close()
                return int(resp.status)
            except TimeoutError:
                self.close()
                raise ChromaUnavailable(f"query: no answer within {self.timeout_s:g} s.", None, kind="timeout") from None
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                self.close()
                if fresh or attempt == 1:
                    raise ChromaUnavailable(f"query: connection lost ({type(exc).__name__}).", None, kind="unreachable") from None
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                raise ChromaUnavailable(f"query: cannot reach {self.host}:{self.port} ({type(exc).__name__}).", None, kind="unreachable") from None
        raise ChromaUnavailable("query: connection lost.", None, kind="unreachable")  # pragma: no cover

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None
