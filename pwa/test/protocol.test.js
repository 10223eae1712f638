// The accessors of sync/protocol.js against the golden messages in fixtures/protocol/ and against
// the field order sync/_protocol.py declares: if a position changed on one side, these fail.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  changedEntity,
  changeKey,
  changeKind,
  changeScope,
  changeValue,
  decodeOp,
  decodeResponse,
  makeChange,
  makeNote,
  makeOp,
  makeResult,
  noteCode,
  noteText,
  opDevice,
  opHlc,
  opId,
  opPayload,
  opRecordedAt,
  opRenumbered,
  opSeq,
  opType,
  resultNotes,
  resultSeq,
  resultStatus,
} from "../src/sync/protocol.js";
import { golden, goldenOps } from "./helpers.js";

const DEV = "0b7e3a52-5c1d-4f0e-9a57-2f4c8e1d6b90"; // tests/sync/golden_messages.py: DEV
const WALL = 1_767_258_000_000; // and WALL: op n was recorded at WALL + n s

// Each array-like wire type, its Python field names, and the accessor that reads each field.
const ACCESSORS = {
  Op: { id: opId, dev: opDevice, seq: opSeq, wall: opRecordedAt, hlc: opHlc, type: opType, payload: opPayload },
  Note: { code: noteCode, msg: noteText },
  OpResult: { seq: resultSeq, st: resultStatus, notes: resultNotes },
  Change: { scope: changeScope, kind: changeKind, key: changeKey, val: changeValue },
};

/** The field names of an array-like Struct in sync/_protocol.py, in declaration (= wire) order. */
function pythonFields(name) {
  const source = readFileSync(fileURLToPath(new URL("../../sync/_protocol.py", import.meta.url)), "utf8");
  const body = source.split(`\nclass ${name}(Struct, array_like=True`)[1].split("\nclass ")[0];
  return [...body.matchAll(/^ {4}(\w+): /gm)].map((m) => m[1]);
}

/** Every tuple of one kind found in the golden messages. */
function goldenTuples(kind) {
  const responses = ["push_response", "push_response_rejected", "sync_response", "pull_response_page", "pull_response_end"];
  const decoded = responses.map((name) => decodeResponse(golden(name).body));
  const results = decoded.flatMap((r) => r.res);
  if (kind === "Op") return [...goldenOps().map(([, { body }]) => body), ...golden("push_request").body.ops];
  if (kind === "OpResult") return results;
  if (kind === "Note") return results.flatMap((r) => r[2]);
  return decoded.flatMap((r) => r.ch);
}

describe("each accessor reads the position sync/_protocol.py gives its field", () => {
  for (const [kind, accessors] of Object.entries(ACCESSORS)) {
    it(kind, () => {
      const fields = pythonFields(kind);
      expect(fields).toEqual(Object.keys(accessors)); // a field added in Python needs an accessor here
      const tuples = goldenTuples(kind);
      expect(tuples.length).toBeGreaterThan(0);
      for (const tuple of tuples) {
        fields.forEach((field, i) => expect(accessors[field](tuple)).toEqual(tuple[i]));
      }
    });
  }
});

describe("the accessors read the golden messages", () => {
  it("ops: who recorded them, in what order, when, and what", () => {
    const ops = golden("push_request").body.ops.map(decodeOp);
    expect(ops.map(opSeq)).toEqual([1, 2, 3]);
    expect(ops.map(opType)).toEqual(["stock.received@v1", "stock.picked@v1", "cash.collected@v2"]);
    expect(new Set(ops.map(opDevice))).toEqual(new Set([DEV]));
    expect(ops.map(opRecordedAt)).toEqual([WALL + 1_000, WALL + 2_000, WALL + 3_000]);
    expect(opId(ops[1])).toBe("018f0002-7c2e-7a10-8b3d-5e6f7a8b9c0d");
    expect(opHlc(ops[0])).toBe("019b78c90e680000");
    expect(opPayload(ops[0])).toEqual({ wh: "VAL", bin: "RCV-01", sku: "SKU-TSHIRT-M", qty: 24 });
    for (const [type, { body }] of goldenOps()) expect(opType(decodeOp(body))).toBe(type);
  });

  it("results and their notes", () => {
    const { res } = decodeResponse(golden("push_response").body);
    expect(res.map(resultSeq)).toEqual([1, 2, 3]);
    expect(res.map(resultStatus)).toEqual(["applied", "duplicate", "flagged"]);
    const [note] = resultNotes(res[2]);
    expect(noteCode(note)).toBe("cash_for_cancelled_order");
    expect(noteText(note)).toContain("₱1,299.00");
    const rejected = decodeResponse(golden("push_response_rejected").body).res.find((r) => resultStatus(r) === "rejected");
    expect(resultSeq(rejected)).toBe(5);
    expect(resultNotes(rejected).map(noteCode)).toEqual(["invalid_payload"]);
  });

  it("changes, and a deletion", () => {
    const { ch } = decodeResponse(golden("pull_response_page").body);
    expect(changedEntity(ch[2])).toEqual({
      scope: "catalog",
      kind: "sku",
      key: "SKU-TSHIRT-M",
      val: { name: "Cotton T-shirt, M", barcodes: ["4800016644801"] },
    });
    expect([changeScope(ch[0]), changeKind(ch[0]), changeKey(ch[0]), changeValue(ch[0])]).toEqual(["wh:VAL", "bin", "A-03-2/SKU-TSHIRT-M", 22]);
    const end = decodeResponse(golden("pull_response_end").body).ch;
    expect(changeValue(end[0])).toBeNull();
  });
});

describe("the constructors build what the golden messages hold", () => {
  it("an op, and the same op under another device's sequence", () => {
    const [, { body }] = goldenOps().find(([type]) => type === "stock.received@v1");
    const op = makeOp(opId(body), opDevice(body), opSeq(body), opRecordedAt(body), opHlc(body), opType(body), opPayload(body));
    expect(JSON.stringify(op)).toBe(JSON.stringify(body));
    const moved = opRenumbered(op, "another-device", 12);
    expect([opDevice(moved), opSeq(moved)]).toEqual(["another-device", 12]);
    for (const read of [opId, opRecordedAt, opHlc, opType, opPayload]) expect(read(moved)).toEqual(read(op));
    expect(opSeq(op)).toBe(1); // the original is left alone
  });

  it("notes, results and changes", () => {
    const { res, ch } = decodeResponse(golden("push_response").body);
    const [note] = resultNotes(res[2]);
    expect(makeResult(3, "flagged", [makeNote(noteCode(note), noteText(note))])).toEqual(res[2]);
    expect(makeNote("set_aside")).toEqual(["set_aside", ""]);
    expect(makeResult(1, "applied")).toEqual(res[0]);
    expect(ch).toEqual([]);
    const page = golden("pull_response_page").body.ch;
    const { scope, kind, key, val } = changedEntity(page[1]);
    expect(makeChange(scope, kind, key, val)).toEqual(page[1]);
  });
});
