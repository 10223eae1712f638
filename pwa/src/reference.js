// Reference data for the warehouse screens, read from the replica (the pull scopes of this user):
//   catalog / sku / <sku code>            {name, barcodes: [...]}
//   wh:<warehouse> / bin / <bin>/<sku>    on hand (a whole number)
//   wh:<warehouse> / location / <bin>     a bin with nothing in it yet (optional)
//   wh:<warehouse> / count_task / <id>    a count task {bin?, skus?: [...], title?, status?}
//   wh:<warehouse> / task / <order>       an order to pick, pack and hand over {status, lines: [[sku, qty]], ...}
//   wh:<warehouse> / wave, parcel, put_back  more outbound work (src/flows/outbound.js reads them)
//   wh:<warehouse> / inbound / <shipment>   an import on its way or arrived {status, expected_on, lines: [[sku, expected, received]]}
//   exceptions / exception / <id>         an open exception for a supervisor (src/flows/exceptions.js)
// Kept in memory (a few thousand SKUs is a few hundred KB) and updated from each applied page.
import { signal } from "@preact/signals";
import { changedEntity } from "./sync/protocol.js";

export const version = signal(0); // bumps on every change, so screens recompute

const skus = new Map(); // sku code -> {name, barcodes}
const byCode = new Map(); // barcode, or SKU code in upper case -> sku code
const stock = new Map(); // "wh\x1fbin" -> Map(sku -> qty)
const locations = new Map(); // wh -> Set(bin)
const tasks = new Map(); // "wh\x1fid" -> {wh, id, ...}
const orderTasks = new Map(); // "wh\x1forder" -> {wh, id, status, lines, ...}: outbound work
const shipments = new Map(); // "wh\x1fcode" -> {status, expected_on, lines}
const warehouses = new Set();
const exceptions = new Map(); // id -> an open exception for the supervisor's inbox {id, kind, severity, ...}

const slot = (wh, bin) => `${wh}\x1f${bin}`;
const OUTBOUND_KINDS = ["task", "wave", "parcel", "put_back"];

function reset() {
  for (const m of [skus, byCode, stock, locations, tasks, orderTasks, shipments, exceptions]) m.clear();
  warehouses.clear();
}

function indexSku(code, val) {
  const old = skus.get(code);
  for (const b of old?.barcodes ?? []) if (byCode.get(b) === code) byCode.delete(b);
  if (val === null) {
    skus.delete(code);
    byCode.delete(code.toUpperCase());
    return;
  }
  skus.set(code, { name: val.name ?? code, barcodes: val.barcodes ?? [] });
  byCode.set(code.toUpperCase(), code);
  for (const b of val.barcodes ?? []) byCode.set(b, code);
}

/** One entity as the replica keeps it ({scope, kind, key, val}; val null: gone). */
function apply({ scope, kind, key, val }) {
  if (scope === "catalog" && kind === "sku") return indexSku(key, val);
  if (scope === "exceptions" && kind === "exception") {
    if (val === null) exceptions.delete(key); // resolved: off the inbox
    else exceptions.set(key, { ...val, id: key });
    return;
  }
  if (!scope.startsWith("wh:")) return;
  const wh = scope.slice(3);
  warehouses.add(wh);
  if (kind === "bin") {
    const cut = key.indexOf("/");
    const [bin, sku] = [key.slice(0, cut), key.slice(cut + 1)];
    let inBin = stock.get(slot(wh, bin));
    if (!inBin) stock.set(slot(wh, bin), (inBin = new Map()));
    if (val === null) inBin.delete(sku);
    else inBin.set(sku, val);
  } else if (kind === "location") {
    if (!locations.has(wh)) locations.set(wh, new Set());
    if (val === null) locations.get(wh).delete(key);
    else locations.get(wh).add(key);
  } else if (OUTBOUND_KINDS.includes(kind)) {
    // The outbound work, kept as sent and told apart by kind: an order's pick/pack task (gone when
    // shipped, cancelled or moved), a wave of orders picked together, a packed parcel (waybill,
    // courier, batch), a put-back (a cancelled order's picked goods going back to a shelf).
    if (val === null) orderTasks.delete(slot(wh, `${kind}:${key}`));
    else orderTasks.set(slot(wh, `${kind}:${key}`), { ...val, wh, id: key, kind });
  } else if (kind === "inbound") {
    if (val === null) shipments.delete(slot(wh, key));
    else shipments.set(slot(wh, key), { ...val, code: key });
  } else if (kind === "count_task") {
    if (val === null) tasks.delete(slot(wh, key));
    else tasks.set(slot(wh, key), { ...val, wh, id: key });
  }
}

let db = null;
let rebuilding = false; // the replica was dropped and is downloading again

/**
 * Apply what the sync client just wrote (its onApplied). When the replica is dropped (a restored
 * server, a checksum mismatch) the screens keep the data they had until the new download reaches
 * its end marker, then reload it whole: a picker is not left without a catalog mid-receipt.
 * A new login (`hard`) forgets at once: that data was another device's.
 */
export function applyChanges({ cleared, hard = false, changes, end = false }) {
  if (hard) reset();
  if (cleared) rebuilding = true;
  for (const change of changes) apply(changedEntity(change));
  if (end && rebuilding && db) {
    rebuilding = false;
    return loadReference(db);
  }
  version.value += 1;
}

export async function loadReference(store) {
  db = store;
  const rows = await db.getAll("replica");
  reset();
  rows.forEach(apply);
  version.value += 1;
}

/** The inbound shipment a scanned or typed reference names in this warehouse, or null. */
export function findShipment(wh, text) {
  const code = (text ?? "").trim();
  return shipments.get(slot(wh, code)) ?? shipments.get(slot(wh, code.toUpperCase())) ?? null;
}

/** A revoked phone shows nothing it was allowed to read. */
export function forgetReference() {
  reset();
  version.value += 1;
}

/** The SKU a scanned or typed code stands for (a barcode, or the SKU code itself), or null. */
export function findSku(text) {
  const code = String(text).trim();
  const sku = byCode.get(code) ?? byCode.get(code.toUpperCase());
  return sku ? { code: sku, ...skus.get(sku) } : null;
}

export const skuName = (code) => skus.get(code)?.name ?? code;
export const hasCatalog = () => skus.size > 0;
export const warehouseCodes = () => [...warehouses].sort();

export function binsOf(wh) {
  const bins = new Set(locations.get(wh) ?? []);
  for (const k of stock.keys()) if (k.startsWith(wh + "\x1f")) bins.add(k.slice(wh.length + 1));
  return [...bins].sort();
}

/** A bin as scanned (labels are printed upper case) if the warehouse knows it, else null. */
export function findBin(wh, text) {
  const code = String(text).trim().toUpperCase();
  return binsOf(wh).find((b) => b.toUpperCase() === code) ?? null;
}

/** True when the scope lists every bin (location entities), so an unknown bin code is a mistake. */
export const knowsAllBins = (wh) => (locations.get(wh)?.size ?? 0) > 0;

export const stockIn = (wh, bin) => new Map(stock.get(slot(wh, bin)) ?? []);

export function binsHolding(wh, sku) {
  const found = [];
  for (const [k, inBin] of stock) if (k.startsWith(wh + "\x1f") && inBin.has(sku)) found.push([k.slice(wh.length + 1), inBin.get(sku)]);
  return found.sort();
}

export const countTasks = (wh) => [...tasks.values()].filter((t) => t.wh === wh && t.status !== "done");
export const countTask = (wh, id) => tasks.get(slot(wh, id)) ?? null;

/** The warehouse's outbound entities from the replica, as sent plus {wh, id, kind}: tasks, waves, parcels, put-backs. */
export const outboundEntities = (wh) => [...orderTasks.values()].filter((t) => t.wh === wh);

/** The supervisor's open exceptions, as the server last sent them. */
export const openExceptions = () => [...exceptions.values()];
export const exceptionById = (id) => exceptions.get(id) ?? null;
