"""Sending pushes: encrypt (RFC 8291, aes128gcm), sign (VAPID, RFC 8292), POST to each browser's
push service. Blocking HTTP and crypto, so it runs in a thread pool, never on the event loop.

What the push service answers decides what happens next (RFC 8030):
- 201/202: delivered to the push service (it holds the message for up to TTL seconds);
- 404/410: the browser unsubscribed or the subscription expired: the caller deletes it;
- 429 and 5xx: try again later, after Retry-After when the service names it, else a back-off;
- any other 4xx: our message is wrong (too big, bad key); retrying would not help: logged, dropped.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import msgspec
import requests
import structlog
from py_vapid import Vapid02
from pywebpush import WebPusher, WebPushException

from server.db.base import utcnow
from server.push.keys import Vapid

log = structlog.get_logger("bodega.push")

# One JWT per push service origin, re-signed well before it expires (RFC 8292 allows up to 24 h).
JWT_LIFETIME_S = 12 * 3600
JWT_RENEW_S = 3600
SEND_TIMEOUT_S = 10.0
THREADS = 16  # pushes wait on the network, not the CPU; sixteen keep a 1,000-phone fan-out short
MAX_RETRY_AFTER_S = 3600.0


@dataclass(frozen=True)
class Target:
    """One subscription to send to."""

    id: uuid.UUID
    endpoint: str
    p256dh: str
    auth: str


@dataclass(frozen=True)
class Message:
    payload: dict[str, object]  # what the service worker gets (title, body, url, tag)
    topic: str  # a newer message with the same topic replaces an undelivered older one
    urgency: str = "high"  # very-low | low | normal | high
    ttl_s: int = 24 * 3600  # how long the push service keeps it for a phone that is offline


@dataclass
class Outcome:
    sent: list[uuid.UUID] = field(default_factory=list[uuid.UUID])
    gone: list[uuid.UUID] = field(default_factory=list[uuid.UUID])
    # Subscriptions to try again, with the seconds the push service asked us to wait (None: back off).
    retry: list[tuple[uuid.UUID, float | None]] = field(default_factory=list[tuple[uuid.UUID, float | None]])
    failed: list[uuid.UUID] = field(default_factory=list[uuid.UUID])


class Sender:
    """Holds the signing key, the per-origin JWTs and the HTTP sessions (one per thread)."""

    def __init__(self, vapid: Vapid, contact: str, *, threads: int = THREADS) -> None:
        self.vapid = vapid
        self.contact = contact
        self._signer = Vapid02.from_pem(vapid.private_pem.encode())
        self._jwts: dict[str, tuple[float, dict[str, str]]] = {}
        self._lock = threading.Lock()
        self._local = threading.local()
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="bodega-push")

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _headers(self, endpoint: str) -> dict[str, str]:
        parts = urlsplit(endpoint)
        aud = f"{parts.scheme}://{parts.netloc}"
        now = utcnow().timestamp()
        with self._lock:
            kept = self._jwts.get(aud)
            if kept is None or kept[0] - now < JWT_RENEW_S:
                exp = int(now) + JWT_LIFETIME_S
                kept = (exp, self._signer.sign({"aud": aud, "exp": exp, "sub": self.contact}))
                self._jwts[aud] = kept
        return dict(kept[1])

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def send_one(self, target: Target, message: Message) -> tuple[str, float | None]:
        """'sent' | 'gone' | 'retry' | 'failed', and the Retry-After seconds if any."""
        try:
            return self._send(target, message)
        except (WebPushException, ValueError) as exc:  # keys we cannot encrypt to: it will never work
            log.warning("push_unusable_subscription", endpoint=target.endpoint[:80], error=repr(exc)[:200])
            return "gone", None

    def _send(self, target: Target, message: Message) -> tuple[str, float | None]:
        headers = self._headers(target.endpoint)
        headers["Topic"] = message.topic
        headers["Urgency"] = message.urgency
        pusher = WebPusher(
            {"endpoint": target.endpoint, "keys": {"p256dh": target.p256dh, "auth": target.auth}},
            requests_session=self._session(),
        )
        try:
            response = pusher.send(
                msgspec.json.encode(message.payload),
                headers,
                ttl=message.ttl_s,
                content_encoding="aes128gcm",
                timeout=SEND_TIMEOUT_S,
            )
        except requests.RequestException as exc:  # the push service is unreachable: try later
            log.info("push_unreachable", endpoint=target.endpoint[:80], error=repr(exc)[:200])
            return "retry", None
        status = getattr(response, "status_code", 0)
        if status in (200, 201, 202):
            return "sent", None
        if status in (404, 410):
            return "gone", None
        if status == 429 or status >= 500:
            return "retry", retry_after_s(response.headers.get("Retry-After"))  # type: ignore[union-attr]
        log.warning("push_refused", status=status, endpoint=target.endpoint[:80])
        return "failed", None

    def send_all(self, targets: Sequence[Target], message: Message) -> Outcome:
        """Send to every target concurrently (blocking; call from a thread, see `deliver`)."""
        outcome = Outcome()

        def one(target: Target) -> tuple[uuid.UUID, str, float | None]:
            return (target.id, *self.send_one(target, message))

        results = self._pool.map(one, targets)
        for sub_id, what, after in results:
            if what == "sent":
                outcome.sent.append(sub_id)
            elif what == "gone":
                outcome.gone.append(sub_id)
            elif what == "retry":
                outcome.retry.append((sub_id, after))
            else:
                outcome.failed.append(sub_id)
        return outcome


def retry_after_s(value: str | None) -> float | None:
    """Retry-After is seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER_S)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return min(max((when - utcnow()).total_seconds(), 0.0), MAX_RETRY_AFTER_S)
