"""Hybrid logical clock (Kulkarni et al., 2014).

A device's wall clock is data, never the ordering of the sync log, but the judging rules still need
"which of two facts happened first" (a cycle count against a pick made on another phone). A hybrid
logical clock answers that well enough: it stays within a bounded distance of real time, never goes
backwards, and once two clocks have exchanged a message, anything stamped after the exchange sorts
after everything stamped before it, whatever the phones' clocks say.

The string form is 16 lower-case hex digits: 12 for milliseconds since the Unix epoch (good until
the year 10889) then 4 for the logical counter. Fixed width makes string order equal clock order,
so the server can index and compare HLC strings as plain text.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import NamedTuple

__all__ = ["HLC", "HLCTimestamp", "event_key", "wall_clock_ms"]

_HLC_RE = re.compile(r"^[0-9a-f]{16}$")
_MAX_COUNTER = 0xFFFF
_MAX_MS = 0xFFFF_FFFF_FFFF


def wall_clock_ms() -> int:
    """Milliseconds since the Unix epoch, from the machine's clock (which may be wrong)."""
    return time.time_ns() // 1_000_000


class HLCTimestamp(NamedTuple):
    ms: int
    counter: int

    def encode(self) -> str:
        return f"{self.ms:012x}{self.counter:04x}"

    @classmethod
    def parse(cls, text: str) -> HLCTimestamp:
        if not _HLC_RE.match(text):
            raise ValueError(f"not an HLC value: {text!r} (want 16 lower-case hex digits)")
        return cls(int(text[:12], 16), int(text[12:], 16))


def event_key(hlc: str, origin: str) -> str:
    """Total order over facts from every device: HLC first, then who stamped it.

    Two devices can produce the same HLC value; the origin (device id, or "server") breaks the tie
    deterministically. The HLC part is fixed width, so plain string comparison is correct.
    """
    return f"{hlc}~{origin}"


class HLC:
    """One node's clock. Not thread-safe: give each device, or each server writer, its own.

    ``max_forward_ms`` protects this clock from a remote clock running far ahead: a received value
    more than that far ahead of our physical time is not adopted (the server uses this so a phone
    set to next year cannot drag every later timestamp into next year). Phones leave it ``None``:
    the server's clock is the better one, and adopting it is how a phone with a slow clock catches up.
    """

    def __init__(
        self, now_ms: Callable[[], int] = wall_clock_ms, *, max_forward_ms: int | None = None
    ) -> None:
        self._now = now_ms
        self._max_forward = max_forward_ms
        self._last = HLCTimestamp(0, 0)
        self.rejected_remote = 0  # remote values ignored as too far ahead (for diagnostics)

    @property
    def last(self) -> str:
        return self._last.encode()

    def send(self) -> str:
        """Stamp a local event (an op being recorded, or a response being sent)."""
        physical = self._now()
        ms, counter = self._last
        if physical > ms:
            self._last = HLCTimestamp(physical, 0)
        else:
            self._last = self._bump(ms, counter)
        return self._last.encode()

    def receive(self, remote: str) -> str:
        """Merge a value received from another node, then stamp the receipt."""
        other = HLCTimestamp.parse(remote)
        physical = self._now()
        if self._max_forward is not None and other.ms > physical + self._max_forward:
            self.rejected_remote += 1
            return self.send()
        ms, counter = self._last
        top = max(ms, other.ms, physical)
        if top == ms == other.ms:
            self._last = self._bump(top, max(counter, other.counter))
        elif top == ms:
            self._last = self._bump(ms, counter)
        elif top == other.ms:
            self._last = self._bump(other.ms, other.counter)
        else:
            self._last = HLCTimestamp(physical, 0)
        return self._last.encode()

    @staticmethod
    def _bump(ms: int, counter: int) -> HLCTimestamp:
        # Thousands of events in one millisecond: borrow the next millisecond rather than overflow.
        if counter >= _MAX_COUNTER:
            return HLCTimestamp(min(ms + 1, _MAX_MS), 0)
        return HLCTimestamp(ms, counter + 1)
