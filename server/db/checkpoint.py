"""WAL checkpoints off the writer's path (SQLite).

By default SQLite checkpoints inside the COMMIT that takes the write-ahead log past 1,000 pages: the
transaction that happens to cross the line copies every logged page back into the database file
before its callers are answered. A busy writer crosses it every few transactions, so some answers
take tens of milliseconds longer than the rest, and a long log also slows every page lookup.

Here a thread with its own connection runs a PASSIVE checkpoint a few times a second: it copies
what readers no longer need while the writer goes on writing (the thread waits in C, outside the
interpreter lock). Writers keep a high auto-checkpoint as a backstop should this thread stop.
"""

from __future__ import annotations

import sqlite3
import threading

import structlog

log = structlog.get_logger("bodega.db.checkpoint")

EVERY_S = 0.2
# Pages in the log at which a writer's COMMIT checkpoints by itself (only if this thread is behind).
WRITER_BACKSTOP_PAGES = 20_000


class Checkpointer:
    def __init__(self, path: str, *, every_s: float = EVERY_S) -> None:
        self.path = path
        self.every_s = every_s
        self.runs = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="bodega-checkpoint", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA busy_timeout=1000")
            while not self._stop.wait(self.every_s):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    self.runs += 1
                except sqlite3.Error as exc:  # the next round tries again; writers have the backstop
                    log.warning("wal_checkpoint_failed", error=str(exc))
        finally:
            conn.close()
