// The rider's facts (sync/_ops.py is the catalogue; PROTOCOL.md R9–R12 judges them) and what a day
// of them adds up to on this phone. Builders check what the server would reject, so a slip is caught
// at the door and not hours later.
import { OpInputError } from "./ops.js";
import { opPayload, opType } from "./protocol.js";

export const DELIVERY_ATTEMPTED = "delivery.attempted@v2";
// The release before v2 wrote the recipient and the reschedule day into the note. This phone may
// still hold such ops from before it updated: they are read (the day adds up) and purged like v2.
export const DELIVERY_ATTEMPTED_V1 = "delivery.attempted@v1";
export const ATTEMPTS = [DELIVERY_ATTEMPTED, DELIVERY_ATTEMPTED_V1];
export const CASH_COLLECTED = "cash.collected@v2";
export const PROOF_ATTACHED = "proof.attached@v1";
export const REMITTANCE_HANDED_IN = "remittance.handed_in@v1";
export const RIDER_OPS = [...ATTEMPTS, CASH_COLLECTED, PROOF_ATTACHED, REMITTANCE_HANDED_IN];
/** The longest recipient's name the server takes (delivery.attempted@v2's received_by). */
export const NAME_MAX = 80;

/** R9's reason codes, in the words a rider uses; `rescheduled` asks for a date. */
export const REASONS = [
  ["not_home", "Walang tao sa bahay"],
  ["unreachable", "Hindi ma-contact (tawag/text)"],
  ["rescheduled", "Pinababalik sa ibang araw"],
  ["refused", "Ayaw tanggapin"],
  ["refused_after_inspection", "Tinanggihan matapos tingnan"],
  ["wrong_address", "Mali ang address"],
  ["unsafe_area", "Delikado ang lugar"],
  ["other", "Iba pa"],
];
const REASON_CODES = new Set(REASONS.map(([code]) => code));
export const reasonLabel = (code) => REASONS.find(([c]) => c === code)?.[1] ?? code;

const MONEY_MAX = 100_000_000_000;
const text = (field, value, max, { optional = false } = {}) => {
  const t = String(value ?? "").trim();
  if (!t && !optional) throw new OpInputError(field, `${field} is required`);
  if (t.length > max) throw new OpInputError(field, `${field} is longer than ${max} characters`);
  return t;
};
const centavos = (field, value, min) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > MONEY_MAX) throw new OpInputError(field, `${field} must be whole centavos, at least ${min}`);
  return n;
};

/** Today in Asia/Manila as YYYY-MM-DD (no daylight saving there), `days` later if asked. */
export function manilaDate(ms = Date.now(), days = 0) {
  return new Date(ms + 8 * 3_600_000 + days * 86_400_000).toISOString().slice(0, 10);
}

const isDay = (d) => /^\d{4}-\d{2}-\d{2}$/.test(d) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d);

/**
 * R9. A stop without a waybill (a run built before waybills were printed) is keyed by its order.
 * `receivedBy`: who took a delivered parcel; `rescheduleOn`: the Manila day to try a failed one
 * again, not before `today` (the day it is recorded: the server takes it as sent, even if it syncs
 * after that day has passed).
 */
export function deliveryAttempted({ order, waybill, outcome, reason = "", note = "", receivedBy = "", rescheduleOn = "", today = manilaDate() }) {
  const p = { order: text("order", order, 64), waybill: text("waybill", waybill || order, 64), outcome };
  const who = text("received_by", receivedBy, NAME_MAX, { optional: true });
  if (outcome === "failed") {
    if (!REASON_CODES.has(reason)) throw new OpInputError("reason", "pick a reason");
    if (who) throw new OpInputError("received_by", "a failed attempt has no recipient");
    p.reason = reason;
  } else if (outcome !== "delivered") throw new OpInputError("outcome", "delivered or failed");
  else if (rescheduleOn) throw new OpInputError("reschedule_on", "a delivered parcel is not rescheduled");
  const n = text("note", note, 500, { optional: true });
  if (n) p.note = n;
  if (who) p.received_by = who;
  if (rescheduleOn) {
    if (!isDay(rescheduleOn)) throw new OpInputError("reschedule_on", "a date, YYYY-MM-DD");
    if (rescheduleOn < today) throw new OpInputError("reschedule_on", `today (${today}) or later`);
    p.reschedule_on = rescheduleOn;
  }
  return p;
}

/** R10: the pesos in the rider's hand for this order (centavos, more than zero). */
export const cashCollected = ({ order, amount }) => ({ order: text("order", order, 64), amount: centavos("amount", amount, 1) });

/** R11: a photo or signature, by the SHA-256 of the bytes uploaded separately. */
export function proofAttached({ order, blob, kind = "photo", waybill = "" }) {
  if (!/^[0-9a-f]{64}$/.test(blob)) throw new OpInputError("blob", "not a SHA-256 in lower-case hex");
  const p = { order: text("order", order, 64), blob };
  if (kind !== "photo") p.kind = kind;
  const w = text("waybill", waybill, 64, { optional: true });
  if (w) p.waybill = w;
  return p;
}

/** R12: cash turned in to a cashier, supervisor or safe (`to`), with the slip number if any. */
export function remittanceHandedIn({ amount, to, ref = "" }) {
  const p = { amount: centavos("amount", amount, 1), to: text("to", to, 64) };
  const r = text("ref", ref, 64, { optional: true });
  if (r) p.ref = r;
  return p;
}

/**
 * The ops of one delivery, in the order they are saved: cash and proofs first, the attempt last.
 * Each op is its own IndexedDB write, so a phone dying half-way leaves the stop "to do" with part
 * of it saved; saving again records only what `had` (this phone's ops for the stop) lacks, so the
 * cash is never recorded twice and a delivery is never without its cash.
 */
export function deliveryOps({ order, waybill, amount, photo, sign, receivedBy }, had) {
  const ops = [];
  const cash = amount - (had?.cash ?? 0);
  if (cash > 0) ops.push([CASH_COLLECTED, cashCollected({ order, amount: cash })]);
  const linked = new Set((had?.proofs ?? []).map((p) => p.blob));
  if (photo && !linked.has(photo)) ops.push([PROOF_ATTACHED, proofAttached({ order, blob: photo, waybill })]);
  if (sign && !linked.has(sign)) ops.push([PROOF_ATTACHED, proofAttached({ order, blob: sign, kind: "signature", waybill })]);
  ops.push([DELIVERY_ATTEMPTED, deliveryAttempted({ order, waybill, outcome: "delivered", receivedBy })]);
  return ops;
}

/**
 * What this phone recorded, per stop and in total. `rows` are {op, rec, st} as the engine's
 * recordedSince gives them (any order). Per order: the latest attempt's outcome, reason, note,
 * recipient and reschedule day, how many attempts, the cash collected, the proofs; in total: cash
 * collected and handed in.
 */
export function riderDay(rows) {
  const byOrder = new Map();
  const at = (order) => {
    if (!byOrder.has(order)) {
      byOrder.set(order, { outcome: null, reason: "", note: "", receivedBy: "", rescheduleOn: "", attempts: 0, cash: 0, proofs: [], at: 0, waiting: false });
    }
    return byOrder.get(order);
  };
  let collected = 0;
  let remitted = 0;
  const remittances = [];
  for (const row of [...rows].sort((a, b) => a.rec - b.rec)) {
    const type = opType(row.op);
    const p = opPayload(row.op);
    const waiting = row.st === "waiting";
    if (ATTEMPTS.includes(type)) {
      const s = at(p.order);
      const said = { receivedBy: p.received_by ?? "", rescheduleOn: p.reschedule_on ?? "" };
      Object.assign(s, { outcome: p.outcome, reason: p.reason ?? "", note: p.note ?? "", ...said, at: row.rec });
      s.attempts += 1;
      s.waiting ||= waiting;
    } else if (type === CASH_COLLECTED) {
      at(p.order).cash += p.amount;
      at(p.order).waiting ||= waiting;
      collected += p.amount;
    } else if (type === PROOF_ATTACHED) {
      at(p.order).proofs.push({ blob: p.blob, kind: p.kind ?? "photo" });
    } else if (type === REMITTANCE_HANDED_IN) {
      remitted += p.amount;
      remittances.push({ ...p, rec: row.rec, waiting });
    }
  }
  return { byOrder, collected, remitted, inHand: collected - remitted, remittances };
}

/**
 * The cash in the rider's hands: the server's balance (scope cash:<username>) plus what this
 * phone recorded that the server has not confirmed yet; before the server has said anything, the
 * phone's own sum of every rider op it still holds. Not just today's: yesterday's unremitted
 * collections are still in the pocket.
 */
export function cashInHand(rows, serverCash) {
  if (serverCash === null || serverCash === undefined) return riderDay(rows).inHand;
  return serverCash + riderDay(rows.filter((r) => r.st === "waiting")).inHand;
}

/** The order an op is about (rider ops name one; a remittance does not). */
export const opOrder = (op) => opPayload(op)?.order ?? "";
export const isRiderOp = (op) => RIDER_OPS.includes(opType(op));
