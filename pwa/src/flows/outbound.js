// What the outbound screens (pick, pack, handover) decide, as plain functions of plain data, so
// vitest can check every rule without a browser:
//   - where each order stands on this phone, from the ops it recorded (the outbox and the
//     confirmed tail): the ops are the phone's memory, so a reload or a dead battery loses nothing;
//   - the pick walk: which bin for each item, in walking order, and what comes next;
//   - whether a scanned bin or item is the one asked for (a wrong one is refused on the phone);
//   - packing: what is still missing or extra; handover: what a parcel scan means;
//   - orders taken away mid-flow (cancelled): what must go back to the shelf.
import { opPayload, opType } from "../sync/protocol.js";
import { isShortPick, PARCEL_HANDED_OVER, PARCEL_PACKED, STOCK_PICKED } from "../sync/outbound.js";
import { orderLabel } from "./outbound-words.js";

export { describeOutbound, orderLabel } from "./outbound-words.js";

// -- the order's own words --------------------------------------------------------------------------

/** Lines of a task summed by SKU, in the order they first appear: [[sku, qty], ...]. */
export function linesBySku(lines = []) {
  const sum = new Map();
  for (const [sku, qty] of lines) sum.set(sku, (sum.get(sku) ?? 0) + qty);
  return [...sum];
}

/** Bin labels sort by zone, aisle, level (A-2-1 before A-10-1): the walking path through the shelves. */
export const binOrder = (a, b) => a.localeCompare(b, "en", { numeric: true, sensitivity: "base" });

/**
 * The order the work comes in: the server's wave and priority when it sends them (higher priority
 * first), then the ship-by deadline, then the oldest first.
 */
export function byPriority(a, b) {
  const wave = String(a.wave ?? "").localeCompare(String(b.wave ?? ""), "en", { numeric: true });
  if (wave) return wave;
  const prio = (b.priority ?? 0) - (a.priority ?? 0);
  if (prio) return prio;
  const [sa, sb] = [a.ship_by ?? "\uffff", b.ship_by ?? "\uffff"]; // no deadline: last (ISO times compare as text)
  if (sa !== sb) return sa < sb ? -1 : 1;
  return orderLabel(a).localeCompare(orderLabel(b), "en", { numeric: true });
}

// -- the phone's own record of outbound work ------------------------------------------------------

/**
 * Where each order stands on this phone, from the outbound ops recorded here (rows {op, st, rec}
 * as the engine's recordedSince answers them). Map order id ->
 *   {picked: Map sku -> units, from: [{bin, sku, qty}], short: Map sku -> {bin, wanted, found, reason},
 *    packed: {waybill, weight_g, parcels, st} | null, handed: {waybill, to, st} | null, waiting: n}
 */
export function outboundState(rows) {
  const orders = new Map();
  const get = (id) => {
    if (!orders.has(id)) orders.set(id, { picked: new Map(), from: [], short: new Map(), packed: null, handed: null, waiting: 0, last: 0 });
    return orders.get(id);
  };
  const oldestFirst = [...rows].sort((a, b) => a.rec - b.rec);
  for (const row of oldestFirst) {
    const type = opType(row.op);
    const p = opPayload(row.op);
    const o = get(p.order);
    if (row.st === "waiting") o.waiting += 1;
    o.last = Math.max(o.last, row.rec);
    if (type === STOCK_PICKED || isShortPick(type)) {
      const qty = type === STOCK_PICKED ? p.qty : p.found;
      if (qty > 0) {
        o.picked.set(p.sku, (o.picked.get(p.sku) ?? 0) + qty);
        o.from.push({ bin: p.bin, sku: p.sku, qty, waiting: row.st === "waiting" });
      }
      if (isShortPick(type)) o.short.set(p.sku, { bin: p.bin, wanted: p.wanted, found: p.found, reason: p.reason ?? "" });
      else o.short.delete(p.sku); // picked again after a short pick (another bin, re-allocated): the line moves on
    } else if (type === PARCEL_PACKED) {
      o.packed = { waybill: p.waybill, weight_g: p.weight_g ?? 0, parcels: p.parcels ?? 1, courier: p.courier ?? "", st: row.st };
    } else if (type === PARCEL_HANDED_OVER) {
      o.handed = { waybill: p.waybill, to: p.to, st: row.st };
    }
  }
  return orders;
}

const EMPTY = { picked: new Map(), from: [], short: new Map(), packed: null, handed: null, waiting: 0, last: 0 };
export const stateOf = (state, id) => state.get(id) ?? EMPTY;

/** Units picked on this phone and not yet synced, per "bin\x1fsku": the replica does not know them yet. */
export function unsyncedPicks(state) {
  const taken = new Map();
  for (const o of state.values()) for (const f of o.from) if (f.waiting) taken.set(`${f.bin}\x1f${f.sku}`, (taken.get(`${f.bin}\x1f${f.sku}`) ?? 0) + f.qty);
  return taken;
}

// -- what the server sends, put together ----------------------------------------------------------

/**
 * The replica's outbound entities ({kind, id, ...val}) as the screens use them: one entry per
 * order. A task (kind "task": {status, lines}) gains what its wave says of it (wave code, tote,
 * ship_by, priority, the wave's planned picks for it as `picks: [[sku, bin, qty]]`) and what its
 * parcel says (waybill, courier, batch). A put-back (kind "put_back": {status: "cancelled",
 * lines, waybill?}) stands for its cancelled order. A parcel whose order is no longer a task (it
 * left in a batch) is kept as kind "parcel", so a second scan of it is still recognised.
 * Answers {tasks: [...], waves: [{id, code, picker, ship_by, orders: [id]}]}.
 */
export function mergeOutbound(entities) {
  const byKind = (k) => entities.filter((e) => e.kind === k);
  const parcels = new Map(byKind("parcel").map((p) => [p.id, p]));
  const inWave = new Map(); // order id -> {wave, tote, ship_by, priority, picks}
  const waves = byKind("wave").map((w) => {
    for (const [order, tote, ship_by, priority, ext, courier] of w.orders ?? []) {
      // `ext` (the channel's order number) is the 5th item and `courier` (who takes its parcel:
      // the wave's, else the shop's) the 6th since the server sent them; older waves lack them.
      const more = { ...(ext ? { ext } : {}), ...(typeof courier === "string" ? { courier } : {}) };
      inWave.set(order, { wave: w.code ?? w.id, waveId: w.id, tote: tote ?? "", ship_by: ship_by ?? w.ship_by ?? undefined, priority: priority ?? 0, ...more, picks: [] });
    }
    for (const [bin, sku, qty, order] of w.picks ?? []) if (inWave.has(order) && bin) inWave.get(order).picks.push([sku, bin, qty]);
    return { id: w.id, code: w.code ?? w.id, picker: w.picker ?? "", ship_by: w.ship_by ?? null, status: w.status ?? "", orders: (w.orders ?? []).map((o) => o[0]) };
  });
  const withParcel = (t) => {
    const p = parcels.get(t.id);
    // Once packed, the parcel's courier is the one it goes with (the packer may have chosen another).
    return p ? { ...t, waybill: t.waybill || p.waybill, courier: p.courier ?? t.courier ?? "", batch: p.batch ?? "", parcel: p.status || "packed" } : t;
  };
  const tasks = byKind("task").map((t) => withParcel({ ...inWave.get(t.id), ...t, kind: "task" }));
  const backs = byKind("put_back").map((b) => withParcel({ ...b, kind: "put_back", status: "cancelled" }));
  const known = new Set([...tasks, ...backs].map((t) => t.id));
  const left = [...parcels.values()].filter((p) => !known.has(p.id)).map((p) => ({ ...p, kind: "parcel", parcel: p.status ?? "", lines: [] }));
  return { tasks: [...tasks, ...backs, ...left], waves };
}

// -- picking ---------------------------------------------------------------------------------------

/**
 * The pick walk for one order: where to take each of its units, in walking order.
 *   task: {id, lines: [[sku, qty]], picks?: [[sku, bin, qty]] (the wave's plan), tote?};
 *   progress: stateOf(...) for the order; holding(sku): [[bin, units], ...] from the replica;
 *   taken: unsyncedPicks(...); retry: SKUs left short that the picker tries again (not short any
 *   more, and the bin that came up short is tried last).
 * The wave's plan wins where it has one; units it does not place (or every unit, without a wave)
 * go to the first bin in walking order holding them all, else the fullest.
 * A line: {order, tote, sku, bin, need, got, left, others: [bins], short, done}.
 */
export function pickWalk(task, progress, holding, taken = new Map(), retry = []) {
  const lines = [];
  for (const [sku, total] of linesBySku(task?.lines)) {
    let got = progress.picked.get(sku) ?? 0; // given to the plan's lines in order
    const tried = progress.short.get(sku)?.bin;
    const stocked = holding(sku)
      .filter(([bin]) => bin !== "") // the staging area is not a shelf
      .map(([bin, units]) => [bin, units - (taken.get(`${bin}\x1f${sku}`) ?? 0)])
      .filter(([, units]) => units > 0)
      .sort((a, b) => binOrder(a[0], b[0]));
    const plan = (task?.picks ?? []).filter((p) => p[0] === sku && p[1]).map(([, bin, qty]) => [bin, qty]);
    const planned = plan.reduce((n, [, q]) => n + q, 0);
    if (planned < total) {
      const left = total - planned;
      const choices = stocked.filter(([bin]) => bin !== tried);
      const enough = choices.find(([, units]) => units >= left);
      const fullest = [...choices].sort((a, b) => b[1] - a[1])[0];
      plan.push([enough?.[0] ?? fullest?.[0] ?? tried ?? null, left]);
    }
    for (const [bin, need] of plan) {
      const mine = Math.min(need, got);
      got -= mine;
      const others = stocked.map(([b]) => b).filter((b) => b !== bin);
      lines.push({ order: task.id, tote: task.tote ?? "", sku, bin, need, got: mine, left: need - mine, others, short: null, done: mine >= need });
    }
    // A short pick holds the SKU's first unfinished line (until the picker tries again).
    const short = retry.includes(sku) ? null : (progress.short.get(sku) ?? null);
    const open = lines.find((l) => l.sku === sku && !l.done);
    if (short && open) open.short = short;
  }
  return lines.sort((a, b) => binOrder(a.bin ?? "~", b.bin ?? "~"));
}

/**
 * A wave's walk: every order's lines in one path through the bins (batch picking, a tote per
 * order). `orders`: the wave's tasks; progressOf(id): stateOf(...) for each.
 */
export function waveWalk(orders, progressOf, holding, taken = new Map(), retry = []) {
  return orders
    .flatMap((task) => pickWalk(task, progressOf(task.id), holding, taken, retry))
    .sort((a, b) => binOrder(a.bin ?? "~", b.bin ?? "~") || a.sku.localeCompare(b.sku));
}

/** The next line to pick: the first not done and not left short, in walking order. */
export const nextPick = (walk) => walk.find((l) => !l.done && !l.short) ?? null;

/** Where an order stands, for the lists: new, picking, short, picked, packed, handed. */
export function pickStage(task, progress) {
  if (progress.handed) return "handed";
  if (progress.packed || task?.status === "packed") return "packed";
  const lines = linesBySku(task?.lines);
  const got = (sku) => progress.picked.get(sku) ?? 0;
  if (lines.length && lines.every(([sku, qty]) => got(sku) >= qty)) return "picked";
  if (lines.some(([sku, qty]) => progress.short.has(sku) && got(sku) < qty)) return "short";
  return progress.picked.size ? "picking" : "new";
}

/**
 * A scan at the bin step. The wanted bin (any bin holding the item when the phone has no plan);
 * `others` are bins the replica says also hold the item. Answers {ok} or {refuse, why}.
 */
export function checkBin(line, code, findSku) {
  const scanned = String(code).trim().toUpperCase();
  if (line.bin === null) return findSku(code) ? { refuse: "item_not_bin" } : { ok: scanned };
  if (scanned === line.bin.toUpperCase()) return { ok: line.bin };
  if (findSku(code)) return { refuse: "item_not_bin" };
  const other = line.others.find((b) => b.toUpperCase() === scanned);
  return other ? { refuse: "other_bin", bin: other } : { refuse: "wrong_bin", bin: scanned };
}

/** A scan at the item step: the item asked for, another one (refused), or not an item at all. */
export function checkItem(line, code, findSku) {
  const sku = findSku(code);
  if (!sku) return { refuse: "unknown", code: String(code).trim() };
  if (sku.code !== line.sku) return { refuse: "wrong_item", sku };
  return { ok: sku };
}

// -- packing ---------------------------------------------------------------------------------------

/**
 * What the packer has scanned against what the order holds.
 *   lines: the task's [[sku, qty]]; scanned: {sku: units}.
 * Answers {rows: [{sku, need, got}], missing: [[sku, n]], extra: [[sku, n]], complete}.
 */
export function packCheck(lines, scanned) {
  const wanted = new Map(linesBySku(lines));
  const rows = [...wanted].map(([sku, need]) => ({ sku, need, got: scanned[sku] ?? 0 }));
  for (const [sku, got] of Object.entries(scanned)) if (!wanted.has(sku) && got > 0) rows.push({ sku, need: 0, got });
  const missing = rows.filter((r) => r.got < r.need).map((r) => [r.sku, r.need - r.got]);
  const extra = rows.filter((r) => r.got > r.need).map((r) => [r.sku, r.got - r.need]);
  return { rows, missing, extra, complete: rows.length > 0 && missing.length === 0 && extra.length === 0 };
}

/** A scan while packing: one more of a wanted item, or an item that does not belong (shown as extra). */
export function packScan(lines, scanned, sku) {
  const need = new Map(linesBySku(lines)).get(sku) ?? 0;
  const got = (scanned[sku] ?? 0) + 1;
  return { scanned: { ...scanned, [sku]: got }, extra: got > need, foreign: need === 0 };
}

/** Which order a scanned code means: its id, the channel's number, or its waybill. */
export function findOrder(tasks, code, state = new Map()) {
  const c = String(code).trim().toUpperCase();
  if (!c) return null;
  return (
    tasks.find((t) => {
      const mine = state.get(t.id);
      return [t.id, t.ext, t.ref, t.external_id, t.number, t.waybill, t.tote, mine?.packed?.waybill]
        .filter(Boolean)
        .some((v) => String(v).toUpperCase() === c);
    }) ?? null
  );
}

/**
 * The waybill a pack is sent with: the one the phone knows (the server's parcel, or a pre-printed
 * label) if any; else "" and the server issues the courier's or Bodega's own number at packing
 * (server/shipping/waybills.py).
 */
export const waybillFor = (task) => task?.waybill || "";

// -- handover --------------------------------------------------------------------------------------

/**
 * A parcel scanned into a dispatch batch. `parcels`: what the phone knows of packed orders,
 * [{id, task, state}] (a cancelled order carries task.status "cancelled"); `batch`: order ids
 * already scanned into this batch; `cancelled`: ids cancelledInFlight found. Answers {ok, id} or
 * {refuse, id?} with refuse one of
 * unknown | twice | other_batch | cancelled | not_packed.
 */
export function handoverScan(tasks, state, batch, code, cancelled = []) {
  const task = findOrder(tasks, code, state);
  if (!task) {
    // A parcel whose task is gone is still known to this phone if it packed it or handed it over:
    // say what happened to it, not "unknown".
    const c = String(code).trim().toUpperCase();
    for (const [id, o] of state) {
      if (![id, o.packed?.waybill, o.handed?.waybill].some((v) => v && String(v).toUpperCase() === c)) continue;
      if (o.handed) return { refuse: "other_batch", id };
      if (cancelled.includes(id)) return { refuse: "cancelled", id };
    }
    return { refuse: "unknown" };
  }
  const mine = stateOf(state, task.id);
  if (batch.includes(task.id)) return { refuse: "twice", id: task.id };
  if (task.status === "cancelled" || task.kind === "put_back") return { refuse: "cancelled", id: task.id };
  // Handed over here, in a batch the server knows of, or a parcel whose order already left.
  if (mine.handed || task.batch || task.kind === "parcel") return { refuse: "other_batch", id: task.id };
  if (!(mine.packed || task.status === "packed")) return { refuse: "not_packed", id: task.id };
  return { ok: true, id: task.id };
}

/**
 * The parcels a batch should hold: packed, not handed over, not in a batch, and going with this
 * carrier (`to`, or the own riders' "" for a rider's batch) when the phone knows whose they are
 * (the server's parcel, or this phone's own pack); a parcel of unknown carrier is expected anywhere.
 */
export function expectedParcels(tasks, state, to = "", rider = false) {
  return tasks.filter((t) => {
    const mine = stateOf(state, t.id);
    if (t.kind !== "task" || t.status === "cancelled" || mine.handed || t.batch) return false;
    if (!(mine.packed || t.status === "packed")) return false;
    const carrier = t.parcel ? (t.courier ?? "") : (mine.packed?.courier ?? null);
    if (carrier === null || (!to && !rider)) return true;
    return rider ? carrier === "" : carrier === to;
  });
}

// -- cancelled mid-flow ----------------------------------------------------------------------------

/**
 * Orders this phone picked (or packed) whose task was taken away before they left: cancelled by the
 * channel (the server sends status "cancelled", a put-back, or just removes the task). Each with
 * what to put back where: [{id, task, putBack: [{sku, qty, bin}], server: bool}].
 *   tasks: mergeOutbound(...).tasks; done: order ids whose put-back the picker already confirmed.
 */
export function cancelledInFlight(tasks, state, done = []) {
  const live = new Map(tasks.filter((t) => t.kind === "task").map((t) => [t.id, t]));
  const backs = new Map(tasks.filter((t) => t.kind === "put_back").map((t) => [t.order ?? t.id, t]));
  const found = [];
  for (const [id, o] of state) {
    if (o.handed || o.from.length === 0 || done.includes(id)) continue;
    const task = live.get(id);
    if (task && task.status !== "cancelled" && !backs.has(id)) continue;
    const server = backs.get(id);
    // Each line says how many this phone picked: a server's put-back lists every unit the order
    // held, some maybe picked on another phone, or never (a short pick).
    const putBack = server?.lines
      ? server.lines.map(([sku, qty, bin]) => ({ sku, qty, bin: bin ?? server.bin ?? sourceBin(o, sku), mine: o.picked.get(sku) ?? 0 }))
      : [...o.picked].filter(([, qty]) => qty > 0).map(([sku, qty]) => ({ sku, qty, bin: sourceBin(o, sku), mine: qty }));
    found.push({ id, task: task ?? server ?? null, putBack, server: Boolean(server) });
  }
  return found;
}

/** Where a picked item came from (the last bin it was picked from): where it goes back. */
function sourceBin(progress, sku) {
  const from = progress.from.filter((f) => f.sku === sku);
  return from.length ? from[from.length - 1].bin : "";
}

/**
 * What each cancelled order still waits for, by SKU: the server's put-back (what it has not yet
 * counted back) less this phone's put-backs it has not synced yet. Answers
 * [{order, task, left: Map sku -> units}] for the orders with something left.
 */
export function putBacksLeft(tasks, waiting) {
  const out = [];
  for (const t of tasks.filter((x) => x.kind === "put_back")) {
    const left = new Map((t.lines ?? []).map(([sku, qty]) => [sku, qty]));
    for (const p of waiting) if (p.order === t.id && left.has(p.sku)) left.set(p.sku, left.get(p.sku) - p.qty);
    for (const [sku, qty] of left) if (qty <= 0) left.delete(sku);
    if (left.size) out.push({ order: t.id, task: t, left });
  }
  return out;
}
