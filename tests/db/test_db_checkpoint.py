"""The WAL checkpoint thread copies committed pages into the database file while a writer that
never checkpoints itself goes on writing."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from server.db.checkpoint import Checkpointer


def test_the_checkpoint_thread_moves_the_log_into_the_database_file(tmp_path: Path) -> None:
    path = tmp_path / "bodega.db"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")  # this writer leaves checkpoints to the thread
    writer.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)")
    writer.executemany("INSERT INTO t (body) VALUES (?)", [("x" * 500,) for _ in range(4000)])
    pages = writer.execute("PRAGMA page_count").fetchone()[0]
    page_size = writer.execute("PRAGMA page_size").fetchone()[0]
    assert path.stat().st_size < pages * page_size  # everything is still in the log

    checkpointer = Checkpointer(str(path), every_s=0.05)
    checkpointer.start()
    try:
        deadline = time.monotonic() + 10
        while path.stat().st_size < pages * page_size and time.monotonic() < deadline:
            time.sleep(0.05)
        writer.execute("INSERT INTO t (body) VALUES ('after')")  # the writer was never held up
    finally:
        checkpointer.close()
    assert checkpointer.runs >= 1
    assert path.stat().st_size >= pages * page_size
    assert writer.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 4001
    writer.close()
