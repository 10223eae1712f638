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

export function ref(field, value, { optional = false } = {}) {
  const text = String(value ?? "").trim();
  if (!text && !optional) throw new OpInputError(field, `${field} is required`);
  if (text.length > ID_MAX) throw new OpInputError(field, `${field} is longer than ${ID_MAX} characters`);
  return text;
}

export function whole(field, value, min) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > QTY_MAX) {
    throw new OpInputError(field, `${field} must be a whole number from ${min} to ${QTY_MAX.toLocaleString("en")}`);
  }
  return n;
}

export const withOptional = (payload, optional) => {
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

/**
 * One SKU in one bin counted; `expected` is what the phone showed, `base` its cursor then.
 * A count of zero is only ever sent as the counter's explicit "empty" mark (`empty: true`): a line
 * nobody counted is not sent at all, so it can never zero a bin.
 */
export function stockCounted({ wh, bin, sku, counted, expected = 0, base = "", empty = false }) {
  if (counted === null || counted === undefined || counted === "") throw new OpInputError("counted", "counted is required: a line not counted is not sent");
  const n = whole("counted", counted, 0);
  if (n === 0 && !empty) throw new OpInputError("counted", "a count of 0 must be marked empty");
  if (empty && n !== 0) throw new OpInputError("empty", "an empty bin has a count of 0");
  return withOptional(
    { wh: ref("wh", wh), bin: ref("bin", bin), sku: ref("sku", sku), counted: n },
    { expected: Number.isInteger(expected) ? expected : 0, base: String(base ?? "").slice(0, ID_MAX), empty: empty || undefined },
  );
}

export const STOCK_PUT_AWAY = "stock.put_away@v1";
export const STOCK_PUT_BACK = "stock.put_back@v1";
export const RETURN_RECEIVED = "return.received@v1";

/** Units moved from one bin to another in the same warehouse (put-away or a move). */
export function stockPutAway({ wh, sku, qty, from, to }) {
  const payload = { wh: ref("wh", wh), sku: ref("sku", sku), qty: whole("qty", qty, 1), from_bin: ref("from_bin", from), to_bin: ref("to_bin", to) };
  if (payload.from_bin.toUpperCase() === payload.to_bin.toUpperCase()) throw new OpInputError("to_bin", "from and to are the same bin");
  return payload;
}

/**
 * Units from the warehouse's staging (where picks wait for packing) back onto shelf `bin`: a
 * cancelled order's picked units (`order` names it) or a wave's leftovers (no order).
 */
export function stockPutBack({ wh, sku, qty, bin, order = "" }) {
  return withOptional(
    { wh: ref("wh", wh), sku: ref("sku", sku), qty: whole("qty", qty, 1), bin: ref("bin", bin) },
    { order: ref("order", order, { optional: true }) },
  );
}

/** A returned item inspected: back to stock (`resellable`) or `damaged`; `order` if the parcel says. */
export function returnReceived({ wh, bin, sku, qty, order = "", condition }) {
  if (condition !== "resellable" && condition !== "damaged") throw new OpInputError("condition", "choose restock or damaged");
  return withOptional(
    { wh: ref("wh", wh), bin: ref("bin", bin), sku: ref("sku", sku), qty: whole("qty", qty, 1) },
    { order: ref("order", order, { optional: true }), condition: condition === "damaged" ? "damaged" : "" },
  );
}

/**
 * What the stock ops among `ops` did to one warehouse's bins: Map "bin\x1fsku" -> units (receipts
 * and returns put units in, put-aways move them from one bin to another, put-backs from staging). The screens add this to
 * the replica, so a count or a look-up offline sees the phone's own unsynced work.
 */
export function unitsReceived(ops, wh) {
  const units = new Map();
  const add = (bin, sku, qty) => {
    const key = `${bin}\x1f${sku}`;
    units.set(key, (units.get(key) ?? 0) + qty);
  };
  for (const op of ops) {
    const p = opPayload(op);
    if (p.wh !== wh) continue;
    const type = opType(op);
    if (type === STOCK_RECEIVED || type === RETURN_RECEIVED) add(p.bin, p.sku, p.qty);
    else if (type === STOCK_PUT_AWAY) {
      add(p.from_bin, p.sku, -p.qty);
      add(p.to_bin, p.sku, p.qty);
    } else if (type === STOCK_PUT_BACK) {
      add("", p.sku, -p.qty); // staging is bin ""
      add(p.bin, p.sku, p.qty);
    }
  }
  return units;
}

export const EXCEPTION_ACTED = "exception.acted@v1";

/** A supervisor settles an exception with one of the actions its entity lists (sync/_ops.py ExceptionActed). */
export function exceptionActed({ exception, action, note = "", params = {} }) {
  const p = { exception: ref("exception", exception), action: ref("action", action) };
  if (!/^[a-z_]{1,32}$/.test(p.action)) throw new OpInputError("action", "not an action name");
  const n = String(note ?? "").trim();
  if (n.length > 400) throw new OpInputError("note", "note is longer than 400 characters");
  if (n) p.note = n; // defaults stay off the wire, as the server's encoder leaves them
  if (params && Object.keys(params).length) p.params = params;
  return p;
}

export const COUNT_TASK_CREATED = "count_task.created@v1";
const UUID = /^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/i;

/** A supervisor asks for a bin, or SKUs wherever they lie, to be counted (sync/_ops.py
 * CountTaskCreated). `task` is the id the phone makes, so sending it twice opens one task. */
export function countTaskCreated({ task, wh, bin = "", skus = [], title = "" }) {
  const id = ref("task", task);
  if (!UUID.test(id)) throw new OpInputError("task", "task is not a UUID");
  const codes = [...new Set((skus ?? []).map((s) => ref("skus", s)))];
  if (codes.length > 200) throw new OpInputError("skus", "at most 200 SKUs");
  const t = String(title ?? "").trim();
  if (t.length > 120) throw new OpInputError("title", "title is longer than 120 characters");
  const p = { task: id, wh: ref("wh", wh) };
  const b = ref("bin", bin, { optional: true });
  if (!b && !codes.length) throw new OpInputError("bin", "name a bin, or SKUs to count wherever they are");
  return withOptional(p, { bin: b, skus: codes.length ? codes : "", title: t });
}
