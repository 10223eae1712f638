// The outbound screens' rules (src/flows/outbound.js) and op builders (src/sync/outbound.js):
// the pick walk and what it refuses, packing's missing/extra, handover's scan outcomes, and the
// orders cancelled while their goods were in the picker's hands.
import { describe, expect, it } from "vitest";
import {
  binOrder,
  byPriority,
  cancelledInFlight,
  checkBin,
  checkItem,
  describeOutbound,
  expectedParcels,
  findOrder,
  handoverScan,
  linesBySku,
  mergeOutbound,
  nextPick,
  orderLabel,
  outboundState,
  packCheck,
  packScan,
  pickStage,
  pickWalk,
  stateOf,
  putBacksLeft,
  unsyncedPicks,
  waveWalk,
  waybillFor,
} from "../src/flows/outbound.js";
import { OpInputError, STOCK_PUT_BACK, stockPutBack, unitsReceived } from "../src/sync/ops.js";
import {
  PARCEL_HANDED_OVER,
  PARCEL_PACKED,
  STOCK_PICKED,
  STOCK_SHORT_PICKED,
  STOCK_SHORT_PICKED_V1,
  parcelHandedOver,
  parcelPacked,
  stockPicked,
  stockShortPicked,
} from "../src/sync/outbound.js";
import { makeOp } from "../src/sync/protocol.js";
import { golden } from "./helpers.js";

const ORDER = "0193f1d2-0000-7000-8000-00000000a001";
const OTHER = "0193f1d2-0000-7000-8000-00000000a002";
const SKUS = { "4800016644801": "SKU-TSHIRT-M", "BDG-000001": "SKU-MUG-WHT", "4806512345679": "SKU-CABLE-USBC" };
const findSku = (code) => {
  const c = String(code).trim();
  const sku = SKUS[c] ?? (Object.values(SKUS).includes(c.toUpperCase()) ? c.toUpperCase() : null);
  return sku ? { code: sku, name: sku.toLowerCase() } : null;
};

let seq = 0;
const row = (type, payload, st = "waiting") => {
  seq += 1;
  return { seq, rec: 1_000 + seq, st, op: makeOp(`id-${seq}`, "dev", seq, 1_000 + seq, "0", type, payload) };
};
const picked = (sku, qty, bin = "A-01-01", order = ORDER, st = "waiting") => row(STOCK_PICKED, { wh: "VAL", bin, sku, qty, order }, st);

const STOCK = {
  "SKU-TSHIRT-M": [["A-10-01", 50], ["A-02-01", 1], ["", -3]],
  "SKU-MUG-WHT": [["B-01-01", 5]],
  "SKU-CABLE-USBC": [],
};
const holding = (sku) => STOCK[sku] ?? [];
const task = { id: ORDER, kind: "task", status: "allocated", lines: [["SKU-MUG-WHT", 1], ["SKU-TSHIRT-M", 2], ["SKU-MUG-WHT", 1]] };

describe("op builders", () => {
  it("build the catalogue's payloads, as the golden examples", () => {
    for (const [name, build] of [
      ["stock.picked@v1", stockPicked],
      ["stock.short_picked@v2", stockShortPicked],
      ["stock.put_back@v1", stockPutBack],
      ["parcel.packed@v1", parcelPacked],
      ["parcel.handed_over@v1", parcelHandedOver],
    ]) {
      const example = golden(`ops/${name}`).body;
      expect(build(example[6]), name).toEqual(example[6]);
    }
    expect([STOCK_PICKED, STOCK_SHORT_PICKED, PARCEL_PACKED, PARCEL_HANDED_OVER]).toEqual([
      "stock.picked@v1",
      "stock.short_picked@v2",
      "parcel.packed@v1",
      "parcel.handed_over@v1",
    ]);
  });

  it("refuse on the phone what the server would reject", () => {
    expect(() => stockPicked({ wh: "VAL", bin: "A", sku: "S", qty: 0, order: ORDER })).toThrow(OpInputError);
    expect(() => stockPicked({ wh: "VAL", bin: "", sku: "S", qty: 1, order: ORDER })).toThrow(/bin is required/);
    expect(() => stockShortPicked({ wh: "VAL", bin: "A", sku: "S", order: ORDER, wanted: 2, found: 2, reason: "damaged" })).toThrow(/full pick/);
    expect(() => stockShortPicked({ wh: "VAL", bin: "A", sku: "S", order: ORDER, wanted: 2, found: 0 })).toThrow(/reason/); // v2 always says why
    expect(() => stockPutBack({ wh: "VAL", sku: "S", qty: 0, bin: "A" })).toThrow(/qty/);
    expect(() => stockPutBack({ wh: "VAL", sku: "S", qty: 1, bin: "" })).toThrow(/bin is required/);
    expect(() => stockShortPicked({ wh: "VAL", bin: "A", sku: "S", order: ORDER, wanted: 2, found: 0, reason: "lazy" })).toThrow(/reason/);
    expect(() => parcelHandedOver({ wh: "VAL", order: ORDER, waybill: "W", to: "jnt", lines: [] })).toThrow(/lines/);
    expect(() => parcelHandedOver({ wh: "VAL", order: ORDER, waybill: "W", to: "jnt", lines: [["S", 0]] })).toThrow(/lines\[0\]\.qty/);
  });

  it("leave an unknown waybill out of a pack, for the server to issue", () => {
    expect(parcelPacked({ wh: "VAL", order: ORDER, waybill: "" })).toEqual({ wh: "VAL", order: ORDER });
    expect(parcelPacked({ wh: "VAL", order: ORDER, waybill: "JT0001" }).waybill).toBe("JT0001");
  });

  it("carry the carrier chosen at packing, checked as the server checks it", () => {
    expect(parcelPacked({ wh: "VAL", order: ORDER, waybill: ORDER, courier: "jnt" }).courier).toBe("jnt");
    expect(parcelPacked({ wh: "VAL", order: ORDER, waybill: ORDER, courier: "" }).courier).toBe(""); // own riders, said
    expect("courier" in parcelPacked({ wh: "VAL", order: ORDER, waybill: ORDER })).toBe(false); // the wave's or shop's, as the server decides
    expect(() => parcelPacked({ wh: "VAL", order: ORDER, waybill: ORDER, courier: "J&T" })).toThrow(/courier/);
    expect(() => parcelPacked({ wh: "VAL", order: ORDER, waybill: ORDER, parcels: 51 })).toThrow(/parcels/);
  });

  it("carry what was scanned into the box, for the server to check again", () => {
    expect(parcelPacked({ wh: "VAL", order: ORDER, waybill: ORDER, lines: [["SKU-MUG-WHT", 2]] }).lines).toEqual([["SKU-MUG-WHT", 2]]);
    expect(() => parcelPacked({ wh: "VAL", order: ORDER, waybill: ORDER, lines: [["SKU-MUG-WHT", 0]] })).toThrow(/lines\[0\]\.qty/);
  });

  it("are said in the warehouse's words on the problems list", () => {
    expect(describeOutbound(STOCK_SHORT_PICKED, { wh: "VAL", bin: "A-01-01", sku: "S", order: ORDER, wanted: 3, found: 1, reason: "damaged" })).toBe("Kulang: 1 sa 3 × S sa A-01-01 (order #00A001) · Sira ang item");
    expect(describeOutbound(STOCK_SHORT_PICKED_V1, { wh: "VAL", bin: "A-01-01", sku: "S", order: ORDER, wanted: 3, found: 1 })).toBe("Kulang: 1 sa 3 × S sa A-01-01 (order #00A001)");
    expect(describeOutbound(STOCK_PUT_BACK, { wh: "VAL", sku: "S", qty: 2, bin: "A-01-01", order: ORDER })).toBe("Ibinalik: 2 × S sa A-01-01 (order #00A001)");
    expect(describeOutbound(PARCEL_HANDED_OVER, { order: ORDER, waybill: "JT1", to: "jnt" })).toBe("Naibigay kay jnt: order #00A001 · waybill JT1");
    expect(describeOutbound(PARCEL_PACKED, { wh: "VAL", order: ORDER })).toBe("Na-pack: order #00A001"); // waybill still to be issued
    expect(describeOutbound("stock.received@v1", {})).toBe(null);
  });

  it("carry the short pick's reason and the pack's weight and parcels, defaults left out", () => {
    expect(stockShortPicked({ wh: "VAL", bin: "A", sku: "S", order: ORDER, wanted: 2, found: 0, reason: "empty_bin" }).reason).toBe("empty_bin");
    expect(parcelPacked({ wh: "VAL", order: ORDER, waybill: "W", weight_g: 450, parcels: 2 })).toEqual({ wh: "VAL", order: ORDER, waybill: "W", weight_g: 450, parcels: 2 });
    expect(parcelPacked({ wh: "VAL", order: ORDER, waybill: "W", weight_g: 450, parcels: 1 })).toEqual({ wh: "VAL", order: ORDER, waybill: "W", weight_g: 450 });
  });
});

describe("short picks recorded before v2 and put-backs", () => {
  it("read a v1 short pick still in the outbox as a short pick, with no reason", () => {
    const state = outboundState([row(STOCK_SHORT_PICKED_V1, { wh: "VAL", bin: "A-01-01", sku: "S", order: ORDER, wanted: 2, found: 0 })]);
    expect(state.get(ORDER).short.get("S")).toEqual({ bin: "A-01-01", wanted: 2, found: 0, reason: "" });
  });
  it("count a put-back out of staging and into its bin, for the screens' view of the bins", () => {
    const op = makeOp("pb", "dev", 1, 0, "0", STOCK_PUT_BACK, stockPutBack({ wh: "VAL", sku: "S", qty: 2, bin: "A-01-01" }));
    expect([...unitsReceived([op], "VAL")]).toEqual([["\x1fS", -2], ["A-01-01\x1fS", 2]]);
  });
});

describe("the pick walk", () => {
  it("names an order by the channel's number, else by the random end of its id", () => {
    expect(orderLabel({ id: ORDER, ref: "SHP-240001" })).toBe("SHP-240001");
    expect(orderLabel({ id: ORDER })).toBe("#00A001");
    expect(orderLabel(null, OTHER)).toBe("#00A002");
  });

  it("sums lines by SKU and walks the bins in label order (A-2 before A-10)", () => {
    expect(linesBySku(task.lines)).toEqual([["SKU-MUG-WHT", 2], ["SKU-TSHIRT-M", 2]]);
    expect(["A-10-01", "B-01-01", "A-02-01"].sort(binOrder)).toEqual(["A-02-01", "A-10-01", "B-01-01"]);
    const walk = pickWalk(task, stateOf(new Map(), ORDER), holding);
    // T-shirt: A-02-01 holds only 1 of 2, so the first bin holding all of it; never staging ("").
    expect(walk.map((l) => [l.sku, l.bin, l.left])).toEqual([["SKU-TSHIRT-M", "A-10-01", 2], ["SKU-MUG-WHT", "B-01-01", 2]]);
    expect(walk[0].others).toEqual(["A-02-01"]);
    expect(nextPick(walk).sku).toBe("SKU-TSHIRT-M");
  });

  it("moves on as picks are recorded, and a short pick sends the retry to another bin", () => {
    let state = outboundState([picked("SKU-TSHIRT-M", 2, "A-10-01")]);
    let walk = pickWalk(task, stateOf(state, ORDER), holding);
    expect(walk.find((l) => l.sku === "SKU-TSHIRT-M").done).toBe(true);
    expect(nextPick(walk).sku).toBe("SKU-MUG-WHT");
    expect(pickStage(task, stateOf(state, ORDER))).toBe("picking");

    state = outboundState([picked("SKU-TSHIRT-M", 2, "A-10-01"), row(STOCK_SHORT_PICKED, { wh: "VAL", bin: "B-01-01", sku: "SKU-MUG-WHT", order: ORDER, wanted: 2, found: 1 })]);
    walk = pickWalk(task, stateOf(state, ORDER), holding);
    expect(nextPick(walk)).toBe(null); // nothing left to walk: the mug is short
    expect(pickStage(task, stateOf(state, ORDER))).toBe("short");
    const mug = walk.find((l) => l.sku === "SKU-MUG-WHT");
    expect([mug.got, mug.left, mug.short.bin]).toEqual([1, 1, "B-01-01"]);
    const retried = pickWalk(task, stateOf(state, ORDER), (sku) => (sku === "SKU-MUG-WHT" ? [["B-01-01", 5], ["C-01-01", 3]] : holding(sku)), new Map(), ["SKU-MUG-WHT"]);
    expect(nextPick(retried)).toMatchObject({ sku: "SKU-MUG-WHT", bin: "C-01-01", left: 1, short: null });

    state = outboundState([...[picked("SKU-TSHIRT-M", 2, "A-10-01")], picked("SKU-MUG-WHT", 2, "B-01-01")]);
    expect(pickStage(task, stateOf(state, ORDER))).toBe("picked");
  });

  it("takes the phone's own unsynced picks off the replica's bins", () => {
    const state = outboundState([picked("SKU-TSHIRT-M", 49, "A-10-01", OTHER)]);
    expect(unsyncedPicks(state).get("A-10-01\x1fSKU-TSHIRT-M")).toBe(49);
    const walk = pickWalk(task, stateOf(state, ORDER), holding, unsyncedPicks(state));
    expect(walk.find((l) => l.sku === "SKU-TSHIRT-M").bin).toBe("A-02-01"); // 1 left in A-10-01: no bin holds 2, the first of the fullest
    const synced = outboundState([picked("SKU-TSHIRT-M", 49, "A-10-01", OTHER, "applied")]);
    expect(unsyncedPicks(synced).size).toBe(0);
  });

  it("follows the server's plan when the task carries one", () => {
    const planned = { ...task, picks: [["SKU-TSHIRT-M", "A-02-01", 1]] };
    expect(pickWalk(planned, stateOf(new Map(), ORDER), holding)[0]).toMatchObject({ sku: "SKU-TSHIRT-M", bin: "A-02-01" });
  });

  it("refuses a wrong bin and a wrong item, and says which", () => {
    const line = pickWalk(task, stateOf(new Map(), ORDER), holding)[0]; // T-shirt in A-10-01
    expect(checkBin(line, " a-10-01 ", findSku)).toEqual({ ok: "A-10-01" });
    expect(checkBin(line, "B-01-01", findSku)).toEqual({ refuse: "wrong_bin", bin: "B-01-01" });
    expect(checkBin(line, "A-02-01", findSku)).toEqual({ refuse: "other_bin", bin: "A-02-01" });
    expect(checkBin(line, "4800016644801", findSku)).toEqual({ refuse: "item_not_bin" });
    expect(checkItem(line, "4800016644801", findSku)).toEqual({ ok: { code: "SKU-TSHIRT-M", name: "sku-tshirt-m" } });
    expect(checkItem(line, "BDG-000001", findSku)).toMatchObject({ refuse: "wrong_item", sku: { code: "SKU-MUG-WHT" } });
    expect(checkItem(line, "999", findSku)).toEqual({ refuse: "unknown", code: "999" });
    const nowhere = pickWalk({ lines: [["SKU-CABLE-USBC", 1]] }, stateOf(new Map(), ORDER), holding)[0];
    expect(nowhere.bin).toBe(null);
    expect(checkBin(nowhere, "z-09-09", findSku)).toEqual({ ok: "Z-09-09" }); // no plan: the bin where it was found
  });

  it("orders the work by wave, then priority, then ship-by", () => {
    const t = (id, extra) => ({ id, lines: [], ...extra });
    const sorted = [t("a", { priority: 1 }), t("b", { priority: 9 }), t("c", { wave: "W2", priority: 99 }), t("d", { priority: 1, ship_by: "2026-12-01" })].sort(byPriority);
    expect(sorted.map((x) => x.id)).toEqual(["b", "d", "a", "c"]);
  });
});

describe("packing", () => {
  it("shows missing and extra, and is complete only when both are empty", () => {
    let scanned = {};
    expect(packCheck(task.lines, scanned)).toMatchObject({ missing: [["SKU-MUG-WHT", 2], ["SKU-TSHIRT-M", 2]], extra: [], complete: false });
    for (const sku of ["SKU-MUG-WHT", "SKU-TSHIRT-M", "SKU-MUG-WHT"]) ({ scanned } = packScan(task.lines, scanned, sku));
    expect(packCheck(task.lines, scanned)).toMatchObject({ missing: [["SKU-TSHIRT-M", 1]], complete: false });
    const more = packScan(task.lines, scanned, "SKU-MUG-WHT");
    expect([more.extra, more.foreign]).toEqual([true, false]);
    const foreign = packScan(task.lines, scanned, "SKU-CABLE-USBC");
    expect([foreign.extra, foreign.foreign]).toEqual([true, true]);
    expect(packCheck(task.lines, foreign.scanned).extra).toEqual([["SKU-CABLE-USBC", 1]]);
    ({ scanned } = packScan(task.lines, scanned, "SKU-TSHIRT-M"));
    expect(packCheck(task.lines, scanned)).toMatchObject({ missing: [], extra: [], complete: true });
    expect(packCheck([], {}).complete).toBe(false);
  });

  it("finds an order by id, channel number, tote or waybill", () => {
    const tasks = [{ ...task, ref: "SHP-240001", tote: "T-07" }, { id: OTHER, kind: "task", waybill: "JT0001" }];
    expect(findOrder(tasks, ORDER.toUpperCase()).id).toBe(ORDER);
    expect(findOrder(tasks, "shp-240001").id).toBe(ORDER);
    expect(findOrder(tasks, "T-07").id).toBe(ORDER);
    expect(findOrder(tasks, "JT0001").id).toBe(OTHER);
    expect(findOrder(tasks, "nope")).toBe(null);
    expect(waybillFor(tasks[1])).toBe("JT0001");
    expect(waybillFor(tasks[0])).toBe(""); // no waybill yet: the server gives one when the pack arrives
  });
});

describe("handover", () => {
  const packedTask = { id: ORDER, kind: "task", status: "packed", lines: [["SKU-MUG-WHT", 1]], waybill: "JT0001" };
  const picking = { id: OTHER, kind: "task", status: "picking", lines: [["SKU-MUG-WHT", 1]] };

  it("takes a packed parcel once and refuses twice, not packed, cancelled and unknown", () => {
    const tasks = [packedTask, picking];
    const state = new Map();
    expect(handoverScan(tasks, state, [], "JT0001")).toEqual({ ok: true, id: ORDER });
    expect(handoverScan(tasks, state, [ORDER], "JT0001")).toEqual({ refuse: "twice", id: ORDER });
    expect(handoverScan(tasks, state, [], OTHER)).toEqual({ refuse: "not_packed", id: OTHER });
    expect(handoverScan([{ ...packedTask, status: "cancelled" }], state, [], "JT0001")).toEqual({ refuse: "cancelled", id: ORDER });
    expect(handoverScan(tasks, state, [], "XX-1")).toEqual({ refuse: "unknown" });
    // Packed on this phone, not yet synced: the phone's own pack counts.
    const packedHere = outboundState([row(PARCEL_PACKED, { wh: "VAL", order: OTHER, waybill: OTHER })]);
    expect(handoverScan(tasks, packedHere, [], OTHER)).toEqual({ ok: true, id: OTHER });
    expect(expectedParcels(tasks, packedHere).map((t) => t.id)).toEqual([ORDER, OTHER]);
  });

  it("catches a parcel already handed over in another batch, even after its task is gone", () => {
    const state = outboundState([row(PARCEL_HANDED_OVER, { wh: "VAL", order: ORDER, waybill: "JT0001", to: "jnt", lines: [["SKU-MUG-WHT", 1]] })]);
    expect(handoverScan([packedTask], state, [], "JT0001")).toEqual({ refuse: "other_batch", id: ORDER });
    expect(handoverScan([], state, [], "jt0001")).toEqual({ refuse: "other_batch", id: ORDER });
    expect(expectedParcels([packedTask], state)).toEqual([]);
  });

  it("says cancelled, not unknown, for a parcel this phone packed whose order was cancelled since", () => {
    const state = outboundState([picked("SKU-MUG-WHT", 1, "B-01-01"), row(PARCEL_PACKED, { wh: "VAL", order: ORDER, waybill: "JT0009" })]);
    expect(handoverScan([], state, [], "JT0009", cancelledInFlight([], state).map((c) => c.id))).toEqual({ refuse: "cancelled", id: ORDER });
    expect(handoverScan([], state, [], "JT0009")).toEqual({ refuse: "unknown" });
  });

  it("expects only the chosen carrier's parcels when the phone knows whose they are", () => {
    const tasks = [{ ...packedTask, courier: "jnt", parcel: "packed" }, { ...packedTask, id: OTHER, courier: "", parcel: "packed" }];
    expect(expectedParcels(tasks, new Map(), "jnt").map((t) => t.id)).toEqual([ORDER]);
    expect(expectedParcels(tasks, new Map(), "val.rider1", true).map((t) => t.id)).toEqual([OTHER]); // own riders: courier ""
    expect(expectedParcels(tasks, new Map(), "").length).toBe(2);
    // Packed on this phone for Flash, the server not told yet: only Flash's batch expects it.
    const unknown = [{ id: OTHER, kind: "task", status: "picking", lines: [["SKU-MUG-WHT", 1]] }];
    const mine = outboundState([row(PARCEL_PACKED, { wh: "VAL", order: OTHER, waybill: OTHER, courier: "flash" })]);
    expect(expectedParcels(unknown, mine, "flash").length).toBe(1);
    expect(expectedParcels(unknown, mine, "jnt").length).toBe(0);
    // Nobody said whose: expected in any batch.
    expect(expectedParcels([{ ...packedTask }], new Map(), "jnt").length).toBe(1);
  });
});

describe("cancelled mid-flow", () => {
  const rows = [picked("SKU-TSHIRT-M", 2, "A-10-01"), picked("SKU-MUG-WHT", 1, "B-01-01")];

  it("an order whose task went away while its goods were picked: put them back where they came from", () => {
    const state = outboundState(rows);
    expect(cancelledInFlight([task], state)).toEqual([]); // still a task: nothing to say
    const gone = cancelledInFlight([], state);
    expect(gone).toEqual([
      { id: ORDER, task: null, server: false, putBack: [{ sku: "SKU-TSHIRT-M", qty: 2, bin: "A-10-01", mine: 2 }, { sku: "SKU-MUG-WHT", qty: 1, bin: "B-01-01", mine: 1 }] },
    ]);
    expect(cancelledInFlight([{ ...task, status: "cancelled" }], state)[0].task.status).toBe("cancelled");
    expect(cancelledInFlight([], state, [ORDER])).toEqual([]); // the picker put them back
  });

  it("follows the server's put-back task when there is one", () => {
    const back = { id: "pb-1", kind: "put_back", order: ORDER, lines: [["SKU-TSHIRT-M", 2, "A-02-01"], ["SKU-MUG-WHT", 1]], bin: "RET-01" };
    const [c] = cancelledInFlight([task, back], outboundState(rows));
    expect(c.server).toBe(true);
    expect(c.putBack).toEqual([{ sku: "SKU-TSHIRT-M", qty: 2, bin: "A-02-01", mine: 2 }, { sku: "SKU-MUG-WHT", qty: 1, bin: "RET-01", mine: 1 }]);
  });

  it("says which units of a server's put-back this phone never picked", () => {
    const back = { id: ORDER, kind: "put_back", status: "cancelled", lines: [["SKU-TSHIRT-M", 2], ["SKU-MUG-WHT", 1]] };
    const [c] = cancelledInFlight([back], outboundState([picked("SKU-TSHIRT-M", 2, "A-10-01")]));
    expect(c.putBack).toEqual([{ sku: "SKU-TSHIRT-M", qty: 2, bin: "A-10-01", mine: 2 }, { sku: "SKU-MUG-WHT", qty: 1, bin: "", mine: 0 }]);
  });

  it("never for an order handed over, or one this phone did not touch", () => {
    const handed = outboundState([...rows, row(PARCEL_HANDED_OVER, { wh: "VAL", order: ORDER, waybill: ORDER, to: "jnt", lines: [["SKU-MUG-WHT", 1]] })]);
    expect(cancelledInFlight([], handed)).toEqual([]);
    expect(cancelledInFlight([], outboundState([row(PARCEL_PACKED, { wh: "VAL", order: OTHER, waybill: OTHER })]))).toEqual([]);
  });
});

describe("what the server sends, put together", () => {
  // The shapes of server/picking/waves.py (wave) and server/shipping (parcel, put_back).
  const wave = {
    kind: "wave",
    id: "w-1",
    code: "W-0001",
    status: "open",
    picker: "val.receiver",
    ship_by: "2026-12-05T07:00:00+00:00",
    orders: [[ORDER, "T-01", "2026-12-05T07:00:00+00:00", 80], [OTHER, "T-02", null, 20]],
    picks: [["A-01-01", "SKU-TSHIRT-M", 1, ORDER, "T-01"], ["A-02-01", "SKU-TSHIRT-M", 1, ORDER, "T-01"], ["B-01-01", "SKU-MUG-WHT", 1, OTHER, "T-02"], ["", "SKU-MUG-WHT", 1, ORDER, "T-01"]],
  };
  const entities = [
    { kind: "task", id: ORDER, status: "picking", lines: [["SKU-TSHIRT-M", 2], ["SKU-MUG-WHT", 1]] },
    { kind: "task", id: OTHER, status: "packed", lines: [["SKU-MUG-WHT", 1]] },
    wave,
    { kind: "parcel", id: OTHER, waybill: "BDG-000042", courier: "", status: "packed" },
    { kind: "parcel", id: "gone-1", waybill: "BDG-000041", courier: "", status: "shipped", batch: "b-9" },
    { kind: "put_back", id: "cx-1", status: "cancelled", lines: [["SKU-MUG-WHT", 1]], waybill: "BDG-000040" },
  ];

  it("gives each task its wave, tote, priority and planned bins, and its parcel's waybill", () => {
    const { tasks, waves } = mergeOutbound(entities);
    expect(waves).toEqual([{ id: "w-1", code: "W-0001", picker: "val.receiver", ship_by: wave.ship_by, status: "open", orders: [ORDER, OTHER] }]);
    const t = tasks.find((x) => x.id === ORDER);
    expect([t.wave, t.tote, t.priority, t.picks]).toEqual(["W-0001", "T-01", 80, [["SKU-TSHIRT-M", "A-01-01", 1], ["SKU-TSHIRT-M", "A-02-01", 1]]]);
    expect(tasks.find((x) => x.id === OTHER)).toMatchObject({ waybill: "BDG-000042", courier: "", parcel: "packed", status: "packed" });
    expect(tasks.find((x) => x.id === "gone-1")).toMatchObject({ kind: "parcel", batch: "b-9" });
    expect(tasks.find((x) => x.id === "cx-1")).toMatchObject({ kind: "put_back", status: "cancelled", waybill: "BDG-000040" });
  });

  it("gives each order the courier its wave sends (the wave's pickup, else the shop's); once packed, the parcel's", () => {
    const withCourier = [
      { kind: "task", id: ORDER, status: "picking", lines: [["SKU-TSHIRT-M", 1]] },
      { kind: "task", id: OTHER, status: "packed", lines: [["SKU-MUG-WHT", 1]] },
      { ...wave, orders: [[ORDER, "T-01", null, 80, "", "jnt"], [OTHER, "T-02", null, 20, "", "jnt"], ["not-waved", "T-03", null, 1]] },
      { kind: "parcel", id: OTHER, waybill: "BDG-000042", courier: "", status: "packed" }, // the packer chose our riders
      { kind: "task", id: "not-waved", status: "allocated", lines: [["SKU-MUG-WHT", 1]] },
    ];
    const { tasks } = mergeOutbound(withCourier);
    expect(tasks.find((t) => t.id === ORDER).courier).toBe("jnt");
    expect(tasks.find((t) => t.id === OTHER).courier).toBe("");
    expect("courier" in tasks.find((t) => t.id === "not-waved")).toBe(false); // unknown: the server decides
  });

  it("names an order by the channel's number the server sends (task `ext`, or the wave's 5th item)", () => {
    const withExt = [
      { kind: "task", id: ORDER, status: "picking", lines: [["SKU-TSHIRT-M", 1]], ext: "2612010AAAA01" },
      { kind: "task", id: OTHER, status: "allocated", lines: [["SKU-MUG-WHT", 1]] },
      { ...wave, orders: [[ORDER, "T-01", null, 80, "2612010AAAA01"], [OTHER, "T-02", null, 20, "576461413038785752"]] },
    ];
    const { tasks } = mergeOutbound(withExt);
    expect(tasks.map((t) => orderLabel(t))).toEqual(["2612010AAAA01", "576461413038785752"]);
    expect(findOrder(tasks, "576461413038785752")?.id).toBe(OTHER); // scanning the slip's number finds it
    // An older wave entity (4 items) still reads; the label falls back to the end of the id.
    expect(orderLabel(mergeOutbound(entities).tasks.find((t) => t.id === OTHER))).toMatch(/^#/);
  });

  it("walks a wave's plan across its orders, with the tote each unit goes in", () => {
    const { tasks } = mergeOutbound(entities);
    const picking = tasks.filter((t) => t.kind === "task" && t.status !== "packed");
    const walk = waveWalk(picking, (id) => stateOf(new Map(), id), holding);
    // The plan splits the T-shirts over two bins; the mug the wave could not place goes where the replica has it.
    expect(walk.map((l) => [l.bin, l.sku, l.need, l.tote])).toEqual([
      ["A-01-01", "SKU-TSHIRT-M", 1, "T-01"],
      ["A-02-01", "SKU-TSHIRT-M", 1, "T-01"],
      ["B-01-01", "SKU-MUG-WHT", 1, "T-01"],
    ]);
    const after = outboundState([picked("SKU-TSHIRT-M", 1, "A-01-01")]);
    const next = nextPick(waveWalk(picking, (id) => stateOf(after, id), holding));
    expect([next.bin, next.order]).toEqual(["A-02-01", ORDER]);
  });

  it("lets handover recognise parcels by their waybill, and refuse those gone or cancelled", () => {
    const { tasks } = mergeOutbound(entities);
    const state = new Map();
    expect(handoverScan(tasks, state, [], "BDG-000042")).toEqual({ ok: true, id: OTHER });
    expect(handoverScan(tasks, state, [], "BDG-000041")).toEqual({ refuse: "other_batch", id: "gone-1" });
    expect(handoverScan(tasks, state, [], "BDG-000040")).toEqual({ refuse: "cancelled", id: "cx-1" });
    expect(expectedParcels(tasks, state, "val.rider1", true).map((t) => t.id)).toEqual([OTHER]);
    const inServerBatch = mergeOutbound([...entities.slice(0, 3), { kind: "parcel", id: OTHER, waybill: "BDG-000042", courier: "", status: "packed", batch: "b-1" }]);
    expect(handoverScan(inServerBatch.tasks, state, [], "BDG-000042")).toEqual({ refuse: "other_batch", id: OTHER });
  });

  it("turns a put-back for an order this phone picked into the cancelled notice", () => {
    const rows = [picked("SKU-MUG-WHT", 1, "B-01-01", "cx-1")];
    const { tasks } = mergeOutbound(entities);
    const [c] = cancelledInFlight(tasks, outboundState(rows));
    expect(c).toMatchObject({ id: "cx-1", server: true, putBack: [{ sku: "SKU-MUG-WHT", qty: 1, bin: "B-01-01", mine: 1 }] });
    expect(c.task.waybill).toBe("BDG-000040");
  });
});

describe("the put-back screen", () => {
  it("shows what each cancelled order still waits for, less this phone's unsynced put-backs", () => {
    const tasks = [
      { kind: "put_back", id: ORDER, lines: [["SKU-MUG-WHT", 2], ["SKU-TSHIRT-M", 1]] },
      { kind: "put_back", id: OTHER, lines: [["SKU-MUG-WHT", 1]] },
      { kind: "task", id: "live", lines: [["SKU-MUG-WHT", 5]] },
    ];
    const waiting = [
      { order: ORDER, sku: "SKU-MUG-WHT", qty: 2 },
      { order: OTHER, sku: "SKU-MUG-WHT", qty: 1 },
      { order: "", sku: "SKU-TSHIRT-M", qty: 4 }, // a leftover: no order's
    ];
    const left = putBacksLeft(tasks, waiting);
    expect(left.map((o) => [o.order, [...o.left]])).toEqual([[ORDER, [["SKU-TSHIRT-M", 1]]]]);
  });
});
