"""The judging rules' view of the ledger (sync.WorldView), over the database, inside one push
transaction.

Reads go to the database once per key and are then served from memory, with the effects of every
op judged earlier in the transaction applied on top: a rule sees the ops before it in the batch,
as if each had been committed alone. `prefetch` loads what a batch's ops will ask about in a few
queries instead of a few per op. On PostgreSQL the rows a batch may change are locked here, in a
fixed order (devices, then orders by id, then stock balances by (sku, warehouse), then cash rows),
so concurrent server processes neither deadlock nor judge from stale values.

Payload ids are the codes the phones know: warehouse code, bin code, SKU code, order id.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import msgspec
from sqlalchemy import Column, Table, select, tuple_
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from server.catalog.models import Sku
from server.cod.cash import lock_cash
from server.cod.models import DeliveryAttempt
from server.db.base import new_id, utcnow
from server.db.bulk import in_values
from server.db.sql import is_sqlite
from server.inventory.ledger import lock_balances
from server.inventory.models import (
    Bin,
    BinBalance,
    BinCount,
    Reservation,
    StockBalance,
    StockMovement,
    Warehouse,
)
from server.orders.models import Order
from server.picking.models import PickLine, PickRecord
from sync import QUARANTINE, STAGING, Op, OrderView, PickView, event_key

Key = tuple[str, str, str]  # (warehouse code, bin code, SKU code)
_BIN_BALANCES = cast(Table, BinBalance.__table__)
_BIN_COUNTS = cast(Table, BinCount.__table__)
_MOVEMENTS = cast(Table, StockMovement.__table__)
_PICKING = frozenset({"stock.picked", "stock.short_picked"})


@dataclass
class OrderState:
    id: uuid.UUID
    status: str
    cod: int


@dataclass
class Tail:
    """A bin's movements with event keys from `start` on (enough to answer moved_after(at >= start))."""

    start: str
    moves: list[tuple[str, int]] = field(default_factory=list[tuple[str, int]])


def parse_order_ref(ref: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(ref)
    except ValueError:
        return None


@dataclass
class Wanted:
    """What a batch of ops will ask the world about, read from the raw payloads."""

    skus: set[str] = field(default_factory=set[str])
    bins: set[tuple[str, str]] = field(default_factory=set[tuple[str, str]])  # (wh code, bin code)
    keys: set[Key] = field(default_factory=set[Key])
    counts: dict[Key, str] = field(default_factory=dict[Key, str])  # key -> earliest count's event key
    orders: set[str] = field(default_factory=set[str])
    pick_orders: set[str] = field(default_factory=set[str])  # orders picks are checked against
    waybills: set[str] = field(default_factory=set[str])
    holders: set[str] = field(default_factory=set[str])

    def add(self, op: Op, actor: str) -> None:
        p = op.payload
        name = op.type.partition("@")[0]
        wh = p.get("wh")
        order = p.get("order")
        if isinstance(order, str):
            self.orders.add(order)
            if name in _PICKING:
                self.pick_orders.add(order)
        if name == "delivery.attempted" and isinstance(p.get("waybill"), str):
            self.waybills.add(p["waybill"])
        if name in ("cash.collected", "remittance.handed_in"):
            self.holders.add(actor)
            if isinstance(p.get("to"), str):
                self.holders.add(p["to"])
        if not isinstance(wh, str):
            return
        skus = [p.get("sku")]
        lines = p.get("lines")
        if isinstance(lines, list):
            skus += [ln[0] for ln in lines if isinstance(ln, list) and ln]  # pyright: ignore[reportUnknownVariableType]
        bins = [p.get(b) for b in ("bin", "from_bin", "to_bin")]
        if name in _PICKING or name in ("parcel.handed_over", "stock.put_back"):
            bins.append(STAGING)  # picks go to staging; handovers and put-backs take from it
        for sku in skus:
            if not isinstance(sku, str):
                continue
            self.skus.add(sku)
            for bin in bins:
                if isinstance(bin, str):
                    self.bins.add((wh, bin))
                    self.keys.add((wh, bin, sku))
        if name == "stock.counted" and isinstance(p.get("bin"), str) and isinstance(p.get("sku"), str):
            key = (wh, p["bin"], p["sku"])
            at = event_key(op.hlc, op.dev)
            self.counts[key] = min(self.counts.get(key, at), at)


class DbWorld:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.pg = not is_sqlite(conn)
        self.warehouses: dict[str, uuid.UUID] = {
            code: wid for wid, code in conn.execute(select(Warehouse.id, Warehouse.code)).all()
        }
        self.skus: dict[str, uuid.UUID | None] = {}
        self.bins: dict[tuple[uuid.UUID, str], uuid.UUID | None] = {}  # None: no such bin (yet)
        self.created_bins: list[dict[str, Any]] = []  # bins first seen on a phone: created at flush
        self._orders: dict[str, OrderState | None] = {}
        self._picks: dict[str, PickView | None] = {}
        self._delivered: dict[str, str | None] = {}
        self._qty: dict[Key, int] = {}
        self._counts: dict[Key, str | None] = {}
        self._tails: dict[Key, Tail] = {}
        self._cash: dict[str, int] = {}
        self._locked_stock: set[tuple[uuid.UUID, uuid.UUID]] = set()
        self.failure: SQLAlchemyError | None = None

    # -- loading -------------------------------------------------------------------------------

    def prefetch(self, wanted: Wanted) -> None:
        """Load (and on PostgreSQL lock, in the fixed order) everything these ops will read."""
        self._load_orders(wanted.orders - self._orders.keys())
        self._load_picks(wanted.pick_orders - self._picks.keys())
        self._load_skus(wanted.skus - self.skus.keys())
        self._load_bins(wanted.bins)
        self._lock_stock(wanted.keys)
        self._load_qty([k for k in wanted.keys if k not in self._qty])
        self._load_counts([k for k in wanted.keys if k not in self._counts])
        self._load_tails({k: at for k, at in wanted.counts.items() if not self._tail_covers(k, at)})
        self._load_delivered(wanted.waybills - self._delivered.keys())
        self._load_cash(wanted.holders - self._cash.keys())

    def _load_orders(self, refs: Iterable[str]) -> None:
        ids: dict[uuid.UUID, str] = {}
        for ref in refs:
            oid = parse_order_ref(ref)
            self._orders[ref] = None
            if oid is not None:
                ids[oid] = ref
        if not ids:
            return
        stmt = select(Order.id, Order.status, Order.cod_amount).where(in_values(self.conn, Order.id, ids))
        if self.pg:
            stmt = stmt.order_by(Order.id).with_for_update()
        for oid, status, cod in self.conn.execute(stmt).all():
            self._orders[ids[oid]] = OrderState(oid, status, int(cod))

    def _load_picks(self, refs: Iterable[str]) -> None:
        """What picks for these orders are checked against: their active reservations (the units to
        pick, bundle components included), what was picked so far, and the bins their pick lists plan.
        An order holding no units (unknown, held, cancelled, shipped) has nothing to check against."""
        ids: dict[uuid.UUID, str] = {}
        for ref in refs:
            state = self.order_state(ref)
            self._picks[ref] = None
            if state is not None and state.status != "cancelled":
                ids[state.id] = ref
        if not ids:
            return
        views: dict[uuid.UUID, PickView] = {}
        r = Reservation
        for oid, sku, qty in self.conn.execute(
            select(r.order_id, Sku.code, r.qty)
            .join(Sku, Sku.id == r.sku_id)
            .where(in_values(self.conn, r.order_id, ids), r.status == "active")
        ).all():
            view = views.setdefault(oid, PickView({}, {}, {}))
            view.lines[sku] = view.lines.get(sku, 0) + int(qty)
        p = PickRecord
        for oid, sku, qty in self.conn.execute(
            select(p.order_id, p.sku, p.qty).where(
                in_values(self.conn, p.order_id, views), p.problem != "wrong_item"
            )
        ).all():
            if oid is None or oid not in views:
                continue
            view = views[oid]
            view.picked[sku] = view.picked.get(sku, 0) + int(qty)
        for oid, sku, bin_code in self.conn.execute(
            select(PickLine.order_id, Sku.code, Bin.code)
            .join(Sku, Sku.id == PickLine.sku_id)
            .outerjoin(Bin, Bin.id == PickLine.bin_id)
            .where(in_values(self.conn, PickLine.order_id, views))
        ).all():
            view = views[oid]
            view.plan[sku] = view.plan.get(sku, frozenset()) | {bin_code or ""}
        for oid, view in views.items():
            self._picks[ids[oid]] = view

    def _load_skus(self, codes: Iterable[str]) -> None:
        wanted = set(codes)
        if not wanted:
            return
        for code in wanted:
            self.skus[code] = None
        rows = self.conn.execute(select(Sku.code, Sku.id).where(in_values(self.conn, Sku.code, wanted)))
        for code, sid in rows.all():
            self.skus[code] = sid

    def _load_bins(self, bins: Iterable[tuple[str, str]]) -> None:
        by_wh: dict[uuid.UUID, set[str]] = {}
        for wh, code in bins:
            wid = self.warehouses.get(wh)
            if wid is not None and (wid, code) not in self.bins:
                by_wh.setdefault(wid, set()).add(code)
        for wid, codes in by_wh.items():
            for code in codes:
                self.bins[(wid, code)] = None
            rows = self.conn.execute(
                select(Bin.code, Bin.id).where(Bin.warehouse_id == wid, in_values(self.conn, Bin.code, codes))
            )
            for code, bid in rows.all():
                self.bins[(wid, code)] = bid

    def _lock_stock(self, keys: Iterable[Key]) -> None:
        """PostgreSQL: lock the (SKU, warehouse) balance rows the batch may move, creating missing
        ones, so the bin sums read next cannot change under us. SQLite's writer holds the database."""
        if not self.pg:
            return
        pairs = sorted(
            {
                (sid, wid)
                for wh, _, sku in keys
                if (sid := self.skus.get(sku)) and (wid := self.warehouses.get(wh))
            }
            - self._locked_stock
        )
        if not pairs:
            return
        now = utcnow()
        self.conn.execute(
            postgresql.insert(StockBalance).on_conflict_do_nothing(),
            [
                {
                    "sku_id": s,
                    "warehouse_id": w,
                    "on_hand": 0,
                    "reserved": 0,
                    "safety_buffer": 0,
                    "updated_at": now,
                }
                for s, w in pairs
            ],
        )
        lock_balances(self.conn, pairs)
        self._locked_stock.update(pairs)

    def ids_of(self, key: Key) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID | None] | None:
        """(warehouse id, SKU id, bin id or None if the bin is new), or None if wh/SKU are unknown."""
        wh, bin, sku = key
        wid = self.warehouses.get(wh)
        if sku not in self.skus:
            self._load_skus([sku])
        sid = self.skus.get(sku)
        if wid is None or sid is None:
            return None
        if (wid, bin) not in self.bins:
            self._load_bins([(wh, bin)])
        return wid, sid, self.bins.get((wid, bin))

    def _resolved(self, keys: Iterable[Key]) -> dict[tuple[int, int], Key]:
        """Keys whose bin and SKU exist, by (bin id, SKU id) as integers: a uuid.UUID hashes in
        Python code, and these maps see every key of the batch."""
        out: dict[tuple[int, int], Key] = {}
        for key in keys:
            ids = self.ids_of(key)
            if ids is not None and ids[2] is not None:
                out[(ids[2].int, ids[1].int)] = key
        return out

    def _pairs(
        self, table: Table, columns: tuple[str, ...], ids: dict[tuple[int, int], Key], *, since: str = ""
    ) -> list[tuple[Key, tuple[Any, ...]]]:
        """Rows of a (bin_id, sku_id)-keyed table for exactly these pairs: one index probe each.
        With `since`, movements whose event key's HLC part is at or after it."""
        if not self.pg:
            # Ids are stored as 32 hex digits on SQLite: ask and answer in that form.
            doc = msgspec.json.encode([[f"{b:032x}", f"{s:032x}"] for b, s in ids]).decode()
            where = " AND t.at >= ?" if since else ""
            sql = (
                f"SELECT t.bin_id, t.sku_id, {', '.join('t.' + c for c in columns)} FROM json_each(?) j "
                f"JOIN {table.name} t ON t.bin_id = j.value ->> 0 AND t.sku_id = j.value ->> 1{where}"
            )
            params: tuple[Any, ...] = (doc, since) if since else (doc,)
            rows = self.conn.exec_driver_sql(sql, params).all()
            return [(ids[(int(r[0], 16), int(r[1], 16))], tuple(r[2:])) for r in rows]
        c: Any = table.c
        bin_col: Column[Any] = c.bin_id
        sku_col: Column[Any] = c.sku_id
        wanted = [(uuid.UUID(int=b), uuid.UUID(int=s)) for b, s in ids]
        stmt = select(bin_col, sku_col, *(c[name] for name in columns)).where(
            tuple_(bin_col, sku_col).in_(wanted)
        )
        if since:
            stmt = stmt.where(c.at >= since)
        return [(ids[(r[0].int, r[1].int)], tuple(r[2:])) for r in self.conn.execute(stmt).all()]

    def _load_qty(self, keys: Sequence[Key]) -> None:
        for key in keys:
            self._qty[key] = 0
        self._lock_stock(keys)
        ids = self._resolved(keys)
        if ids:
            for key, (qty,) in self._pairs(_BIN_BALANCES, ("qty",), ids):
                self._qty[key] = int(qty)

    def _load_counts(self, keys: Sequence[Key]) -> None:
        for key in keys:
            self._counts[key] = None
        ids = self._resolved(k for k in keys if k[1] != STAGING)
        if ids:
            for key, (at,) in self._pairs(_BIN_COUNTS, ("counted_at",), ids):
                self._counts[key] = at

    def _tail_covers(self, key: Key, at: str) -> bool:
        tail = self._tails.get(key)
        return tail is not None and tail.start <= at

    def _load_tails(self, starts: dict[Key, str]) -> None:
        """Movements at these bins from each key's start on. Event keys compare as Python strings;
        the SQL filter only uses the HLC prefix (hex digits), which sorts the same in any collation."""
        if not starts:
            return
        ids = self._resolved(starts)
        for key, at in starts.items():
            self._tails[key] = Tail(at)
        if not ids:
            return
        prefix = min(starts[k] for k in ids.values())[:16]
        for key, (at, qty) in self._pairs(_MOVEMENTS, ("at", "qty"), ids, since=prefix):
            if at >= self._tails[key].start:
                self._tails[key].moves.append((at, int(qty)))

    def _load_delivered(self, waybills: Iterable[str]) -> None:
        wanted = set(waybills)
        if not wanted:
            return
        for wb in wanted:
            self._delivered[wb] = None
        d = DeliveryAttempt
        rows = self.conn.execute(
            select(d.waybill, d.device)
            .where(in_values(self.conn, d.waybill, wanted), d.outcome == "delivered", d.counts.is_(True))
            .order_by(d.id)
        )
        for waybill, device in rows.all():
            if self._delivered.get(waybill) is None:
                self._delivered[waybill] = device

    def _load_cash(self, holders: Iterable[str]) -> None:
        self._cash.update(lock_cash(self.conn, list(holders)))

    # -- sync.WorldView ------------------------------------------------------------------------

    def order(self, order_id: str, /) -> OrderView | None:
        state = self.order_state(order_id)
        return None if state is None else OrderView(state.status, state.cod)

    def order_state(self, ref: str) -> OrderState | None:
        if ref not in self._orders:
            self._guarded(self._load_orders, [ref])
        return self._orders[ref]

    def pick_view(self, order_id: str, /) -> PickView | None:
        if order_id not in self._picks:
            self._guarded(self._load_picks, [order_id])
        return self._picks[order_id]

    def delivered_by(self, waybill: str, /) -> str | None:
        if waybill not in self._delivered:
            self._guarded(self._load_delivered, [waybill])
        return self._delivered[waybill]

    def bin_qty(self, wh: str, bin: str, sku: str, /) -> int:
        key = (wh, bin, sku)
        if key not in self._qty:
            self._guarded(self._load_qty, [key])
        return self._qty[key]

    def last_count_at(self, wh: str, bin: str, sku: str, /) -> str | None:
        key = (wh, bin, sku)
        if key not in self._counts:
            self._guarded(self._load_counts, [key])
        return self._counts[key]

    def moved_after(self, wh: str, bin: str, sku: str, at: str, /) -> int:
        key = (wh, bin, sku)
        if not self._tail_covers(key, at):
            self._tails.pop(key, None)
            self._guarded(self._load_tails, {key: at})
        return sum(q for a, q in self._tails[key].moves if a > at)

    def cash_on_hand(self, holder: str, /) -> int:
        if holder not in self._cash:
            self._guarded(self._load_cash, [holder])
        return self._cash[holder]

    def _guarded(self, load: Callable[[Any], None], keys: Any) -> None:
        """A read a rule asked for failed: remember it, because sync.judge turns any exception in a
        rule into a quarantined op, and a database failure is the server's fault, not the op's."""
        try:
            load(keys)
        except SQLAlchemyError as exc:
            self.failure = exc
            raise

    def forget(self) -> None:
        """Drop what was read: a writer outside the rules (an exception's action) changed rows
        behind this world, after everything queued was written. The next look reads them again."""
        for cache in (
            self._orders,
            self._picks,
            self._delivered,
            self._qty,
            self._counts,
            self._tails,
            self._cash,
        ):
            cache.clear()

    # -- effects of ops judged earlier in the transaction --------------------------------------

    def ensure_bin(self, wid: uuid.UUID, code: str) -> uuid.UUID:
        """A bin a phone named that the server did not know: it exists on the shelf, so create it."""
        bid = self.bins.get((wid, code))
        if bid is None:
            bid = new_id()
            zone = "staging" if code == STAGING else "quarantine" if code == QUARANTINE else ""
            row = {
                "id": bid,
                "warehouse_id": wid,
                "code": code,
                "zone": zone,
                "active": True,
                "created_at": utcnow(),
            }
            if self.pg:
                # Another server process may be creating the same bin right now: insert at once and
                # take whichever row won, instead of failing at flush and redoing the batch.
                self.conn.execute(postgresql.insert(Bin).values(row).on_conflict_do_nothing())
                bid = self.conn.execute(
                    select(Bin.id).where(Bin.warehouse_id == wid, Bin.code == code)
                ).scalar_one()
            else:
                self.created_bins.append(row)  # SQLite has one writer: no race; written at flush
            self.bins[(wid, code)] = bid
        return bid

    def moved(self, key: Key, qty: int, at: str) -> None:
        self._qty[key] = self.bin_qty(*key) + qty
        tail = self._tails.get(key)
        if tail is not None and at >= tail.start:
            tail.moves.append((at, qty))

    def picked(self, order: str, sku: str, qty: int) -> None:
        """A pick written earlier in the transaction counts toward the order for the next one."""
        view = self.pick_view(order)
        if view is not None:
            view.picked[sku] = view.picked.get(sku, 0) + qty

    def counted(self, key: Key, at: str) -> None:
        last = self.last_count_at(*key)
        self._counts[key] = at if last is None else max(last, at)

    def cash_moved(self, holder: str, amount: int) -> int:
        self._cash[holder] = self.cash_on_hand(holder) + amount
        return self._cash[holder]

    def delivered(self, waybill: str, device: str) -> None:
        if self.delivered_by(waybill) is None:
            self._delivered[waybill] = device

    def qty(self, key: Key) -> int:
        return self.bin_qty(*key)

    def cash(self, holder: str) -> int:
        return self.cash_on_hand(holder)
