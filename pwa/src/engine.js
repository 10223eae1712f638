// The app's link to the sync client: one client and one scheduler per app, and the signals the
// status bar and screens read.
import { signal } from "@preact/signals";
import { applyChanges } from "./reference.js";
import { markRevoked, session } from "./session.js";
import { SyncClient } from "./sync/client.js";
import { httpTransport } from "./sync/http.js";
import { unitsReceived } from "./sync/ops.js";
import { Scheduler } from "./sync/scheduler.js";
import * as store from "./sync/store.js";

export const status = signal({
  online: navigator.onLine,
  pending: 0, // ops waiting to be confirmed by the server
  oldest: null, // when the oldest waiting op was recorded (ms)
  notices: 0, // flagged, rejected, set aside or held ops a person should see
  lastOkAt: 0,
  lastError: "",
  running: false,
  synced: false,
  mustUpdate: false,
  cursor: null,
  nextAt: null, // when the scheduler tries again (ms), after a failed sync
});
/** Bumps whenever ops are recorded or confirmed, so lists of ops reload. */
export const opsVersion = signal(0);

let client;
let scheduler;
let askedPersist = false;

export async function startEngine(db) {
  client = await new SyncClient({
    db,
    transport: httpTransport({ token: () => session.value?.token ?? "" }),
    onApplied: applyChanges,
  }).load();
  scheduler = new Scheduler(client, { onState: () => refresh() });
  for (const name of ["online", "offline"]) addEventListener(name, () => refresh());
  await refresh();
  return client;
}

export const syncClient = () => client;

/** Begin syncing for the logged-in device (after login, or at start when a session exists). */
export async function resumeSync() {
  const s = session.value;
  if (!s) return;
  await client.useDevice(s.deviceId, s.user.username);
  scheduler.stop();
  scheduler.start();
  await refresh();
}

export function stopSync() {
  scheduler?.stop();
}

/** The "Sync now" button: forget the backoff and go. */
export const syncNow = () => scheduler.kick("manual");

/**
 * Record a fact. Resolves once it is safe in IndexedDB: only then may a screen say "saved".
 * Uploading starts at once (and keeps trying on its own).
 */
export async function record(type, payload) {
  const started = performance.now();
  const op = await client.record(type, payload);
  performance.measure("bodega:record", { start: started }); // read by `bodega bench pwa`
  askPersist();
  scheduler.kick("write");
  refresh().then(() => (opsVersion.value += 1)); // the caller can say "saved" now; lists follow
  return op;
}

function askPersist() {
  // Ask once per start, after the first saved op: the browser must not evict unsent facts.
  if (askedPersist || !navigator.storage?.persist) return;
  askedPersist = true;
  navigator.storage.persisted().then((already) => already || navigator.storage.persist()).catch(() => {});
}

async function refresh() {
  const counts = await client.counts();
  const st = client.state;
  if (st.revoked && session.value) {
    scheduler.stop();
    await markRevoked();
  }
  const before = status.value;
  status.value = {
    online: navigator.onLine,
    ...counts,
    lastOkAt: st.lastOkAt,
    lastError: st.lastError,
    running: scheduler?.running ?? false,
    synced: st.synced,
    mustUpdate: st.mustUpdate,
    cursor: st.cursor,
    nextAt: scheduler?.nextAt ?? null,
  };
  if (before.pending !== counts.pending || before.notices !== counts.notices) opsVersion.value += 1;
}

// What the screens ask of the phone's storage, in their words; the sync layer knows where it lives.

/** Ops of one type recorded since `since` (ms), newest first, each with where it stands: waiting, synced or flagged. */
export const recordedSince = (type, since) => store.recordedSince(client.db, type, since);

/** What receipts not yet synced add to the replica's on-hand figures: Map "bin\x1fsku" -> units. */
export const unsyncedReceipts = async (wh) => unitsReceived(await store.waitingOps(client.db), wh);

/** A screen's unfinished work, kept in IndexedDB so a reload (or a dead battery) loses nothing. */
export const loadDraft = (name) => store.readDraft(client.db, name);
export const saveDraft = (name, draft) => store.keepDraft(client.db, name, draft);

/** The ops a person must look at (the "Mga problema sa sync" screen). */
export const syncProblems = () => store.problems(client.db);
/** Opening the list: every notice is seen, so the badge clears. */
export const seeProblems = async () => {
  await store.markProblemsSeen(client.db);
  await refresh();
};
/** A notice the person has dealt with leaves the list. */
export const settleProblem = async (key) => {
  await store.settleProblem(client.db, key);
  await refresh();
  opsVersion.value += 1;
};
