"""Every action an exception kind offers has its function in every process that may act on one.

The registry is server/exceptions/actions.py's; each action lives in the package that owns its
writer and registers there; server/writes.py imports them all. The SQLite writer process is a
fresh interpreter that imports only what the calls it is sent name (pickled by name): the
reactions (`finish`, server/writes.py) and the write function. Here a fresh interpreter receives
the very message the writer would for each path that can reach `act` (the console's button, a
phone's push, an accepted out-of-scope fact) and says what the registry lacks."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from server.db.reactions import run_in_transaction
from server.exceptions import services
from server.exceptions.actions import REGISTRY
from server.exceptions.kinds import ACTIONS
from server.sync_api import accept, push
from server.writes import finish

ROOT = Path(__file__).resolve().parents[2]

# What the writer process does with a call (server/db/writer.py `_serve`): its own module is
# imported to start it, then each message is unpickled; nothing else is imported beforehand.
CHILD = """
import pickle, sys
import server.db.writer
call_id, fn, args = pickle.loads(sys.stdin.buffer.read())
from server.exceptions.actions import REGISTRY, unregistered
print(" ".join(sorted(unregistered())) or "complete")
print(" ".join(sorted(REGISTRY)))
"""


@pytest.mark.parametrize(
    "write",
    [services._act, push.apply_batch, accept.accept_fact],
    ids=["console-act", "phone-push", "accepted-fact"],
)
def test_a_fresh_writer_process_knows_every_action(write: Callable[..., Any]) -> None:
    message = pickle.dumps((1, run_in_transaction, (finish, write, ())))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", CHILD], input=message, capture_output=True, cwd=ROOT, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr.decode()
    missing, registered = done.stdout.decode().splitlines()
    assert missing == "complete"
    offered = {name for names in ACTIONS.values() for name in names} | {"dismiss"}
    assert set(registered.split()) == offered == set(REGISTRY)
