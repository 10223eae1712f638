// What the engine asks the phone's storage for on the screens' behalf (src/sync/store.js and the
// receipt arithmetic of src/sync/ops.js), on an in-memory IndexedDB.
import { describe, expect, it } from "vitest";
import { STOCK_COUNTED, STOCK_RECEIVED, unitsReceived } from "../src/sync/ops.js";
import { makeOp, opPayload, opSeq, opType } from "../src/sync/protocol.js";
import { keepDraft, problems, readDraft, recordedSince, waitingOps } from "../src/sync/store.js";
import { newClient, scripted } from "./helpers.js";

const receipt = (bin, sku, qty, wh = "VAL") => ({ wh, bin, sku, qty });
const count = (bin, sku, counted) => ({ wh: "VAL", bin, sku, counted });

/** A phone with ops recorded at times 100, 200, ...; `answers` are the server's replies to its rounds. */
async function phone(ops, ...answers) {
  let t = 0;
  const client = await newClient({ transport: scripted(...answers), now: () => (t += 100) });
  for (const [type, payload] of ops) await client.record(type, payload);
  return client;
}

const answer = (hwm, res = []) => ({ v: 1, ep: "e1", hwm, res });

describe("what was recorded, and where it stands", () => {
  it("ops of one type since a time, newest first, waiting or answered", async () => {
    const client = await phone(
      [
        [STOCK_RECEIVED, receipt("RCV-01", "A", 1)], // seq 1: applied
        [STOCK_COUNTED, count("B-01", "A", 3)], // seq 2: another type
        [STOCK_RECEIVED, receipt("RCV-01", "B", 2)], // seq 3: flagged
        [STOCK_RECEIVED, receipt("RCV-01", "C", 5)], // seq 4: still waiting after the answer
      ],
      answer(3, [[3, "flagged", [["unknown_sku", "B is not in the catalog"]]]]),
    );
    await client.round();
    const rows = await recordedSince(client.db, STOCK_RECEIVED, 0);
    expect(rows.map((r) => [opSeq(r.op), r.st])).toEqual([
      [4, "waiting"],
      [3, "flagged"],
      [1, "applied"],
    ]);
    const since = rows[1].rec; // the flagged one's time: it and the newer ones
    expect((await recordedSince(client.db, STOCK_RECEIVED, since)).map((r) => opSeq(r.op))).toEqual([4, 3]);
    expect((await recordedSince(client.db, STOCK_COUNTED, 0)).map((r) => r.st)).toEqual(["applied"]);
  });

  it("waiting ops in the order they were recorded, gone once confirmed", async () => {
    const client = await phone(
      [1, 2, 3].map((n) => [STOCK_RECEIVED, receipt("RCV-01", "A", n)]),
      answer(2),
    );
    expect((await waitingOps(client.db)).map((op) => opPayload(op).qty)).toEqual([1, 2, 3]);
    await client.round();
    expect((await waitingOps(client.db)).map(opSeq)).toEqual([3]);
  });

  it("problems: what the server flagged or rejected, with its notes", async () => {
    const client = await phone(
      [1, 2, 3].map((n) => [STOCK_RECEIVED, receipt("RCV-01", "A", n)]),
      answer(3, [
        [2, "rejected", [["invalid_payload", "qty"]]],
        [3, "flagged", [["unknown_sku", "A"]]],
      ]),
    );
    expect(await problems(client.db)).toEqual([]);
    await client.round();
    const found = await problems(client.db);
    expect(found.map((n) => [n.seq, n.st, opType(n.op), n.notes])).toEqual([
      [2, "rejected", STOCK_RECEIVED, [["invalid_payload", "qty"]]],
      [3, "flagged", STOCK_RECEIVED, [["unknown_sku", "A"]]],
    ]);
  });

  it("a draft is kept under its name until it is dropped", async () => {
    const client = await phone([]);
    expect(await readDraft(client.db, "count:bin:A")).toBeUndefined();
    await keepDraft(client.db, "count:bin:A", { lines: [1] });
    await keepDraft(client.db, "count:bin:B", { lines: [2] });
    expect(await readDraft(client.db, "count:bin:A")).toEqual({ lines: [1] });
    await keepDraft(client.db, "count:bin:A", null);
    expect(await readDraft(client.db, "count:bin:A")).toBeUndefined();
    expect(await readDraft(client.db, "count:bin:B")).toEqual({ lines: [2] });
  });
});

describe("units received", () => {
  const op = (seq, type, payload) => makeOp(`id-${seq}`, "dev", seq, 0, "0", type, payload);

  it("adds up the receipts of one warehouse by bin and SKU; counts and other warehouses add nothing", () => {
    const ops = [
      op(1, STOCK_RECEIVED, receipt("RCV-01", "A", 3)),
      op(2, STOCK_RECEIVED, receipt("RCV-01", "A", 2)),
      op(3, STOCK_RECEIVED, receipt("A-01", "A", 1)),
      op(4, STOCK_RECEIVED, receipt("RCV-01", "A", 7, "CEB")),
      op(5, STOCK_COUNTED, count("RCV-01", "A", 40)),
    ];
    expect(unitsReceived(ops, "VAL")).toEqual(
      new Map([
        ["RCV-01\x1fA", 5],
        ["A-01\x1fA", 1],
      ]),
    );
    expect(unitsReceived([], "VAL")).toEqual(new Map());
  });
});
