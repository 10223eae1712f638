"""A push service on localhost speaking RFC 8030 / 8291 / 8292, for the tests and `bodega bench alerts`.

It plays the browser's side too: it makes each subscription's P-256 key pair and auth secret (what
a browser's PushManager makes), so it can decrypt (http_ece, aes128gcm) every message it receives
and check the VAPID JWT (ES256 over the header and claims, signed by the key in `k=`, `aud` = this
service's origin, `exp` in the next 24 h, `sub` a mailto: or https: contact). A message that fails
a check is answered 401/400 and kept in `rejected`, so a test sees why.

Answers can be scripted per subscription (410 to play an expired browser, 429 with Retry-After to
play a busy service); everything else gets 201 Created, as real push services answer.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Received:
    name: str  # the subscription's name
    payload: dict[str, Any]
    topic: str
    urgency: str
    ttl: int
    claims: dict[str, Any]
    at: float  # time.perf_counter() when it arrived


@dataclass
class _Browser:
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes
    script: deque[tuple[int, dict[str, str]]] = field(default_factory=deque[tuple[int, dict[str, str]]])


class PushReceiver:
    def __init__(self) -> None:
        self.browsers: dict[str, _Browser] = {}
        self.received: list[Received] = []
        self.rejected: list[str] = []
        self.answered: list[tuple[str, int]] = []
        self.vapid_key: str | None = None  # when set, `k=` must be this public key
        self._arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive: a sender's session reuses its connection

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                status, headers = receiver._take(self.path, dict(self.headers.items()), body)
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def subscription(self, name: str) -> dict[str, Any]:
        """A new browser subscription, as PushSubscription.toJSON() gives it to the app."""
        key = ec.generate_private_key(ec.SECP256R1())
        auth = os.urandom(16)
        self.browsers[name] = _Browser(key, auth)
        point = key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": f"{self.origin}/push/{name}",
            "expirationTime": None,
            "keys": {"p256dh": _b64(point), "auth": _b64(auth)},
        }

    def answer(self, name: str, status: int, headers: dict[str, str] | None = None) -> None:
        """Answer the next message to `name` with this status (then 201 again)."""
        self.browsers[name].script.append((status, headers or {}))

    def wait_for(self, count: int, timeout_s: float = 10.0) -> list[Received]:
        """Block until `count` messages arrived (the sender runs in other threads)."""
        return self.wait_until(lambda got: len(got) >= count, timeout_s)

    def wait_until(self, done: Callable[[list[Received]], bool], timeout_s: float = 10.0) -> list[Received]:
        """Block until `done(messages so far)` holds, or the time is up."""
        with self._arrived:
            self._arrived.wait_for(lambda: done(self.received), timeout=timeout_s)
            return list(self.received)

    def _take(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str]]:
        at = time.perf_counter()
        name = path.rsplit("/", 1)[-1]
        browser = self.browsers.get(name)
        if browser is None:
            return self._answer(name, 404, {})
        low = {k.lower(): v for k, v in headers.items()}
        claims, why = self._check_vapid(low.get("authorization", ""))
        if why:
            self.rejected.append(why)
            return self._answer(name, 401, {})
        if low.get("content-encoding") != "aes128gcm":
            self.rejected.append(f"content-encoding {low.get('content-encoding')!r}")
            return self._answer(name, 400, {})
        try:
            plain = http_ece.decrypt(
                body, private_key=browser.private_key, auth_secret=browser.auth, version="aes128gcm"
            )
            payload = json.loads(plain)
        except Exception as exc:  # a message the browser could not read is the sender's bug
            self.rejected.append(f"undecryptable: {exc!r}")
            return self._answer(name, 400, {})
        if browser.script:
            status, extra = browser.script.popleft()
            return self._answer(name, status, extra)
        with self._arrived:
            self.received.append(
                Received(
                    name=name,
                    payload=payload,
                    topic=low.get("topic", ""),
                    urgency=low.get("urgency", ""),
                    ttl=int(low.get("ttl", "-1")),
                    claims=claims,
                    at=at,
                )
            )
            self._arrived.notify_all()
        return self._answer(name, 201, {"Location": f"{self.origin}/message/{len(self.received)}"})

    def _answer(self, name: str, status: int, headers: dict[str, str]) -> tuple[int, dict[str, str]]:
        self.answered.append((name, status))
        return status, headers

    def _check_vapid(self, authorization: str) -> tuple[dict[str, Any], str]:
        """RFC 8292: `vapid t=<JWT>, k=<public key>`; the JWT's ES256 signature by k."""
        if not authorization.startswith("vapid "):
            return {}, f"authorization is not vapid: {authorization[:20]!r}"
        parts = dict(p.strip().split("=", 1) for p in authorization[6:].split(","))
        token, key = parts.get("t", ""), parts.get("k", "")
        if self.vapid_key is not None and key != self.vapid_key:
            return {}, "signed with another key than the server's"
        try:
            header_b64, claims_b64, signature_b64 = token.split(".")
            header = json.loads(_unb64(header_b64))
            claims = json.loads(_unb64(claims_b64))
            public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _unb64(key))
            raw = _unb64(signature_b64)
            signature = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
            public.verify(signature, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
        except (ValueError, InvalidSignature) as exc:
            return {}, f"bad JWT: {exc!r}"
        if header.get("alg") != "ES256":
            return claims, f"alg {header.get('alg')!r}"
        if claims.get("aud") != self.origin:
            return claims, f"aud {claims.get('aud')!r} is not {self.origin}"
        now = time.time()
        if not now < float(claims.get("exp", 0)) <= now + 24 * 3600:
            return claims, f"exp {claims.get('exp')} not within the next 24 h"
        if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
            return claims, f"sub {claims.get('sub')!r}"
        return claims, ""
