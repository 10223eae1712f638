"""What admission (sync.admit) needs to know about the journal: is this op id journalled, and which
op occupies this device's seq slot. Answers from the database, plus the ops journalled earlier in
the same transaction (not yet flushed), so a request that repeats itself is caught too.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import msgspec
from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.db.bulk import in_values
from server.sync_api.models import SyncOp
from sync import Journalled


class JournalView:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        # Op ids as integers: uuid.UUID hashes in Python code, and these sets see every op twice.
        self._ids: set[int] = set()
        self._asked: set[int] = set()
        # (device, seq) -> the op journalled exactly at that seq; fillers kept apart, by device.
        self._slots: dict[tuple[uuid.UUID, int], Journalled] = {}
        self._fillers: dict[uuid.UUID, list[Journalled]] = {}
        self._loaded: dict[uuid.UUID, tuple[int, int]] = {}  # device -> seq range already read

    def prefetch_ids(self, ids: Iterable[uuid.UUID]) -> None:
        wanted = [i for i in ids if i.int not in self._asked]
        if not wanted:
            return
        self._asked.update(i.int for i in wanted)
        found = self.conn.execute(select(SyncOp.op_id).where(in_values(self.conn, SyncOp.op_id, wanted)))
        self._ids.update(i.int for i in found.scalars())

    def has(self, op_id: uuid.UUID) -> bool:
        key = op_id.int
        if key not in self._asked:
            self.prefetch_ids([op_id])
        return key in self._ids

    def prefetch_slots(self, device: uuid.UUID, seqs: Iterable[int]) -> None:
        wanted = list(seqs)
        if not wanted:
            return
        lo, hi = min(wanted), max(wanted)
        have = self._loaded.get(device)
        if have is not None and have[0] <= lo and hi <= have[1]:
            return
        if have is not None:
            lo, hi = min(lo, have[0]), max(hi, have[1])
        rows = self.conn.execute(
            select(SyncOp.op_id, SyncOp.seq, SyncOp.last_seq, SyncOp.type, SyncOp.payload).where(
                SyncOp.device_id == device, SyncOp.seq <= hi, SyncOp.last_seq >= lo
            )
        ).all()
        for op_id, seq, last, op_type, payload in rows:
            self._remember(
                device, Journalled(op_id, int(seq), int(last), op_type, msgspec.json.decode(payload))
            )
        self._loaded[device] = (lo, hi)

    def at_slot(self, device: uuid.UUID, seq: int) -> Journalled | None:
        """The op in this slot: the one journalled at exactly this seq, else a filler covering it."""
        self.prefetch_slots(device, [seq])
        exact = self._slots.get((device, seq))
        if exact is not None:
            return exact
        for filler in self._fillers.get(device, ()):
            if filler.seq <= seq <= filler.last_seq:
                return filler
        return None

    def record(self, device: uuid.UUID, entry: Journalled) -> None:
        """An op journalled in this transaction."""
        self._ids.add(entry.op_id.int)
        self._asked.add(entry.op_id.int)
        self._remember(device, entry)

    def _remember(self, device: uuid.UUID, entry: Journalled) -> None:
        if entry.is_filler:
            fillers = self._fillers.setdefault(device, [])
            if entry not in fillers:
                fillers.append(entry)
            return
        # A real op takes its slot from a filler: a lost op that turned up after all.
        self._slots[(device, entry.seq)] = entry
