"""Push: journal, judge and apply a batch of ops in one transaction (PROTOCOL.md §3).

Everything here is a plain function of a Connection with picklable arguments and results, so on
SQLite it can run in the writer process (server/db/writer.py) on the other core.

One call handles every request the group committer collected: for each device, in request order,
admission (sync.admit) against the journal and the device's high-water mark, then for a new op the
judging rule (sync.judge) against the database-backed world, then its effects. The journal rows,
the effects, the new high-water marks and the change log are written in the same transaction; the
caller commits it, and only then are the requests answered.

Two modes. Fast: every op is judged in memory and all rows are written at the end with bulk
statements. Careful (used only when a fast attempt failed with an error that is not transient):
each op runs inside its own savepoint and is written at once; an op whose effects cannot be
written is rolled back alone and journalled as `flagged` with a `poison_op` exception, so it cannot
block the ops behind it. Both modes produce the same results for ops that do not fail.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.auth.principal import Principal
from server.changes.log import Head
from server.clock import MAX_CLOCK_AHEAD_MS
from server.db.base import utcnow
from server.db.bulk import in_values, update_rows
from server.db.reactions import installed
from server.db.sql import is_sqlite, upsert_rows
from server.db.touched import restore, snapshot
from server.db.transient import is_transient
from server.exceptions.models import ExceptionRecord
from server.sync_api.authority import Authorities
from server.sync_api.effects import MESSAGE, OpInfo, Pending, apply_decision, journal_row
from server.sync_api.journal import JournalView
from server.sync_api.models import SyncDevice
from server.sync_api.policy import seller_policy
from server.sync_api.pull import DeviceState
from server.sync_api.world import DbWorld, Wanted
from sync import (
    Decision,
    Flag,
    HLCTimestamp,
    Journalled,
    MalformedOp,
    Note,
    Op,
    OpRejected,
    OpResult,
    OpStatus,
    admit,
    decide,
    judge,
    judge_malformed,
    parse_payload,
    reject,
    wall_clock_ms,
)


@dataclass
class PushJob:
    principal: Principal
    items: list[Op | MalformedOp]
    raw: dict[int, Any] = field(default_factory=dict[int, Any])  # position -> raw element of a malformed op


@dataclass
class PushOutcome:
    hwm: int
    results: list[OpResult]
    resume_from: int | None


@dataclass
class BatchOutcome:
    head: Head
    jobs: list[PushOutcome]
    max_hlc: str


_ENCODE = msgspec.json.Encoder()


def _json(value: Any) -> str:
    return _ENCODE.encode(value).decode()


def _lock_devices(conn: Connection, device_ids: list[uuid.UUID]) -> dict[uuid.UUID, DeviceState]:
    """Create missing rows and lock all of them, in id order (PostgreSQL); read their marks."""
    now = utcnow()
    upsert_rows(
        conn,
        SyncDevice,
        ("device_id",),
        [{"device_id": d, "hwm": 0, "scopes": "", "updated_at": now} for d in device_ids],
    )
    stmt = select(SyncDevice.device_id, SyncDevice.hwm, SyncDevice.scopes).where(
        in_values(conn, SyncDevice.device_id, device_ids)
    )
    if not is_sqlite(conn):
        stmt = stmt.order_by(SyncDevice.device_id).with_for_update()
    return {r[0]: DeviceState(int(r[1]), r[2]) for r in conn.execute(stmt).all()}


class _Batch:
    def __init__(self, conn: Connection, jobs: list[PushJob], careful: bool) -> None:
        self.conn = conn
        self.jobs = jobs
        self.careful = careful
        self.journal = JournalView(conn)
        self.world = DbWorld(conn)
        self.pending = Pending()  # fast mode: everything; careful mode: what the change log needs
        self.policy = seller_policy()  # the seller's count threshold, read once per push
        self.max_hlc = ""
        self._arrival_ms = wall_clock_ms()
        # HLC strings are fixed-width hex: the first 12 digits compare as the milliseconds do.
        self._clock_bound = f"{self._arrival_ms + MAX_CLOCK_AHEAD_MS:012x}"
        self._clamped = 0
        self._clock_flagged: set[uuid.UUID] = set()

    def run(self) -> BatchOutcome:
        devices = _lock_devices(self.conn, sorted({j.principal.device_id for j in self.jobs}))
        ids = [i.id for j in self.jobs for i in j.items if i.id is not None]
        self.journal.prefetch_ids(ids)
        wanted = Wanted()
        for job in self.jobs:
            for item in job.items:
                if isinstance(item, Op) and not self.journal.has(item.id):
                    wanted.add(item, job.principal.username)
        self.world.prefetch(wanted)
        self.authority = Authorities(self.conn, self.world)
        self.authority.prefetch(
            (j.principal, i)
            for j in self.jobs
            for i in j.items
            if isinstance(i, Op) and not self.journal.has(i.id)
        )
        hwms = {d: s.hwm for d, s in devices.items()}
        outcomes = [self._job(job, hwms) for job in self.jobs]
        if not self.careful:
            self.pending.flush(self.conn, self.world)
        update_rows(
            self.conn,
            SyncDevice,
            ("device_id",),
            [{"device_id": d, "hwm": h, "updated_at": utcnow()} for d, h in sorted(hwms.items())],
        )
        # The reactions every write ends with (held orders retried where stock arrived, count tasks
        # completed, the change log): the push answers with the log's head they leave. They are
        # the ones server/writes.py installed (it stands above this package: it imports the
        # exception actions registered here).
        finish = installed()
        assert finish is not None, "no reactions installed: import server.writes"
        head = finish(self.conn, actor="sync", log_head=True).head
        assert head is not None
        return BatchOutcome(head, outcomes, self.max_hlc)

    def _job(self, job: PushJob, hwms: dict[uuid.UUID, int]) -> PushOutcome:
        device = job.principal.device_id
        hwm = hwms[device]
        self.journal.prefetch_slots(
            device, [i.seq for i in job.items if 0 < i.seq <= hwm and not (i.id and self.journal.has(i.id))]
        )
        results: list[OpResult] = []
        resume_from: int | None = None
        for item in job.items:
            by_id = item.id is not None and self.journal.has(item.id)
            at_slot = self.journal.at_slot(device, item.seq) if 0 < item.seq <= hwm and not by_id else None
            verdict, new_hwm = admit(item, hwm, by_id=_SEEN if by_id else None, at_slot=at_slot)
            if verdict == "gap":
                resume_from = hwm + 1
                break
            if verdict == "duplicate":
                results.append(OpResult(item.seq, "duplicate"))
            elif verdict == "copy":
                results.append(self._copy(job, item, new_hwm))
            elif verdict in ("seq_taken", "unplaced"):
                results.append(self._refuse(job, item, verdict))
            else:
                results.append(self._new(job, item, hwm, new_hwm))
            hwm = new_hwm
        hwms[device] = hwm
        return PushOutcome(hwm, results, resume_from)

    def _refuse(self, job: PushJob, item: Op | MalformedOp, verdict: str) -> OpResult:
        """A clash or an unreadable seq: answered `rejected`, kept whole for a person, no slot taken."""
        if isinstance(item, MalformedOp):
            body: Any = job.raw.get(item.position)
            note = Note(item.code, item.reason[:MESSAGE])
        else:
            body = msgspec.to_builtins(item)
            note = Note("seq_taken", f"seq {item.seq} of this device already holds another op")
        row = {
            "device_id": job.principal.device_id,
            "seq": item.seq,
            "op_id": str(item.id) if item.id is not None else "",
            "reason": note.code,
            "body": _json(body),
            "received_at": self.pending.now,
        }
        if self.careful:
            alone = Pending()
            alone.refused.append(row)
            alone.flush(self.conn, self.world)
        else:
            self.pending.refused.append(row)
        return OpResult(0 if verdict == "unplaced" else item.seq, "rejected", [note])

    def _copy(self, job: PushJob, item: Op | MalformedOp, last: int) -> OpResult:
        """A journalled op id at the device's next slot: journal a copy there (status duplicate,
        no effects, pointing at the original) so the slot is filled and the ops behind it follow."""
        assert item.id is not None
        principal = job.principal
        device = principal.device_id
        if isinstance(item, Op):
            op_type, payload = item.type, item.payload
            wall, hlc = item.wall, item.hlc
        else:
            op_type, payload, wall, hlc = "malformed@v1", {}, 0, "0" * 16
        copy = Op(
            uuid.uuid5(_COPY_IDS, f"{item.id}/{device}/{item.seq}"),
            str(device),
            item.seq,
            wall,
            hlc,
            op_type,
            payload,
        )
        info = OpInfo(copy.id, copy.dev, device, copy.seq, principal.username, principal.actor)
        self.journal.record(device, Journalled(item.id, item.seq, last, op_type, payload))
        note = Note("copy_of", str(item.id))
        row = journal_row(info, copy, last, "duplicate", [note], _json(payload), self.pending.now)
        if self.careful:
            alone = Pending()
            alone.journal.append(row)
            alone.flush(self.conn, self.world)
        else:
            self.pending.journal.append(row)
        return OpResult(item.seq, "duplicate")

    def _new(self, job: PushJob, item: Op | MalformedOp, hwm: int, new_hwm: int) -> OpResult:
        principal = job.principal
        device = principal.device_id
        if isinstance(item, MalformedOp):
            op = Op(
                item.id or uuid.uuid4(),
                str(device),
                item.seq,
                0,
                "0" * 16,
                "malformed@v1",
                {"why": item.reason[:MESSAGE], "raw": job.raw.get(item.position)},
            )
            decision = judge_malformed(item)
        else:
            op = item
            decision = self._outside_authority(principal, op)
        # The op is journalled as sent; it is judged at a clock no later than its arrival (§6).
        judged, extra = self._clock_checked(op, device)
        if decision is None:
            self.max_hlc = max(self.max_hlc, judged.hlc)
        last = max(new_hwm, op.seq) if op.seq > hwm else op.seq
        info = OpInfo(op.id, op.dev, device, op.seq, principal.username, principal.actor)
        payload = _json(op.payload)
        self.journal.record(device, Journalled(op.id, op.seq, last, op.type, op.payload))
        if not self.careful:
            status, notes = self._judge_and_apply(judged, decision, info, self.pending, extra)
            self.pending.journal.append(journal_row(info, op, last, status, notes, payload, self.pending.now))
            return OpResult(op.seq, status, notes)
        return self._careful(op, judged, decision, info, last, payload, extra)

    def _outside_authority(self, principal: Principal, op: Op) -> Decision | None:
        """A fact its user may not record here: journalled, not applied, shown to a supervisor.
        A payload that does not decode is rejected as it would be anyway."""
        flag = self.authority.check(principal, op)
        if flag is None:
            return None
        try:
            parse_payload(op.type, op.payload)
        except OpRejected as exc:
            return reject(exc.code, exc.message)
        return decide(flag)

    def _clock_checked(self, op: Op, device: uuid.UUID) -> tuple[Op, tuple[Flag, ...]]:
        """An op stamped beyond MAX_CLOCK_AHEAD_MS of the server's time is judged as of its arrival
        (a phone set to next year would otherwise order its count after every movement for a
        year), and its device is flagged once while that exception is open (PROTOCOL.md §6)."""
        if op.type == "malformed@v1" or op.hlc[:12] <= self._clock_bound:
            return op, ()
        # Arrival time, counting up within the batch so the device's own ops keep their order.
        stamped = HLCTimestamp(self._arrival_ms, self._clamped).encode()
        self._clamped += 1
        judged = msgspec.structs.replace(op, hlc=stamped)
        if device in self._clock_flagged:
            return judged, ()
        self._clock_flagged.add(device)
        if _clock_exception_open(self.conn, str(device)):
            return judged, ()
        ahead = (HLCTimestamp.parse(op.hlc).ms - self._arrival_ms) // 60_000
        flag = Flag(
            "device_clock_ahead",
            f"this phone's clock is {ahead} minutes ahead of the server's: its ops are judged as of "
            "their arrival until the phone's date and time are set right",
        )
        return judged, (flag,)

    def _judge_and_apply(
        self, op: Op, decision: Decision | None, info: OpInfo, pending: Pending, extra: tuple[Flag, ...] = ()
    ) -> tuple[OpStatus, list[Note]]:
        if decision is None:
            decision = judge(op, self.world, actor=info.actor, policy=self.policy)
            if self.world.failure is not None:
                raise self.world.failure  # the database failed, not the op: retried or redone carefully
        if extra and decision.outcome != "rejected":
            decision = decide(*decision.effects, *extra)
        return apply_decision(self.world, pending, info, decision)

    def _careful(
        self,
        op: Op,
        judged: Op,
        decision: Decision | None,
        info: OpInfo,
        last: int,
        payload: str,
        extra: tuple[Flag, ...],
    ) -> OpResult:
        savepoint = self.conn.begin_nested()
        noted = snapshot(self.conn)  # what the op notes for the reactions goes if it rolls back
        try:
            pending = Pending()
            status, notes = self._judge_and_apply(judged, decision, info, pending, extra)
            pending.journal.append(journal_row(info, op, last, status, notes, payload, pending.now))
            pending.flush(self.conn, self.world)
            savepoint.commit()
            return OpResult(op.seq, status, notes)
        except Exception as exc:
            if is_transient(exc):
                raise
            savepoint.rollback()
            restore(self.conn, noted)
            error = exc
        # Quarantine: the fact stays in the journal, its effects do not, and a person is told.
        self.world = DbWorld(self.conn)  # its cache may hold the rolled-back effects
        flag = Flag("poison_op", f"the server could not write this op's effects: {error!r}"[:MESSAGE])
        pending = Pending()
        status, notes = apply_decision(self.world, pending, info, Decision("flagged", (flag,)))
        pending.journal.append(journal_row(info, op, last, status, notes, payload, pending.now))
        pending.flush(self.conn, self.world)
        return OpResult(op.seq, status, notes)


def _clock_exception_open(conn: Connection, device: str) -> bool:
    """Whether this device already has an open device_clock_ahead exception (one is enough)."""
    rows = conn.execute(
        select(ExceptionRecord.details).where(
            ExceptionRecord.kind == "device_clock_ahead", ExceptionRecord.status == "open"
        )
    ).scalars()
    return any(d.get("device") == device for d in rows)


# Journal ids of copies (PROTOCOL.md §3.2): derived from the original id and the slot, so a
# repeated request derives the same one.
_COPY_IDS = uuid.UUID("6f0c7d1e-2b8a-4d35-9e61-0b6a3c5d7e90")

# admit() only asks whether an op with this id exists; any Journalled stands for "yes".
_SEEN = Journalled(uuid.UUID(int=0), 0, 0, "", {})


def apply_batch(conn: Connection, jobs: list[PushJob], careful: bool = False) -> BatchOutcome:
    """Run as `db.run_write(apply_batch, jobs)`: everything in the caller's one transaction."""
    return _Batch(conn, jobs, careful).run()


def store_scopes(conn: Connection, device_id: uuid.UUID, scopes: str) -> None:
    """Remember which scopes the device's replica is built from (a pull outside a push)."""
    upsert_rows(
        conn,
        SyncDevice,
        ("device_id",),
        [{"device_id": device_id, "hwm": 0, "scopes": scopes, "updated_at": utcnow()}],
        update=("scopes", "updated_at"),
    )
