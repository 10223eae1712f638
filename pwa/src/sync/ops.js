// The op payloads this app records (sync/_ops.py is the catalogue). Builders check what the server
// would reject, so a typing slip is caught on the phone, and leave defaults off the wire as the
// server's encoder does ("ref": "" and "expected": 0 are never sent).
import { opPayload, opType } from "./protocol.js";


const ID_MAX = 64;
const QTY_MAX = 1_000_000;

export class OpInputError extends Error {
  constructor(field, message) {
    super(message);
    this.field = field;
  }
}

function ref(field, value, { optional = false } = {}) {
  const text = String(value ?? "").trim();
  if (!text && !optional) throw new OpInputError(field, `${field} is required`);
  if (text.length > ID_MAX) throw new OpInputError(field, `${field} is longer than ${ID_MAX} characters`);
  return text;
}

function whole(field, value, min) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > QTY_MAX) {
    throw new OpInputError(field, `${field} must be a whole number from ${min} to ${QTY_MAX.toLocaleString("en")}`);
  }
  return n;
}

const withOptional = (payload, optional) => {
  for (const [k, v] of Object.entries(optional)) if (v !== "" && v !== 0 && v !== undefined) payload[k] = v;
  return payload;
};

export const STOCK_RECEIVED = "stock.received@v1";
export const STOCK_COUNTED = "stock.counted@v1";

/** Goods put down in a (receiving) bin; `ref` is the delivery receipt or PO, if any. */
export function stockReceived({ wh, bin, sku, qty, ref: inbound = "" }) {
  return withOptional(
    { wh: ref("wh", wh), bin: ref("bin", bin), sku: ref("sku", sku), qty: whole("qty", qty, 1) },
    { ref: ref("ref", inbound, { optional: true }) },
  );
}

/** One SKU in one bin counted; `expected` is what the phone showed, `base` its cursor then. */
export function stockCounted({ wh, bin, sku, counted, expected = 0, base = "" }) {
  return withOptional(
    { wh: ref("wh", wh), bin: ref("bin", bin), sku: ref("sku", sku), counted: whole("counted", counted, 0) },
    { expected: Number.isInteger(expected) ? expected : 0, base: String(base ?? "").slice(0, ID_MAX) },
  );
}

/** What the receipts among `ops` put into one warehouse's bins: Map "bin\x1fsku" -> units. */
export function unitsReceived(ops, wh) {
  const units = new Map();
  for (const op of ops) {
    const p = opPayload(op);
    if (opType(op) !== STOCK_RECEIVED || p.wh !== wh) continue;
    const key = `${p.bin}\x1f${p.sku}`;
    units.set(key, (units.get(key) ?? 0) + p.qty);
  }
  return units;
}
