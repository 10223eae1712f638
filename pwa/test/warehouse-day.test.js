// The warehouse day's logic below the screens (issue 10): the op builders for counts, put-away and
// returns (what the server's catalogue accepts, golden fixtures included), what unsynced stock ops do
// to the phone's bins, and the problems list's badge (seen, settled).
import { describe, expect, it } from "vitest";
import {
  RETURN_RECEIVED,
  returnReceived,
  STOCK_COUNTED,
  STOCK_PUT_AWAY,
  STOCK_RECEIVED,
  stockCounted,
  stockPutAway,
  unitsReceived,
} from "../src/sync/ops.js";
import { makeOp } from "../src/sync/protocol.js";
import { markProblemsSeen, problems, settleProblem } from "../src/sync/store.js";
import { goldenOps, newClient, scripted } from "./helpers.js";

const ops = Object.fromEntries(goldenOps());

describe("counts never zero a bin by accident", () => {
  it("a counted line is sent as counted; zero only as an explicit empty mark", () => {
    expect(stockCounted({ wh: "VAL", bin: "A-01", sku: "S", counted: 7, expected: 9 })).toEqual({ wh: "VAL", bin: "A-01", sku: "S", counted: 7, expected: 9 });
    expect(stockCounted({ wh: "VAL", bin: "A-01", sku: "S", counted: 0, expected: 9, empty: true })).toEqual({
      wh: "VAL",
      bin: "A-01",
      sku: "S",
      counted: 0,
      expected: 9,
      empty: true,
    });
    expect(() => stockCounted({ wh: "VAL", bin: "A-01", sku: "S", counted: 0 })).toThrow(/empty/);
    expect(() => stockCounted({ wh: "VAL", bin: "A-01", sku: "S", counted: null })).toThrow(/counted/);
    expect(() => stockCounted({ wh: "VAL", bin: "A-01", sku: "S", counted: 3, empty: true })).toThrow(/empty/);
  });

  it("the golden stock.counted op is still built the same", () => {
    const body = ops[STOCK_COUNTED].body[6];
    expect(JSON.stringify(stockCounted(body))).toBe(JSON.stringify(body));
  });
});

describe("put-away and returns ops", () => {
  it("stock.put_away as the golden fixture, refusing a move to the same bin", () => {
    const body = ops[STOCK_PUT_AWAY].body[6];
    expect(stockPutAway({ wh: body.wh, sku: body.sku, qty: body.qty, from: body.from_bin, to: body.to_bin })).toEqual(body);
    expect(() => stockPutAway({ wh: "VAL", sku: "S", qty: 1, from: "A-01", to: "a-01" })).toThrow(/same bin/);
    expect(() => stockPutAway({ wh: "VAL", sku: "S", qty: 0, from: "A-01", to: "A-02" })).toThrow(/qty/);
  });

  it("return.received as the golden fixture; resellable (the default) is left off the wire", () => {
    const body = ops[RETURN_RECEIVED].body[6];
    expect(JSON.stringify(returnReceived(body))).toBe(JSON.stringify(body));
    expect(returnReceived({ wh: "VAL", bin: "RET-01", sku: "S", qty: 2, condition: "resellable" })).toEqual({ wh: "VAL", bin: "RET-01", sku: "S", qty: 2 });
    expect(() => returnReceived({ wh: "VAL", bin: "RET-01", sku: "S", qty: 1 })).toThrow(/restock or damaged/);
  });

  it("unsynced receipts, returns and moves as the phone's bins see them", () => {
    const op = (seq, type, payload) => makeOp(`id-${seq}`, "dev", seq, 0, "0", type, payload);
    const moved = unitsReceived(
      [
        op(1, STOCK_RECEIVED, { wh: "VAL", bin: "RCV-01", sku: "A", qty: 10 }),
        op(2, STOCK_PUT_AWAY, { wh: "VAL", sku: "A", qty: 4, from_bin: "RCV-01", to_bin: "A-01" }),
        op(3, RETURN_RECEIVED, { wh: "VAL", bin: "RET-01", sku: "B", qty: 1, condition: "damaged" }),
        op(4, STOCK_PUT_AWAY, { wh: "CEB", sku: "A", qty: 4, from_bin: "RCV-01", to_bin: "A-01" }),
      ],
      "VAL",
    );
    expect(moved).toEqual(
      new Map([
        ["RCV-01\x1fA", 6],
        ["A-01\x1fA", 4],
        ["RET-01\x1fB", 1],
      ]),
    );
  });
});

describe("the problems badge", () => {
  it("counts notices nobody has seen; seen ones stay listed until settled; held ones cannot be settled", async () => {
    let t = 0;
    const answer = { v: 1, ep: "e1", hwm: 2, cur: "e1:1", res: [[1, "flagged", [["count_variance", "bin A-01 counted 40"]]], [2, "rejected", [["invalid_payload", "qty"]]]] };
    const client = await newClient({ transport: scripted(answer), now: () => (t += 100) });
    await client.record(STOCK_COUNTED, { wh: "VAL", bin: "A-01", sku: "S", counted: 40 });
    await client.record(STOCK_RECEIVED, { wh: "VAL", bin: "A-01", sku: "S", qty: 1 });
    await client.round();
    expect((await client.counts()).notices).toBe(2);
    await markProblemsSeen(client.db);
    expect((await client.counts()).notices).toBe(0);
    const listed = await problems(client.db);
    expect(listed.map((n) => [n.seq, n.seen])).toEqual([
      [1, true],
      [2, true],
    ]);
    await settleProblem(client.db, listed[0].key);
    expect((await problems(client.db)).map((n) => n.seq)).toEqual([2]);

    const held = await client.db.add("notices", { seq: 9, op: listed[1].op, st: "held", user: "other", notes: [], at: 0 });
    expect((await client.counts()).notices).toBe(1); // new, unseen
    await settleProblem(client.db, held);
    expect((await problems(client.db)).map((n) => n.st)).toEqual(["rejected", "held"]);
  });
});
