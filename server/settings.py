"""Every setting Bodega reads, from environment variables, in one place."""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///var/bodega.db"


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SystemExit(f"{name} must be a whole number, got {raw!r}") from exc


def _default_secret() -> str:
    # A development secret that survives restarts so tokens stay valid between `make demo` runs.
    path = Path("var/secret_key")
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    path.write_text(key)
    return key


@dataclass(frozen=True)
class TrustedProxies:
    """The reverse proxies whose X-Forwarded-For is believed (BODEGA_TRUSTED_PROXIES: addresses or
    networks, comma-separated). None by default: a client's own header is never believed."""

    # Kept as text: Settings is handed to route handlers, whose type checks know no IP networks.
    networks: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> TrustedProxies:
        networks: list[str] = []
        for part in text.split(","):
            if part.strip():
                try:
                    networks.append(str(ipaddress.ip_network(part.strip(), strict=False)))
                except ValueError as exc:
                    raise SystemExit(f"BODEGA_TRUSTED_PROXIES: {part.strip()!r} is not an address") from exc
        return cls(tuple(networks))

    def trusts(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in ipaddress.ip_network(network) for network in self.networks)

    def client_of(self, peer: str, forwarded_for: Sequence[str]) -> str:
        """The client's address: the peer itself, unless the peer is a trusted proxy; then the
        nearest address in X-Forwarded-For that is not one of our proxies (the hops further left
        were written by whoever sent the request, and prove nothing)."""
        if not self.trusts(peer):
            return peer
        hops = [hop.strip() for header in forwarded_for for hop in header.split(",") if hop.strip()]
        for hop in reversed(hops):
            if not self.trusts(hop):
                return hop
        return hops[0] if hops else peer


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    log_json: bool = True
    # Login throttle: this many failures per username in the window; a client address gets more,
    # because a whole warehouse shares one Wi-Fi address and typos add up across its staff.
    login_max_failures: int = 5
    login_max_failures_per_client: int = 30
    login_window_s: int = 300
    trusted_proxies: TrustedProxies = field(default_factory=TrustedProxies)
    # Group commit: how many orders one transaction may carry, and how long a lone order waits
    # for company before committing alone.
    ingest_batch_max: int = 256
    ingest_batch_wait_ms: float = 0.0
    # On SQLite, run every write transaction in a writer child process (see server/db/writer.py).
    writer_process: bool = True
    # The durable background jobs' worker (server/jobs/): channel stock pushes, polls. One per
    # server process; on PostgreSQL several processes' workers share the queue safely.
    jobs_worker: bool = True
    # Deletion tombstones older than this leave the sync change log; a phone silent for longer
    # downloads its data afresh (server/sync_api/retention.py).
    sync_retention_days: int = 14
    # Who the push services may contact about this server's pushes (the VAPID `sub` claim).
    push_contact: str = "mailto:alerts@bodega.example"
    pwa_dist: Path = field(default_factory=lambda: Path(__file__).resolve().parent.parent / "pwa" / "dist")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": os.environ.get("BODEGA_DATABASE_URL", DEFAULT_DATABASE_URL),
        "secret_key": os.environ.get("BODEGA_SECRET_KEY", ""),
        "host": os.environ.get("BODEGA_HOST", "127.0.0.1"),
        "port": _env_int("BODEGA_PORT", 8000),
        "log_level": os.environ.get("BODEGA_LOG_LEVEL", "INFO").upper(),
        "log_json": os.environ.get("BODEGA_LOG_JSON", "1") not in ("0", "false", "no"),
        "login_max_failures": _env_int("BODEGA_LOGIN_MAX_FAILURES", 5),
        "login_max_failures_per_client": _env_int("BODEGA_LOGIN_MAX_FAILURES_PER_CLIENT", 30),
        "login_window_s": _env_int("BODEGA_LOGIN_WINDOW_S", 300),
        "trusted_proxies": TrustedProxies.parse(os.environ.get("BODEGA_TRUSTED_PROXIES", "")),
        "ingest_batch_max": _env_int("BODEGA_INGEST_BATCH_MAX", 256),
        "sync_retention_days": _env_int("BODEGA_SYNC_RETENTION_DAYS", 14),
        "writer_process": os.environ.get("BODEGA_WRITER_PROCESS", "1") not in ("0", "false", "no"),
        "push_contact": os.environ.get("BODEGA_PUSH_CONTACT", "mailto:alerts@bodega.example"),
        "jobs_worker": os.environ.get("BODEGA_JOBS_WORKER", "1") not in ("0", "false", "no"),
    }
    values.update(overrides)
    if not values["secret_key"]:
        values["secret_key"] = _default_secret()
    return Settings(**values)  # type: ignore[arg-type]


def count_review_policy() -> tuple[int, int, bool]:
    """The seller's cycle-count threshold: a count off from the ledger by more than this many units
    AND this percent is a variance (BODEGA_COUNT_VARIANCE_UNITS, default 2;
    BODEGA_COUNT_VARIANCE_PERCENT, default 10), held for a recount and a supervisor's approval
    unless BODEGA_COUNT_REVIEW=0. Read when a count is judged (a writer process inherits the env)."""
    hold = os.environ.get("BODEGA_COUNT_REVIEW", "1") not in ("0", "false", "no")
    return _env_int("BODEGA_COUNT_VARIANCE_UNITS", 2), _env_int("BODEGA_COUNT_VARIANCE_PERCENT", 10), hold
