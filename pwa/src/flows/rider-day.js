// What every rider screen reads: the stops on this phone (route order), what this phone recorded
// about each, the cash in hand; and the two things that run in the background while the rider
// app is open: uploading proof photos, and purging a closed run's personal data.
import { signal } from "@preact/signals";
import { useEffect, useState } from "preact/hooks";
import { loadDraft, opsVersion, recordedSince, saveDraft, status, syncClient } from "../engine.js";
import { version } from "../reference.js";
import { session } from "../session.js";
import { cashInHand, RIDER_OPS, riderDay } from "../sync/rider-ops.js";
import { blobCounts, carried, carry, keepBlob, openRiderStore, ordersToPurge, purgeOrders, runOnPhone, uploadBlobs } from "../sync/rider-store.js";
import { startOfManilaDay } from "../ui/kit.js";

let rdb = null;
export const riderStore = () => (rdb ??= openRiderStore());

/** Photos and signatures waiting to upload, and how many were purged last time (for the screens). */
export const proofs = signal({ waiting: 0, sent: 0, purged: 0 });

/** The status a stop shows: this phone's own latest attempt wins over what the server last said. */
export function stopState(stop, mine) {
  if (mine?.outcome) return mine.outcome; // "delivered" | "failed"
  if (stop.status === "delivered") return "delivered";
  if (stop.status === "failed_delivery") return "failed";
  if (stop.status === "cancelled") return "cancelled";
  return "todo";
}

async function load() {
  const db = syncClient().db;
  const { stops, serverCash: heard } = await runOnPhone(db);
  // A zero balance is no entity at all (the server deletes it): once a pull has reached its end,
  // no cash entity means nothing in hand, not "not heard yet".
  const serverCash = heard ?? (status.value.lastOkAt ? 0 : null);
  const rows = (await Promise.all(RIDER_OPS.map((t) => recordedSince(t, 0)))).flat();
  const today = riderDay(rows.filter((r) => r.rec >= startOfManilaDay()));
  const all = riderDay(rows);
  const withState = stops.map((s) => ({ ...s, mine: all.byOrder.get(s.order) ?? null, state: stopState(s, all.byOrder.get(s.order)) }));
  const count = (st) => withState.filter((s) => s.state === st).length;
  await housekeeping(stops);
  return {
    stops: withState,
    serverCash,
    today,
    inHand: cashInHand(rows, serverCash),
    delivered: count("delivered"),
    failed: count("failed"),
    cancelled: count("cancelled"),
    toGo: count("todo"),
  };
}

/** Reloads whenever the replica or the outbox changes. null while loading. */
export function useRun() {
  const tick = `${version.value}:${opsVersion.value}:${status.value.synced}`;
  const [run, setRun] = useState(null);
  useEffect(() => {
    let live = true;
    load().then((r) => live && setRun(r));
    return () => (live = false);
  }, [tick]);
  return run;
}

// -- background: uploads and purge -------------------------------------------------------------

let uploading = null;

/** Upload waiting proofs now (after a save, on reconnect, every half minute while the app is open). */
export function uploadProofs() {
  const token = session.value?.token;
  if (!token || uploading) return uploading;
  uploading = (async () => {
    try {
      const store = await riderStore();
      await uploadBlobs(store, { token });
      proofs.value = { ...proofs.value, ...(await blobCounts(store)) };
    } finally {
      uploading = null;
    }
  })();
  return uploading;
}

let started = false;
export function startBackground() {
  if (started) return;
  started = true;
  riderStore().then(async (store) => (proofs.value = { ...proofs.value, ...(await blobCounts(store)) }));
  addEventListener("online", () => uploadProofs());
  setInterval(() => navigator.onLine && uploadProofs(), 30_000);
  uploadProofs();
}

export const draftNames = (order) => [`rider:deliver:${order}`, `rider:fail:${order}`];

async function housekeeping(stops) {
  const store = await riderStore();
  const orders = stops.map((s) => s.order);
  const before = await carried(store);
  await carry(store, orders);
  const st = status.value;
  if (st.synced && proofs.value.waiting > 0) uploadProofs(); // the server answers again: send the photos too
  const gone = ordersToPurge(before, orders, { synced: st.synced && st.pending === 0 });
  if (gone.length) {
    await uploadProofs(); // a photo still waiting is kept by the purge; try to send it first
    const out = await purgeOrders(store, syncClient().db, gone, draftNames);
    proofs.value = { ...proofs.value, ...(await blobCounts(store)), purged: proofs.value.purged + gone.length };
    console.info("bodega: purged a closed run's data", out);
  }
}

/** Keep a photo or signature on the phone (before any op names it); resolves its id. */
export const keepProof = async (blob, order, kind) => {
  const sha = await keepBlob(await riderStore(), blob, { order, kind });
  proofs.value = { ...proofs.value, ...(await blobCounts(await riderStore())) };
  return sha;
};

export { loadDraft, saveDraft };
