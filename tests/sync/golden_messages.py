"""Author the golden protocol messages in fixtures/protocol/.

The files on disk are the contract: tests read them and never regenerate them. Run this module only
when deliberately changing the protocol (then the JavaScript client must change too):

    .venv/bin/python tests/sync/golden_messages.py
"""

from __future__ import annotations

import json
import sys
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import msgspec

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sync import (  # noqa: E402  (the path line above lets this run as a script)
    PROTOCOL_VERSION,
    CashCollected,
    Change,
    CountTaskCreated,
    DeliveryAttempted,
    HLCTimestamp,
    Note,
    Op,
    OpResult,
    ParcelHandedOver,
    ParcelLine,
    ParcelPacked,
    ProofAttached,
    ProtocolError,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
    RemittanceHandedIn,
    Reset,
    ReturnReceived,
    SeqSkipped,
    StockCounted,
    StockPicked,
    StockPutAway,
    StockPutBack,
    StockReceived,
    StockShortPicked,
    SyncRequest,
    SyncResponse,
    op_type_of,
    scope_checksum,
)

OUT = ROOT / "fixtures" / "protocol"
DEV = "0b7e3a52-5c1d-4f0e-9a57-2f4c8e1d6b90"  # a device id as the server issues them
NEW_DEV = "5d2e8c14-7a3b-4c6f-8e90-1b2c3d4e5f60"  # the same phone after logging in again
EPOCH = "3f9c2a71"
WALL = 1_767_258_000_000  # 2026-01-01T09:00:00Z, 17:00 in Manila
V = PROTOCOL_VERSION


def op(
    n: int, payload: msgspec.Struct, *, op_type: str | None = None, raw: dict[str, Any] | None = None
) -> Op:
    body = raw if raw is not None else msgspec.to_builtins(payload)
    hlc = HLCTimestamp(WALL + n * 1_000, 0).encode()
    op_id = uuid.UUID(f"018f{n:04x}-7c2e-7a10-8b3d-5e6f7a8b9c0d")
    return Op(op_id, DEV, n, WALL + n * 1_000, hlc, op_type or op_type_of(payload), body)


def examples() -> dict[str, msgspec.Struct]:
    return {
        "stock.received@v1": StockReceived(
            wh="VAL", bin="RCV-01", sku="SKU-TSHIRT-M", qty=24, ref="DR-2026-0012"
        ),
        "stock.put_away@v1": StockPutAway(
            wh="VAL", sku="SKU-TSHIRT-M", qty=24, from_bin="RCV-01", to_bin="A-03-2"
        ),
        "stock.picked@v1": StockPicked(wh="VAL", bin="A-03-2", sku="SKU-TSHIRT-M", qty=2, order="ORD-100231"),
        "stock.short_picked@v2": StockShortPicked(
            wh="VAL",
            bin="A-03-2",
            sku="SKU-TSHIRT-M",
            order="ORD-100232",
            wanted=3,
            found=1,
            reason="not_enough",
        ),
        "stock.counted@v1": StockCounted(
            wh="VAL", bin="A-03-2", sku="SKU-TSHIRT-M", counted=19, expected=21, base=f"{EPOCH}:48211"
        ),
        "parcel.packed@v1": ParcelPacked(wh="VAL", order="ORD-100231", waybill="JT0001234567"),
        "parcel.handed_over@v1": ParcelHandedOver(
            wh="VAL",
            order="ORD-100231",
            waybill="JT0001234567",
            to="jnt",
            lines=[ParcelLine("SKU-TSHIRT-M", 2)],
        ),
        "return.received@v1": ReturnReceived(
            wh="VAL", bin="RET-01", sku="SKU-TSHIRT-M", qty=1, order="ORD-099870", condition="damaged"
        ),
        "delivery.attempted@v2": DeliveryAttempted(
            order="ORD-100190",
            waybill="BDG0000871",
            outcome="failed",
            reason="rescheduled",
            note="buyer is at work until Saturday",
            reschedule_on=date(2026, 1, 3),
        ),
        "cash.collected@v2": CashCollected(order="ORD-100191", amount=129_900),
        "proof.attached@v1": ProofAttached(
            order="ORD-100191",
            blob="9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            kind="photo",
            waybill="BDG0000872",
        ),
        "remittance.handed_in@v1": RemittanceHandedIn(
            amount=1_559_900, to="cashier-val-1", ref="REM-2026-0101"
        ),
        "device.seq_skipped@v1": SeqSkipped(to=14, why="the server asked for ops this phone no longer holds"),
        "count_task.created@v1": CountTaskCreated(
            task="019b78c9-4a10-7c3e-9d21-6b0e5f4a3c2d", wh="VAL", bin="A-03-2", title="after the spill"
        ),
        "stock.put_back@v1": StockPutBack(
            wh="VAL", sku="SKU-TSHIRT-M", qty=2, bin="A-03-2", order="ORD-100233"
        ),
    }


def messages() -> dict[str, tuple[str, str, msgspec.Struct]]:
    ops = [
        op(1, StockReceived(wh="VAL", bin="RCV-01", sku="SKU-TSHIRT-M", qty=24)),
        op(2, StockPicked(wh="VAL", bin="A-03-2", sku="SKU-TSHIRT-M", qty=2, order="ORD-100231")),
        op(3, CashCollected(order="ORD-100191", amount=129_900)),
    ]
    page1 = [
        Change("wh:VAL", "bin", "A-03-2/SKU-TSHIRT-M", 22),
        Change("wh:VAL", "bin", "RCV-01/SKU-TSHIRT-M", 24),
        Change(
            "catalog", "sku", "SKU-TSHIRT-M", {"name": "Cotton T-shirt, M", "barcodes": ["4800016644801"]}
        ),
    ]
    page2 = [
        Change("wh:VAL", "bin", "RCV-01/SKU-TSHIRT-M", None),
        Change("orders", "order", "ORD-100231", {"status": "picking", "cod": 59_800}),
    ]
    replica: dict[str, dict[tuple[str, str], Any]] = {}
    for ch in page1 + page2:
        scope = replica.setdefault(ch.scope, {})
        if ch.val is None:
            scope.pop((ch.kind, ch.key), None)
        else:
            scope[(ch.kind, ch.key)] = ch.val
    sums = {s: scope_checksum((k, key, v) for (k, key), v in e.items()) for s, e in sorted(replica.items())}
    sums["cash:rider-ana"] = scope_checksum([])  # an empty scope: sixteen zeros
    hlc = HLCTimestamp(WALL + 60_000, 3).encode()
    flagged = Note(
        "cash_for_cancelled_order", "₱1,299.00 collected for order ORD-100191, which was cancelled"
    )
    return {
        "push_request": ("PushRequest", "Three ops in one push.", PushRequest(v=V, ops=ops)),
        "push_response": (
            "PushResponse",
            "One result per op: applied, applied again earlier (duplicate), flagged with its exception.",
            PushResponse(
                v=V,
                ep=EPOCH,
                hwm=3,
                pos=f"{EPOCH}:48230",
                hlc=hlc,
                res=[OpResult(1, "applied"), OpResult(2, "duplicate"), OpResult(3, "flagged", [flagged])],
            ),
        ),
        "push_request_moved": (
            "PushRequest",
            "After a new login on the same phone (new device id): the old device's unconfirmed "
            "ops keep their ids and take the new device's seqs 1-3. The server had journalled the "
            "first two under the old device.",
            PushRequest(v=V, ops=[msgspec.structs.replace(o, dev=NEW_DEV) for o in ops]),
        ),
        "push_response_moved": (
            "PushResponse",
            "The two ops already journalled are answered duplicate and fill seqs 1-2 of the new "
            "device (never applied twice); the third is judged. hwm 3: nothing waits behind a gap.",
            PushResponse(
                v=V,
                ep=EPOCH,
                hwm=3,
                pos=f"{EPOCH}:48231",
                hlc=hlc,
                res=[OpResult(1, "duplicate"), OpResult(2, "duplicate"), OpResult(3, "flagged", [flagged])],
            ),
        ),
        "push_response_gap": (
            "PushResponse",
            "The server has this device up to seq 11; the push started at 14: "
            "nothing applied, resume from 12.",
            PushResponse(v=V, ep=EPOCH, hwm=11, resume_from=12, pos=f"{EPOCH}:48230", hlc=hlc),
        ),
        "push_response_rejected": (
            "PushResponse",
            "A malformed op is rejected with a reason; the ops behind it are still applied.",
            PushResponse(
                v=V,
                ep=EPOCH,
                hwm=6,
                pos=f"{EPOCH}:48240",
                hlc=hlc,
                res=[
                    OpResult(4, "applied"),
                    OpResult(
                        5, "rejected", [Note("invalid_payload", "Expected `int >= 1`, got `0` - at `$.qty`")]
                    ),
                    OpResult(6, "applied"),
                ],
            ),
        ),
        "pull_request_first": ("PullRequest", "A fresh install: no cursor.", PullRequest(v=V)),
        "pull_request": (
            "PullRequest",
            "Changes since a cursor, at most 500 per page.",
            PullRequest(v=V, cur=f"{EPOCH}:48211", lim=500),
        ),
        "pull_response_page": (
            "PullResponse",
            "A page with more to come: apply it and its cursor in one local transaction, then pull again.",
            PullResponse(v=V, ep=EPOCH, cur=f"{EPOCH}:48215", ch=page1, more=True, hlc=hlc),
        ),
        "pull_response_end": (
            "PullResponse",
            "The end marker (more is absent/false): carries the checksum of every scope of the caller. "
            "Applying pull_response_page then this page to an empty replica gives exactly these sums.",
            PullResponse(v=V, ep=EPOCH, cur=f"{EPOCH}:48230", ch=page2, sums=sums, hlc=hlc),
        ),
        "pull_response_reset": (
            "PullResponse",
            "The cursor is from another history (restored server): drop the replica, pull from the given "
            "cursor, upload again every op after hwm.",
            PullResponse(
                v=V,
                ep="7d01be44",
                cur="7d01be44:0",
                more=True,
                reset=Reset("epoch_changed", "7d01be44", 9),
                hlc=hlc,
            ),
        ),
        "sync_request_noop": (
            "SyncRequest",
            "Nothing to upload; anything new? One round trip.",
            SyncRequest(v=V, cur=f"{EPOCH}:48230"),
        ),
        "sync_response_noop": (
            "SyncResponse",
            "Nothing new.",
            SyncResponse(
                v=V, ep=EPOCH, hwm=3, pos=f"{EPOCH}:48230", cur=f"{EPOCH}:48230", sums=sums, hlc=hlc
            ),
        ),
        "sync_request": (
            "SyncRequest",
            "Push and pull together.",
            SyncRequest(v=V, ops=ops[:1], cur=f"{EPOCH}:48211", lim=500),
        ),
        "sync_response": (
            "SyncResponse",
            "Results for the pushed op, and the changes since the cursor (including that op's effects).",
            SyncResponse(
                v=V,
                ep=EPOCH,
                hwm=1,
                res=[OpResult(1, "applied")],
                pos=f"{EPOCH}:48215",
                cur=f"{EPOCH}:48215",
                ch=page1,
                more=True,
                hlc=hlc,
            ),
        ),
        "problem_unsupported_version": (
            "Problem",
            "HTTP 400. The app must be updated (or, if newer than the server, speak max_version).",
            ProtocolError(
                "sync-unsupported-version",
                "protocol version 0 is not served here; this server speaks 1..1",
                versions=True,
            ).problem,
        ),
        "problem_batch_too_large": (
            "Problem",
            "HTTP 413. Send fewer ops per push (at most `limit`).",
            ProtocolError(
                "sync-batch-too-large", "1200 ops in one push; send at most 1000", limit=1000
            ).problem,
        ),
    }


def write() -> None:
    (OUT / "ops").mkdir(parents=True, exist_ok=True)
    for name, (kind, description, message) in messages().items():
        _dump(OUT / f"{name}.json", kind, description, message)
    for n, (op_type, payload) in enumerate(examples().items(), start=1):
        envelope = op(n, payload, op_type=op_type)
        _dump(OUT / "ops" / f"{op_type}.json", "Op", f"An example {op_type} op.", envelope)
    legacy = op(
        99,
        CashCollected(order="x", amount=0),
        op_type="cash.collected@v1",
        raw={"order": "ORD-1", "pesos": 1299},
    )
    _dump(
        OUT / "ops" / "cash.collected@v1.json", "Op", "The first app release sent whole pesos (v1).", legacy
    )
    # Version 1 had no recipient or reschedule date: the app wrote them into the note.
    attempt_v1 = {
        "order": "ORD-100190",
        "waybill": "BDG0000871",
        "outcome": "failed",
        "reason": "refused_after_inspection",
        "note": "buyer said colour was wrong",
    }
    legacy = op(9, CashCollected(order="x", amount=0), op_type="delivery.attempted@v1", raw=attempt_v1)
    _dump(OUT / "ops" / "delivery.attempted@v1.json", "Op", "An example delivery.attempted@v1 op.", legacy)
    # The v1 example as it was before v2 took its place in examples(): the same envelope (seq 4).
    short_v1 = op(
        4,
        StockShortPicked(wh="x", bin="x", sku="x", order="x", wanted=1, found=0, reason=None),
        op_type="stock.short_picked@v1",
        raw={
            "wh": "VAL",
            "bin": "A-03-2",
            "sku": "SKU-TSHIRT-M",
            "order": "ORD-100232",
            "wanted": 3,
            "found": 1,
        },
    )
    _dump(OUT / "ops" / "stock.short_picked@v1.json", "Op", "An example stock.short_picked@v1 op.", short_v1)


def _dump(path: Path, kind: str, description: str, message: msgspec.Struct) -> None:
    body = json.loads(msgspec.json.encode(message))
    doc = {"message": kind, "description": description, "body": body}
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    write()
    print(f"wrote {OUT}")
