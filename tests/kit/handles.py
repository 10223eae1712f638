"""What this process still holds open on a file: a stopped server must hold nothing on its database
(an operator restoring a backup swaps the file; a connection left behind would write its old WAL
into the restored one)."""

from __future__ import annotations

import os
from pathlib import Path


def open_handles(path: Path | str) -> list[str]:
    """This process's open file descriptors on the file, its -wal and its -shm."""
    prefix = str(path)
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # closed while we looked
            continue
        if target.startswith(prefix):
            found.append(target)
    return found
