// How the outbound screens name things, kept apart from their rules (outbound.js) because the
// problems list, which is part of the app shell, needs it too and the shell has a budget.
import { STOCK_PUT_BACK } from "../sync/ops.js";
import { isShortPick, PARCEL_HANDED_OVER, PARCEL_PACKED, STOCK_PICKED } from "../sync/outbound.js";

/** A short pick's reason (sync/_ops.py ShortReason) as the picker taps it. */
export const SHORT_WORDS = {
  empty_bin: "Walang laman ang bin",
  not_enough: "Kulang ang laman",
  damaged: "Sira ang item",
  not_found: "Hindi makita",
};

/**
 * How a person names an order: the channel's number if the server sends it, else the end of its
 * id (order ids are UUIDv7: their start is the time they were made, the same for a whole batch).
 */
export const orderLabel = (task, id = task?.id ?? "") =>
  task?.ext || task?.ref || task?.external_id || task?.number || `#${String(id).replace(/-/g, "").slice(-6).toUpperCase()}`;

/** An outbound op in the words of the screen that recorded it (for "Mga problema sa sync"), else null. */
export function describeOutbound(type, p, name = (sku) => sku) {
  const order = orderLabel(null, p.order);
  if (isShortPick(type)) return `Kulang: ${p.found} sa ${p.wanted} × ${name(p.sku)} sa ${p.bin} (order ${order})${p.reason ? ` · ${SHORT_WORDS[p.reason] ?? p.reason}` : ""}`;
  switch (type) {
    case STOCK_PICKED:
      return `Pick: ${p.qty} × ${name(p.sku)} mula ${p.bin} (order ${order})`;
    case STOCK_PUT_BACK:
      return `Ibinalik: ${p.qty} × ${name(p.sku)} sa ${p.bin}${p.order ? ` (order ${order})` : ""}`;
    case PARCEL_PACKED:
      return `Na-pack: order ${order}${p.waybill && p.waybill !== p.order ? ` · waybill ${p.waybill}` : ""}`;
    case PARCEL_HANDED_OVER:
      return `Naibigay kay ${p.to}: order ${order}${p.waybill && p.waybill !== p.order ? ` · waybill ${p.waybill}` : ""}`;
    default:
      return null;
  }
}

/**
 * The carriers a parcel can go out with (server/shipping/waybills.py knows their waybill prefixes):
 * "" is the seller's own riders.
 */
export const COURIERS = [
  ["", "Sariling rider"],
  ["jnt", "J&T Express"],
  ["spx", "SPX (Shopee)"],
  ["lex", "LEX (Lazada)"],
  ["flash", "Flash Express"],
  ["ninjavan", "Ninja Van"],
  ["lbc", "LBC"],
];
export const courierName = (code) => COURIERS.find(([c]) => c === code)?.[1] ?? code;
