// The op payloads of the outbound screens (picking, packing, handover): sync/_ops.py is the
// catalogue. As in ops.js, the builders refuse on the phone what the server would reject, and
// leave defaults off the wire.
//
// A short pick says why since stock.short_picked@v2 (v1 had no reason: the server dropped it).
import { OpInputError, ref, STOCK_PUT_BACK, whole, withOptional } from "./ops.js";

export const STOCK_PICKED = "stock.picked@v1";
export const STOCK_SHORT_PICKED = "stock.short_picked@v2";
// Recorded by this app before v2 and maybe still in its outbox: read as a short pick, never written.
export const STOCK_SHORT_PICKED_V1 = "stock.short_picked@v1";
export const PARCEL_PACKED = "parcel.packed@v1";
export const PARCEL_HANDED_OVER = "parcel.handed_over@v1";
export const OUTBOUND_TYPES = [STOCK_PICKED, STOCK_SHORT_PICKED, STOCK_SHORT_PICKED_V1, PARCEL_PACKED, PARCEL_HANDED_OVER, STOCK_PUT_BACK];
export const isShortPick = (type) => type === STOCK_SHORT_PICKED || type === STOCK_SHORT_PICKED_V1;

/** Why a pick came up short, as the picker says it (a short list: one tap with gloves on). */
export const SHORT_REASONS = ["empty_bin", "not_enough", "damaged", "not_found"];

/** Units taken off a shelf for an order (into the warehouse's staging). */
export function stockPicked({ wh, bin, sku, qty, order }) {
  return { wh: ref("wh", wh), bin: ref("bin", bin), sku: ref("sku", sku), qty: whole("qty", qty, 1), order: ref("order", order) };
}

/** Fewer units in the bin than the order wants: `found` of `wanted` were picked, and why. */
export function stockShortPicked({ wh, bin, sku, order, wanted, found, reason }) {
  const w = whole("wanted", wanted, 1);
  const f = whole("found", found, 0);
  if (f >= w) throw new OpInputError("found", "found must be less than wanted: that is a full pick");
  if (!SHORT_REASONS.includes(reason)) throw new OpInputError("reason", `reason must be one of ${SHORT_REASONS.join(", ")}`);
  return { wh: ref("wh", wh), bin: ref("bin", bin), sku: ref("sku", sku), order: ref("order", order), wanted: w, found: f, reason };
}

/**
 * An order checked item by item and closed as a parcel (or several), weighed. `lines` are the
 * units scanned into the box ([[sku, qty], ...]), for the server to check the pack again;
 * `courier` who takes it ("" = the seller's own riders; null = left out: the courier the order's
 * wave was built for, else its shop's, as the server decides).
 */
export function parcelPacked({ wh, order, waybill, weight_g = 0, parcels = 1, lines = [], courier = null }) {
  if (courier && !/^[a-z0-9][a-z0-9_-]{0,31}$/.test(courier)) throw new OpInputError("courier", "courier is a short lower-case code");
  if (parcels > 50) throw new OpInputError("parcels", "parcels must be from 1 to 50");
  // An empty waybill is left out: "the server issues one" in the catalogue that makes it optional
  // (server/shipping); flows/outbound.js `waybillFor` decides whether the phone ever sends none.
  const payload = withOptional(
    { wh: ref("wh", wh), order: ref("order", order) },
    { waybill: ref("waybill", waybill, { optional: true }), weight_g: weight_g ? whole("weight_g", weight_g, 1) : 0, parcels: parcels === 1 ? 0 : whole("parcels", parcels, 1) },
  );
  if (courier !== null && courier !== undefined) payload.courier = courier; // "" too: our own riders, said
  if (lines.length) payload.lines = lines.map(([sku, qty], i) => [ref(`lines[${i}].sku`, sku), whole(`lines[${i}].qty`, qty, 1)]);
  return payload;
}

/** A parcel that left the building with a courier's pickup or a rider (`to`). */
export function parcelHandedOver({ wh, order, waybill, to, lines }) {
  if (!Array.isArray(lines) || lines.length < 1 || lines.length > 200) throw new OpInputError("lines", "lines must hold 1 to 200 [sku, qty] pairs");
  return {
    wh: ref("wh", wh),
    order: ref("order", order),
    waybill: ref("waybill", waybill),
    to: ref("to", to),
    lines: lines.map(([sku, qty], i) => [ref(`lines[${i}].sku`, sku), whole(`lines[${i}].qty`, qty, 1)]),
  };
}
