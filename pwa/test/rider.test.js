// The rider's arithmetic and storage: change at the door, photo sizing, the day's figures from the
// ops on the phone, proof uploads, and the purge of a closed run's personal data.
import { describe, expect, it } from "vitest";
import { itemLines } from "../src/rider/items.js";
import { changeFor, peso, quickAmounts, toCentavos } from "../src/rider/money.js";
import { fitWithin, MAX_BYTES, smallEnough } from "../src/rider/photo.js";
import { makeOp } from "../src/sync/protocol.js";
import {
  CASH_COLLECTED,
  cashCollected,
  DELIVERY_ATTEMPTED,
  DELIVERY_ATTEMPTED_V1,
  deliveryAttempted,
  deliveryOps,
  manilaDate,
  PROOF_ATTACHED,
  proofAttached,
  REMITTANCE_HANDED_IN,
  remittanceHandedIn,
  riderDay,
} from "../src/sync/rider-ops.js";
import * as riderOps from "../src/sync/rider-ops.js";
import { blobId, carry, carried, keepBlob, openRiderStore, ordersToPurge, purgeOrders, uploadBlobs } from "../src/sync/rider-store.js";
import { keepDraft, readDraft, recordedSince } from "../src/sync/store.js";
import { newClient, scripted } from "./helpers.js";

describe("money at the door", () => {
  it("reads what a rider types as centavos, and refuses what is not an amount", () => {
    expect(toCentavos("1,299")).toBe(129_900);
    expect(toCentavos("₱ 1299.5")).toBe(129_950);
    expect(toCentavos("0.05")).toBe(5);
    for (const bad of ["", "abc", "12.345", "-5", "1e3"]) expect(toCentavos(bad), bad).toBeNull();
  });

  it("gives the change, or says what is still missing", () => {
    expect(changeFor(129_900, 200_000)).toEqual({ change: 70_100, short: 0 });
    expect(changeFor(129_900, 129_900)).toEqual({ change: 0, short: 0 });
    expect(changeFor(129_900, 100_000)).toEqual({ change: 0, short: 29_900 });
  });

  it("offers the exact amount and the round sums a buyer pays with", () => {
    expect(quickAmounts(129_900)).toEqual([129_900, 130_000, 150_000, 200_000]);
    expect(quickAmounts(50_000)).toEqual([50_000, 100_000]);
    expect(quickAmounts(0)).toEqual([]);
  });

  it("shows pesos with centavos only when there are any", () => {
    expect(peso(129_900)).toBe("₱1,299");
    expect(peso(129_950)).toBe("₱1,299.50");
  });
});

describe("proof photos made small on the phone", () => {
  it("fits the long side within 1280 px, keeping the shape, never enlarging", () => {
    expect(fitWithin(4000, 3000)).toEqual({ width: 1280, height: 960 });
    expect(fitWithin(3000, 4000)).toEqual({ width: 960, height: 1280 });
    expect(fitWithin(800, 600)).toEqual({ width: 800, height: 600 });
  });

  it("steps the JPEG quality down until the photo fits 200 KB", async () => {
    // A fake encoder: size grows with quality and area, as a JPEG's does.
    const encode = async (scale, quality) => ({ size: Math.round(600_000 * quality * scale * scale) });
    const out = await smallEnough(encode);
    expect(out.blob.size).toBeLessThanOrEqual(MAX_BYTES);
    expect(out.scale).toBe(1);
    expect(out.quality).toBe(0.32); // 0.42 makes 252 KB, 0.32 makes 192 KB
  });

  it("shrinks the picture when even the lowest quality is too big, and never loses the photo", async () => {
    const encode = async (scale, quality) => ({ size: Math.round(2_000_000 * quality * scale * scale) });
    const out = await smallEnough(encode);
    expect(out.blob.size).toBeLessThanOrEqual(MAX_BYTES);
    expect(out.scale).toBeLessThan(1);
    const hopeless = await smallEnough(async () => ({ size: 10 * MAX_BYTES }));
    expect(hopeless.blob.size).toBe(10 * MAX_BYTES); // kept anyway: a proof is never dropped
    expect(hopeless.tries).toBe(24);
  });
});

describe("the rider's ops", () => {
  it("builds what the server accepts and refuses slips", () => {
    expect(deliveryAttempted({ order: "O1", waybill: "", outcome: "delivered", receivedBy: " Ana Cruz " })).toEqual({
      order: "O1",
      waybill: "O1",
      outcome: "delivered",
      received_by: "Ana Cruz",
    });
    const again = { order: "O1", waybill: "W1", outcome: "failed", reason: "rescheduled", today: "2026-12-05" };
    expect(deliveryAttempted({ ...again, rescheduleOn: "2026-12-05", note: "nasa trabaho" })).toEqual({
      order: "O1",
      waybill: "W1",
      outcome: "failed",
      reason: "rescheduled",
      note: "nasa trabaho",
      reschedule_on: "2026-12-05",
    });
    expect(() => deliveryAttempted({ ...again, rescheduleOn: "2026-12-04" })).toThrow(/today \(2026-12-05\) or later/);
    expect(() => deliveryAttempted({ ...again, rescheduleOn: "2026-02-30" })).toThrow(/YYYY-MM-DD/);
    expect(() => deliveryAttempted({ ...again, receivedBy: "Ana" })).toThrow(/no recipient/);
    expect(() => deliveryAttempted({ order: "O1", waybill: "W1", outcome: "delivered", rescheduleOn: "2099-01-01" })).toThrow(/not rescheduled/);
    expect(() => deliveryAttempted({ order: "O1", waybill: "W1", outcome: "delivered", receivedBy: "A".repeat(81) })).toThrow(/80/);
    expect(manilaDate(Date.UTC(2026, 11, 4, 16, 30))).toBe("2026-12-05"); // 00:30 in Manila
    expect(manilaDate(Date.UTC(2026, 11, 4, 15, 59), 1)).toBe("2026-12-05");
    expect(deliveryAttempted({ order: "O1", waybill: "W1", outcome: "failed", reason: "not_home" })).toEqual({
      order: "O1",
      waybill: "W1",
      outcome: "failed",
      reason: "not_home",
    });
    expect(() => deliveryAttempted({ order: "O1", waybill: "W1", outcome: "failed" })).toThrow(/reason/);
    expect(() => cashCollected({ order: "O1", amount: 0 })).toThrow();
    expect(() => proofAttached({ order: "O1", blob: "nope" })).toThrow();
    expect(proofAttached({ order: "O1", blob: "a".repeat(64), kind: "signature" })).toEqual({ order: "O1", blob: "a".repeat(64), kind: "signature" });
    expect(() => remittanceHandedIn({ amount: 100, to: " " })).toThrow(/to/);
  });

  it("adds a day up per stop: the latest attempt, its cash, what was handed in", () => {
    let seq = 0;
    const row = (type, payload, rec, st = "applied") => ({ op: makeOp(`id${++seq}`, "d", seq, rec, "h", type, payload), rec, st });
    const day = riderDay([
      row(DELIVERY_ATTEMPTED, { order: "O1", waybill: "W1", outcome: "failed", reason: "not_home" }, 1),
      row(DELIVERY_ATTEMPTED, { order: "O1", waybill: "W1", outcome: "delivered", received_by: "Ana" }, 5, "waiting"),
      row(DELIVERY_ATTEMPTED, { order: "O3", waybill: "W3", outcome: "failed", reason: "rescheduled", reschedule_on: "2026-12-07" }, 7),
      // recorded before the phone's app was updated: still counted
      row(DELIVERY_ATTEMPTED_V1, { order: "O4", waybill: "W4", outcome: "failed", reason: "not_home", note: "sarado" }, 8),
      row(CASH_COLLECTED, { order: "O1", amount: 129_900 }, 6, "waiting"),
      row(CASH_COLLECTED, { order: "O2", amount: 50_000 }, 3),
      row(REMITTANCE_HANDED_IN, { amount: 50_000, to: "cashier" }, 9),
    ]);
    expect(day.byOrder.get("O1")).toMatchObject({ outcome: "delivered", attempts: 2, cash: 129_900, waiting: true, receivedBy: "Ana" });
    expect(day.byOrder.get("O3")).toMatchObject({ outcome: "failed", reason: "rescheduled", rescheduleOn: "2026-12-07", receivedBy: "" });
    expect(day.byOrder.get("O4")).toMatchObject({ outcome: "failed", note: "sarado", rescheduleOn: "" });
    expect(day.collected).toBe(179_900);
    expect(day.inHand).toBe(129_900);
  });
});

describe("proof uploads and the purge", () => {
  const bytes = (text) => new Blob([text], { type: "image/jpeg" });

  it("keeps a blob under its SHA-256 and uploads it once, whatever the network does", async () => {
    const rdb = await openRiderStore(`rider-${Math.random()}`);
    const sha = await keepBlob(rdb, bytes("abc"), { order: "O1", kind: "photo" });
    expect(sha).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(await keepBlob(rdb, bytes("abc"), { order: "O1", kind: "photo" })).toBe(sha); // once
    const calls = [];
    const offline = await uploadBlobs(rdb, { token: "t", fetchImpl: async () => Promise.reject(new TypeError("offline")) });
    expect(offline).toEqual({ sent: 0, refused: 0, stopped: "network" });
    const ok = await uploadBlobs(rdb, { token: "t", fetchImpl: async (url, init) => (calls.push([url, init.method]), { ok: true, status: 201 }) });
    expect(ok.sent).toBe(1);
    expect(calls).toEqual([[`/sync/v1/blobs/${sha}`, "PUT"]]);
    expect((await uploadBlobs(rdb, { token: "t", fetchImpl: async () => ({ ok: true, status: 200 }) })).sent).toBe(0);
  });

  it("purges only once the replica is synced and the orders left it", () => {
    expect(ordersToPurge(["O1", "O2"], ["O2"], { synced: false })).toEqual([]);
    expect(ordersToPurge(["O1", "O2"], ["O2"], { synced: true })).toEqual(["O1"]);
    expect(ordersToPurge(["O1"], ["O1"], { synced: true })).toEqual([]);
  });

  it("forgets a closed run's names and photos, keeps unsent evidence and the cash", async () => {
    const rdb = await openRiderStore(`rider-${Math.random()}`);
    let t = 0;
    const client = await newClient({ transport: scripted({ v: 1, ep: "e1", hwm: 4, res: [] }), now: () => (t += 100) });
    const sent = await keepBlob(rdb, bytes("sent"), { order: "O1", kind: "photo" });
    await uploadBlobs(rdb, { token: "t", fetchImpl: async () => ({ ok: true, status: 201 }) });
    const unsent = await keepBlob(rdb, bytes("unsent"), { order: "O1", kind: "signature" }); // taken offline
    await keepBlob(rdb, bytes("other"), { order: "O2", kind: "photo" });
    await client.record(DELIVERY_ATTEMPTED_V1, { order: "O1", waybill: "W1", outcome: "failed", reason: "not_home", note: "Ibalik sa 2026-12-07" });
    await client.record(DELIVERY_ATTEMPTED, { order: "O1", waybill: "W1", outcome: "delivered", received_by: "Ana Cruz" });
    await client.record(CASH_COLLECTED, { order: "O1", amount: 129_900 });
    await client.record(PROOF_ATTACHED, { order: "O1", blob: sent });
    await client.record(DELIVERY_ATTEMPTED, { order: "O2", waybill: "W2", outcome: "delivered" });
    await client.round(); // the server confirms all five: they move to the retained tail
    await carry(rdb, ["O1", "O2"]);
    await keepDraft(client.db, "rider:deliver:O1", { name: "Ana" });

    const out = await purgeOrders(rdb, client.db, ["O1"], (o) => [`rider:deliver:${o}`]);
    expect(out).toEqual({ blobs: 1, ops: 3, drafts: 1 }); // both attempts (v1 and v2) and the proof link
    expect(await rdb.get("blobs", sent)).toBeUndefined();
    expect(await rdb.get("blobs", unsent)).toBeDefined(); // not on the server yet
    expect(await carried(rdb)).toEqual(["O1", "O2"]); // O1 stays until its last photo is sent
    expect((await recordedSince(client.db, DELIVERY_ATTEMPTED, 0)).length).toBe(1); // O2's
    expect((await recordedSince(client.db, CASH_COLLECTED, 0)).length).toBe(1); // cash still adds up
    expect(await readDraft(client.db, "rider:deliver:O1")).toBeUndefined();
  });

  it("hashes without WebCrypto the same way", async () => {
    const { sha256Hex } = await import("../src/sync/sha256.js");
    const data = new TextEncoder().encode("abc");
    expect(await blobId(data.buffer)).toBe(sha256Hex(data));
  });
});

describe("a delivery saved again after the phone died half-way", () => {
  it("records only what is missing, the attempt last, never the cash twice", () => {
    const photo = "a".repeat(64);
    const sign = "b".repeat(64);
    const args = { order: "O1", waybill: "W1", amount: 129_900, photo, sign, receivedBy: "Ana" };
    const types = (ops) => ops.map(([type, p]) => `${type.split("@")[0]}${p.amount ? `:${p.amount}` : ""}${p.kind ? `:${p.kind}` : ""}`);
    expect(types(deliveryOps(args, null))).toEqual(["cash.collected:129900", "proof.attached", "proof.attached:signature", "delivery.attempted"]);
    expect(deliveryOps(args, null).at(-1)).toEqual([DELIVERY_ATTEMPTED, { order: "O1", waybill: "W1", outcome: "delivered", received_by: "Ana" }]);
    const halfSaved = { cash: 129_900, proofs: [{ blob: photo, kind: "photo" }] };
    expect(types(deliveryOps(args, halfSaved))).toEqual(["proof.attached:signature", "delivery.attempted"]);
    expect(types(deliveryOps({ ...args, amount: 130_000 }, halfSaved))[0]).toBe("cash.collected:100"); // only the difference
  });
});

describe("what is in the parcel", () => {
  it("reads the stop's items as the server sends them, and older shapes", () => {
    expect(itemLines([["SKU-TSHIRT-M", "Cotton T-shirt, M", 2], ["SKU-MUG", "", 1]])).toEqual(["2 × Cotton T-shirt, M", "1 × SKU-MUG"]);
    expect(itemLines([["SKU-MUG", 3], { sku: "S1", name: "Soap", qty: 4 }, "1 box"])).toEqual(["3 × SKU-MUG", "4 × Soap", "1 box"]);
    expect(itemLines(undefined)).toEqual([]);
  });
});

describe("the cash in the rider's hands", () => {
  let seq = 0;
  const row = (type, payload, st) => ({ op: makeOp(`c${++seq}`, "d", seq, seq, "h", type, payload), rec: seq, st });
  const rows = [
    row(CASH_COLLECTED, { order: "O1", amount: 100_000 }, "applied"),
    row(CASH_COLLECTED, { order: "O2", amount: 50_000 }, "waiting"),
    row(REMITTANCE_HANDED_IN, { amount: 20_000, to: "cashier" }, "waiting"),
  ];

  it("is the server's balance plus what it has not confirmed yet", () => {
    const { cashInHand } = riderOps;
    expect(cashInHand(rows, 100_000)).toBe(130_000);
    expect(cashInHand(rows, 0)).toBe(30_000); // the server took a remittance from the console meanwhile
  });

  it("is the phone's own sum before the server has said anything", () => {
    expect(riderOps.cashInHand(rows, null)).toBe(130_000);
  });
});
