"""The server's own hybrid logical clock, one per process.

Phones order their facts by HLC event keys (sync/_hlc.py). Stock moved at the console (a receipt,
an adjustment, a shipment) is a fact too, and the cycle-count rule must know whether it happened
before or after a phone's count of the same bin; so server-side movements get event keys from this
clock, on the same scale as the phones'. The sync service merges every pushed batch's clock into it,
so a server fact recorded after a phone's count was received is keyed after that count.

The sync endpoints run on the event loop and ledger writes run in the writer thread: a lock keeps
the clock monotonic across both.
"""

from __future__ import annotations

import threading

from sync import HLC, event_key, wall_clock_ms

SERVER_ORIGIN = "server"
# A phone's clock more than this far ahead of ours is not adopted (sync/PROTOCOL.md §6).
MAX_CLOCK_AHEAD_MS = 5 * 60_000

_clock = HLC(wall_clock_ms, max_forward_ms=MAX_CLOCK_AHEAD_MS)
_lock = threading.Lock()


def restart() -> None:
    """Start the clock afresh, as a new server process does. Tests run many servers in one
    process; without this, a test whose phone ran minutes ahead would leave every later test's
    server facts keyed minutes ahead."""
    global _clock
    with _lock:
        _clock = HLC(wall_clock_ms, max_forward_ms=MAX_CLOCK_AHEAD_MS)


def now_hlc() -> str:
    """Stamp a server event (a response being sent)."""
    with _lock:
        return _clock.send()


def observe(remote_hlc: str) -> str:
    """Merge a clock value received from a phone."""
    with _lock:
        return _clock.receive(remote_hlc)


def server_event_key() -> str:
    """The event key of a fact recorded on the server now."""
    return event_key(now_hlc(), SERVER_ORIGIN)
