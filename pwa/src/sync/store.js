// The phone's IndexedDB: one database holding the session, the op outbox and retained tail, the
// replica of the server's data for this user's scopes, and the notices a person must see.
import { openDB } from "idb";
import { opType } from "./protocol.js";

export const DB_NAME = "bodega";
export const STORES = ["meta", "outbox", "retained", "replica", "notices"];

export function openStore(name = DB_NAME) {
  return openDB(name, 1, {
    upgrade(db) {
      db.createObjectStore("meta"); // small records under fixed keys: session, device, clock, sync, sums
      db.createObjectStore("outbox", { keyPath: "seq" }); // {seq, op, rec, user}: not yet confirmed
      db.createObjectStore("retained", { keyPath: "seq" }); // {seq, op, rec, st}: confirmed, kept for a restored server
      db.createObjectStore("replica", { keyPath: ["scope", "kind", "key"] }); // {scope, kind, key, val}
      db.createObjectStore("notices", { autoIncrement: true }); // {seq, op, st, notes, at}
    },
  });
}

/** Every retained op with seq > `after` goes back into the outbox (the server lost it). */
export async function requeueAfter(tx, after) {
  const retained = tx.objectStore("retained");
  const outbox = tx.objectStore("outbox");
  let cursor = await retained.openCursor(IDBKeyRange.lowerBound(after, true));
  while (cursor) {
    const { seq, op, rec, user } = cursor.value;
    await outbox.put({ seq, op, rec, user });
    await cursor.delete();
    cursor = await cursor.continue();
  }
}

/** Keep at most `count` confirmed ops, none older than `maxAgeMs` (oldest go first). */
export async function trimRetained(tx, count, maxAgeMs, now) {
  const retained = tx.objectStore("retained");
  let excess = (await retained.count()) - count;
  let cursor = await retained.openCursor();
  while (cursor && (excess > 0 || now - (cursor.value.at ?? now) > maxAgeMs)) {
    await cursor.delete();
    excess -= 1;
    cursor = await cursor.continue();
  }
}

export async function clearReplica(tx) {
  await tx.objectStore("replica").clear();
  await tx.objectStore("meta").delete("sums");
}

// -- what the screens ask for, through the engine -------------------------------------------------

/**
 * The ops of one type (or of a list of types) recorded on this phone since `since` (ms), newest first, each row
 * {seq, op, rec, st} saying where it stands: "waiting" (not yet confirmed) or the server's answer.
 */
export async function recordedSince(db, type, since) {
  const types = [].concat(type); // one type, or several (the outbound screens read four)
  const tx = db.transaction(["outbox", "retained"]);
  const [waiting, done] = await Promise.all([tx.objectStore("outbox").getAll(), tx.objectStore("retained").getAll()]);
  const rows = [...waiting.map((r) => ({ ...r, st: "waiting" })), ...done.map((r) => ({ ...r }))];
  return rows.filter((r) => types.includes(opType(r.op)) && r.rec >= since).sort((a, b) => b.rec - a.rec);
}

/** The ops not yet confirmed by the server, in the order they were recorded. */
export const waitingOps = async (db) => (await db.getAll("outbox")).map((row) => row.op);

/** The ops a person must look at: flagged, rejected, set aside or held, oldest first, each with its `key`. */
export async function problems(db) {
  const tx = db.transaction("notices");
  const [rows, keys] = await Promise.all([tx.store.getAll(), tx.store.getAllKeys()]);
  return rows.map((row, i) => ({ ...row, key: keys[i] }));
}

/** The person has seen every notice: the status bar's badge stops counting them. */
export async function markProblemsSeen(db) {
  const tx = db.transaction("notices", "readwrite");
  let cursor = await tx.store.openCursor();
  while (cursor) {
    if (!cursor.value.seen) await cursor.update({ ...cursor.value, seen: true });
    cursor = await cursor.continue();
  }
  await tx.done;
}

/**
 * A notice settled ("Tapos na"): it leaves the list. A held op (another user's) is never removed
 * here: it is still waiting for that user's login and would be lost.
 */
export async function settleProblem(db, key) {
  const tx = db.transaction("notices", "readwrite");
  const row = await tx.store.get(key);
  if (row && row.st !== "held") await tx.store.delete(key);
  await tx.done;
}

/** A screen's unfinished work (a count half done), kept so a reload or a dead battery loses nothing. */
export const readDraft = (db, name) => db.get("meta", `draft:${name}`);
export const keepDraft = (db, name, draft) =>
  draft === null ? db.delete("meta", `draft:${name}`) : db.put("meta", draft, `draft:${name}`);
