"""The reference client's transport over HTTP: `sync.Client(device_id, HttpTransport(...))` is a
phone talking to a real server. Used by the tests, the benchmark and the device simulator.

This is the engine's one I/O adapter (see sync/__init__.py): it is not exported from `sync`, and
nothing in the engine's core imports it, so the core stays free of I/O. Any `httpx.Client` works,
including Litestar's TestClient (an in-process server).
"""

from __future__ import annotations

import httpx
import msgspec

from sync import (
    Format,
    Problem,
    ProtocolError,
    SyncRequest,
    SyncResponse,
    TransportError,
    decode,
    encode,
    gzip_body,
    media_type,
)


class HttpTransport:
    """One device's connection: bearer token, wire format, gzip. Counts the bytes it moves."""

    def __init__(
        self,
        http: httpx.Client,
        token: str,
        *,
        fmt: Format = "msgpack",
        compress: bool = True,
        prefix: str = "/sync/v1",
    ) -> None:
        self.http = http
        self.fmt: Format = fmt
        self.compress = compress
        self.prefix = prefix
        self.headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": media_type(fmt),
            "Accept": media_type(fmt),
        }
        if compress:
            self.headers["Accept-Encoding"] = "gzip"
        self.bytes_up = 0
        self.bytes_down = 0
        self.requests = 0

    def sync(self, request: SyncRequest, /) -> SyncResponse:
        body = encode(request, self.fmt)
        headers = dict(self.headers)
        if self.compress and len(body) > 512:
            body = gzip_body(body)
            headers["Content-Encoding"] = "gzip"
        try:
            response = self.http.post(f"{self.prefix}/sync", content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise TransportError(f"{type(exc).__name__}: {exc}") from exc
        self.requests += 1
        self.bytes_up += len(body)
        raw = response.content
        self.bytes_down += response.num_bytes_downloaded  # as sent: before httpx undoes gzip
        if response.status_code >= 500 or response.status_code == 429:
            raise TransportError(f"server answered {response.status_code}")
        if response.status_code != 200:
            problem = _problem(raw)
            if not problem.code:
                raise TransportError(f"server answered {response.status_code}: {problem.detail}")
            raise _protocol_error(problem)
        return decode(raw, SyncResponse, self.fmt)

    def put_blob(self, blob_id: str, data: bytes, /) -> None:
        try:
            response = self.http.put(
                f"{self.prefix}/blobs/{blob_id}",
                content=data,
                headers={"Authorization": self.headers["Authorization"]},
            )
        except httpx.HTTPError as exc:
            raise TransportError(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code >= 500:
            raise TransportError(f"server answered {response.status_code}")
        if response.status_code not in (200, 201):
            problem = _problem(response.content)
            raise _protocol_error(problem)


def _problem(raw: bytes) -> Problem:
    try:
        return msgspec.json.decode(raw, type=Problem)
    except msgspec.MsgspecError:
        return Problem(type="about:blank", title="error", status=0, detail=raw[:200].decode(errors="replace"))


def _protocol_error(problem: Problem) -> Exception:
    try:
        return ProtocolError(problem.code, problem.detail, limit=problem.limit)
    except KeyError:  # a code this client does not know: treat it as a failed round, retry later
        return TransportError(f"{problem.status} {problem.code or problem.title}: {problem.detail}")
