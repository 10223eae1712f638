"""A device simulator: phones doing realistic work offline and syncing it, over HTTP.

Warehouse phones receive, put away, pick, short-pick and count; riders deliver (or fail to, with
a reason), collect the COD amount and remit cash. The work is drawn from what the phone's replica
holds (its bins and SKUs, its run's stops) or from an explicit `Work`, so the same generator feeds
the tests, the benchmark and a manual run against a live server:

    python -m sync.simulator --url http://127.0.0.1:8000 --username ana --password ... \\
        --ops 200 --rounds 5
"""

from __future__ import annotations

import argparse
import random
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import msgspec

from sync import (
    CashCollected,
    Client,
    DeliveryAttempted,
    RemittanceHandedIn,
    StockCounted,
    StockPicked,
    StockPutAway,
    StockReceived,
    StockShortPicked,
)
from sync.http import HttpTransport

FAILURES = ("refused", "refused_after_inspection", "wrong_address", "not_home", "unreachable")


@dataclass(frozen=True)
class Stop:
    order: str
    waybill: str
    cod: int


@dataclass
class Work:
    """What a simulated phone can act on."""

    warehouse: str = ""
    bins: list[str] = field(default_factory=list[str])
    skus: list[str] = field(default_factory=list[str])
    stops: list[Stop] = field(default_factory=list[Stop])

    @classmethod
    def from_replica(cls, client: Client) -> Work:
        work = cls()
        for scope, entities in client.replica.items():
            if scope.startswith("wh:"):
                work.warehouse = scope[3:]
                for kind, key in entities:
                    if kind == "bin":
                        bin_code, _, sku = key.partition("/")
                        if bin_code and bin_code not in work.bins:
                            work.bins.append(bin_code)
                        if sku not in work.skus:
                            work.skus.append(sku)
            elif scope == "catalog":
                work.skus += [key for kind, key in entities if kind == "sku" and key not in work.skus]
            elif scope.startswith("runs:"):
                for (kind, key), val in sorted(entities.items(), key=lambda e: e[1].get("pos", 0)):
                    if kind == "stop":
                        work.stops.append(Stop(key, val.get("waybill", ""), int(val.get("cod", 0))))
        return work


def warehouse_op(rng: random.Random, work: Work, stock: dict[tuple[str, str], int]) -> msgspec.Struct:
    """One scan, as a picker really scans: receipts into bins, put-aways and picks of units the phone
    believes are there (`stock`, kept up to date here), counts that mostly agree, rare short picks.
    Exceptions stay exceptional: a flood of flags would be a broken warehouse, not a benchmark."""
    wh = work.warehouse
    held = [key for key, qty in stock.items() if qty > 0]
    roll = rng.random()
    if roll < 0.35 or not held:
        bin, sku = rng.choice(work.bins), rng.choice(work.skus)
        qty = rng.randint(1, 48)
        stock[(bin, sku)] = stock.get((bin, sku), 0) + qty
        return StockReceived(wh=wh, bin=bin, sku=sku, qty=qty, ref=f"DR-{rng.randint(1, 99999):05d}")
    bin, sku = rng.choice(held)
    there = stock[(bin, sku)]
    if roll < 0.60:
        qty = rng.randint(1, min(3, there))
        stock[(bin, sku)] = there - qty
        order = rng.choice(work.stops).order if work.stops else f"ORD-{rng.randint(1, 10**6)}"
        return StockPicked(wh=wh, bin=bin, sku=sku, qty=qty, order=order)
    if roll < 0.85:
        to_bin = rng.choice(work.bins)
        if to_bin == bin:
            return StockCounted(wh=wh, bin=bin, sku=sku, counted=there, expected=there)
        qty = rng.randint(1, there)
        stock[(bin, sku)] = there - qty
        stock[(to_bin, sku)] = stock.get((to_bin, sku), 0) + qty
        return StockPutAway(wh=wh, sku=sku, qty=qty, from_bin=bin, to_bin=to_bin)
    if roll < 0.99:
        counted = there if rng.random() < 0.9 else max(0, there + rng.choice((-1, 1)))
        stock[(bin, sku)] = counted
        return StockCounted(wh=wh, bin=bin, sku=sku, counted=counted, expected=there)
    order = rng.choice(work.stops).order if work.stops else f"ORD-{rng.randint(1, 10**6)}"
    found = rng.randint(0, min(2, there))
    stock[(bin, sku)] = there - found
    reason = "not_enough" if found else "empty_bin"
    return StockShortPicked(
        wh=wh, bin=bin, sku=sku, order=order, wanted=found + 1, found=found, reason=reason
    )


def rider_ops(rng: random.Random, stop: Stop) -> list[msgspec.Struct]:
    """One stop: delivered and paid (most), or a failed attempt with its reason."""
    if rng.random() < 0.85:
        return [
            DeliveryAttempted(order=stop.order, waybill=stop.waybill, outcome="delivered"),
            CashCollected(order=stop.order, amount=stop.cod),
        ]
    return [
        DeliveryAttempted(
            order=stop.order, waybill=stop.waybill, outcome="failed", reason=rng.choice(FAILURES)
        )
    ]


def mixed_ops(rng: random.Random, work: Work, count: int, *, scans: float = 0.6) -> list[msgspec.Struct]:
    """`count` facts: `scans` of them warehouse scans, the rest deliveries and cash, stop by stop."""
    out: list[msgspec.Struct] = []
    stops = iter(work.stops)
    stock: dict[tuple[str, str], int] = {}
    while len(out) < count:
        if rng.random() < scans or not work.stops:
            out.append(warehouse_op(rng, work, stock))
            continue
        stop = next(stops, None)
        if stop is None:
            stops = iter(work.stops)
            continue
        out += rider_ops(rng, stop)
    return out[:count]


def remittance(amount: int, to: str = "cashier") -> RemittanceHandedIn:
    return RemittanceHandedIn(amount=amount, to=to, ref=f"REM-{int(time.time())}")


def login(base_url: str, username: str, password: str) -> tuple[str, str]:
    """Log in as a phone does: returns (device id, token)."""
    response = httpx.post(
        f"{base_url}/api/v1/auth/login",
        json={"username": username, "password": password, "device_name": "simulator"},
        timeout=30,
    )
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return str(body["device_id"]), str(body["token"])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--username", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--ops", type=int, default=100, help="facts recorded per round")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds offline between syncs")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    device_id, token = login(args.url, args.username, args.password)
    rng = random.Random(args.seed)
    with httpx.Client(base_url=args.url, timeout=60) as http:
        transport = HttpTransport(http, token)
        phone = Client(device_id, transport)
        print("first sync:", phone.sync(max_rounds=1000))
        for n in range(args.rounds):
            work = Work.from_replica(phone)
            if not (work.bins and work.skus) and not work.stops:
                print("nothing in this phone's scopes to work on (no bins with stock, no stops)")
                return
            for payload in mixed_ops(rng, work, args.ops, scans=0.6 if work.bins else 0.0):
                phone.record(payload)
            report = phone.sync(max_rounds=1000)
            flagged = sum(1 for _ in phone.flagged)
            print(f"round {n + 1}: {report}; flagged so far {flagged}; bytes up {transport.bytes_up}")
            time.sleep(args.interval)


if __name__ == "__main__":
    main()
