// The rider's own storage on the phone, beside the sync database: proof photos and signatures
// waiting to upload (PROTOCOL.md §8: PUT /sync/v1/blobs/<sha256>, out of band, never holding an op
// back), and the orders this phone has carried, so their personal data can be purged once the run
// is closed. A database of its own ("bodega-rider") so the shared one's schema stays as it is.
import { openDB } from "idb";
import { keepDraft } from "./store.js";
import { opPayload, opType } from "./protocol.js";
import { ATTEMPTS, PROOF_ATTACHED } from "./rider-ops.js";
import { sha256Hex } from "./sha256.js";

export const RIDER_DB = "bodega-rider";
const PERSONAL = new Set([...ATTEMPTS, PROOF_ATTACHED]);

export function openRiderStore(name = RIDER_DB) {
  return openDB(name, 1, {
    upgrade(db) {
      db.createObjectStore("blobs", { keyPath: "sha" }); // {sha, bytes, type, order, kind, at, sent, error}
      db.createObjectStore("meta"); // "carried": order ids seen on this phone's stops
    },
  });
}

/** The protocol's blob id: SHA-256 of the bytes, lower-case hex. */
export async function blobId(bytes) {
  if (globalThis.crypto?.subtle) {
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
    return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  return sha256Hex(new Uint8Array(bytes)); // plain http on a LAN: no WebCrypto there
}

/** Keep a photo or signature until it is uploaded; resolves its id once it is safe in IndexedDB. */
export async function keepBlob(rdb, blob, { order, kind }) {
  const bytes = await blob.arrayBuffer(); // bytes, not a Blob: every IndexedDB can hold them
  const sha = await blobId(bytes);
  if (!(await rdb.get("blobs", sha))) {
    await rdb.put("blobs", { sha, bytes, type: blob.type || "application/octet-stream", order, kind, at: Date.now(), sent: false, error: "" });
  }
  return sha;
}

export async function blobCounts(rdb) {
  const rows = await rdb.getAll("blobs");
  return { waiting: rows.filter((r) => !r.sent).length, sent: rows.filter((r) => r.sent).length };
}

/** A kept picture as an object URL (for a thumbnail), or null when it is gone. */
export async function blobURL(rdb, sha) {
  const row = await rdb.get("blobs", sha);
  return row ? URL.createObjectURL(new Blob([row.bytes], { type: row.type })) : null;
}

/**
 * Upload what waits, oldest first. 201/200 = on the server; 413/422 = the server will never take
 * it (kept, marked, not retried); a network error or 401 stops the round (tried again later).
 */
export async function uploadBlobs(rdb, { token, base = "", fetchImpl = (...a) => fetch(...a) }) {
  const out = { sent: 0, refused: 0, stopped: "" };
  const waiting = (await rdb.getAll("blobs")).filter((r) => !r.sent).sort((a, b) => a.at - b.at);
  for (const row of waiting) {
    let response;
    try {
      response = await fetchImpl(`${base}/sync/v1/blobs/${row.sha}`, {
        method: "PUT",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/octet-stream" },
        body: new Blob([row.bytes], { type: "application/octet-stream" }),
        cache: "no-store",
      });
    } catch {
      out.stopped = "network";
      return out;
    }
    if (response.ok) {
      await rdb.put("blobs", { ...row, sent: true, error: "" });
      out.sent += 1;
    } else if (response.status === 413 || response.status === 422) {
      await rdb.put("blobs", { ...row, sent: true, error: `HTTP ${response.status}` });
      out.refused += 1;
    } else {
      out.stopped = `HTTP ${response.status}`;
      return out;
    }
  }
  return out;
}

/**
 * Which carried orders to purge: those no longer on any of this phone's stops, judged only when the
 * replica is a complete, current picture (`synced`: outbox empty, pull at its end marker). The
 * server deletes a stop entity when its run is closed, so "gone from a synced replica" is how the
 * phone learns the run is over; while syncing or after a reset the stops may be missing for a
 * moment, and nothing is purged then.
 */
export function ordersToPurge(carried, current, { synced }) {
  if (!synced) return [];
  const now = new Set(current);
  return [...new Set(carried)].filter((order) => !now.has(order));
}

/** Remember the orders on this phone's stops now (added to what it carried before). */
export async function carry(rdb, orders) {
  const before = (await rdb.get("meta", "carried")) ?? [];
  const all = [...new Set([...before, ...orders])];
  if (all.length !== before.length) await rdb.put("meta", all, "carried");
  return all;
}

export const carried = async (rdb) => (await rdb.get("meta", "carried")) ?? [];

/**
 * Forget what this phone holds about these orders: uploaded photos and signatures, the confirmed
 * attempts and proof links naming them (an attempt names who received the parcel), and
 * half-filled forms. Photos not yet uploaded stay: they are evidence the server has not got.
 * Unconfirmed ops are never touched, and cash ops stay (an order id and an amount, no person):
 * the cash in hand must still add up after the run is closed.
 */
export async function purgeOrders(rdb, db, orders, draftNames = () => []) {
  const gone = new Set(orders);
  const out = { blobs: 0, ops: 0, drafts: 0 };
  if (!gone.size) return out;
  const btx = rdb.transaction(["blobs", "meta"], "readwrite");
  let cursor = await btx.objectStore("blobs").openCursor();
  const kept = new Set();
  while (cursor) {
    if (gone.has(cursor.value.order)) {
      if (cursor.value.sent) {
        await cursor.delete();
        out.blobs += 1;
      } else kept.add(cursor.value.order);
    }
    cursor = await cursor.continue();
  }
  const still = ((await btx.objectStore("meta").get("carried")) ?? []).filter((o) => !gone.has(o) || kept.has(o));
  await btx.objectStore("meta").put(still, "carried");
  await btx.done;

  const tx = db.transaction(["retained"], "readwrite");
  let row = await tx.objectStore("retained").openCursor();
  while (row) {
    const op = row.value.op;
    if (PERSONAL.has(opType(op)) && gone.has(opPayload(op)?.order)) {
      await row.delete();
      out.ops += 1;
    }
    row = await row.continue();
  }
  await tx.done;
  for (const order of gone) {
    for (const name of draftNames(order)) {
      await keepDraft(db, name, null);
      out.drafts += 1;
    }
  }
  return out;
}

/** The stops the server sent this rider (scope runs:<username>), in route order, and the cash in
 * hand it last knew (scope cash:<username>; centavos, null when not heard yet). */
export async function runOnPhone(db) {
  const rows = await db.getAll("replica");
  const stops = rows
    .filter((r) => r.kind === "stop" && r.val)
    .map((r) => ({ ...r.val, order: r.key }))
    .sort((a, b) => (a.run === b.run ? a.pos - b.pos : String(a.run).localeCompare(String(b.run))));
  const cash = rows.find((r) => r.kind === "cash");
  return { stops, serverCash: cash ? Number(cash.val) || 0 : null };
}
