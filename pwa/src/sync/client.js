// The sync client: the phone's half of sync/PROTOCOL.md, over IndexedDB. It mirrors the Python
// reference client (sync/_client.py) step for step; every state change of one response is written
// in one IndexedDB transaction, so a crash or a closed tab never leaves half a page or half a result.
//
// What it guarantees, whatever the network does:
// - an op is in IndexedDB before record() resolves (the UI says "saved" only then);
// - every op is uploaded, in seq order, until the server confirms it by result or by hwm;
// - a gap answer re-uploads from there; ops the phone no longer holds are declared lost by a filler;
// - an op the server refuses even alone is set aside (kept, shown) and its slot filled: no poison op
//   blocks the queue;
// - a new epoch, a reset or an hwm that went backwards drops the replica, keeps the outbox, and
//   re-uploads confirmed ops the server lost.
import { updateSum } from "./checksum.js";
import { Hlc } from "./hlc.js";
import {
  changedEntity,
  decodeResponse,
  encodeRequest,
  makeNote,
  makeOp,
  opRecordedAt,
  opRenumbered,
  opSeq,
  opType,
  Problem,
  resultNotes,
  resultSeq,
  resultStatus,
} from "./protocol.js";
import { clearReplica, requeueAfter, STORES, trimRetained } from "./store.js";

export const SEQ_SKIPPED = "device.seq_skipped@v1";
const HALVE = new Set(["sync-batch-too-large", "sync-body-too-large", "sync-malformed"]);
const LOST_WHY = "the server asked for ops this phone no longer holds";

/** The request may or may not have reached the server: always safe to retry. */
export class NetworkError extends Error {}

export const FRESH_SYNC = Object.freeze({
  epoch: null, // the server history we know
  cursor: null, // how far the replica has read the change log
  confirmed: 0, // the server's hwm for this device, as last heard
  batch: 500,
  failures: 0, // consecutive failed rounds, for backoff
  lastOkAt: 0, // last round trip that reached the end marker
  lastError: "",
  synced: false, // outbox empty and replica at an end marker
  mustUpdate: false, // the server no longer speaks our protocol version
  revoked: false, // the server refused this device's token
});

export class SyncClient {
  constructor({
    db,
    transport,
    now = Date.now,
    newId = () => crypto.randomUUID(),
    maxBatch = 500,
    retain = 10_000,
    retainMs = 7 * 86_400_000,
    pageSize = 0,
    onApplied = () => {},
  }) {
    Object.assign(this, { db, transport, now, newId, maxBatch, retain, retainMs, pageSize, onApplied });
    this.clock = new Hlc(now);
    this.device = null; // {id, user, nextSeq}
    this.state = { ...FRESH_SYNC, batch: maxBatch };
  }

  async load() {
    const meta = this.db.transaction("meta").store;
    const [clock, device, state] = await Promise.all([meta.get("clock"), meta.get("device"), meta.get("sync")]);
    this.clock = new Hlc(this.now, clock ?? "0000000000000000");
    this.device = device ?? null;
    this.state = { ...FRESH_SYNC, batch: this.maxBatch, ...(state ?? {}) };
    return this;
  }

  // -- recording ----------------------------------------------------------------------------------

  /** Record a fact. Resolves once the op is durable in IndexedDB; sync uploads it later. */
  async record(type, payload) {
    const tx = this.db.transaction(["meta", "outbox"], "readwrite");
    const meta = tx.objectStore("meta");
    const device = await meta.get("device");
    if (!device) throw new Error("no device: log in first");
    const seq = device.nextSeq;
    const wall = this.now();
    const op = makeOp(this.newId(), device.id, seq, wall, this.clock.send(), type, payload);
    await tx.objectStore("outbox").add({ seq, op, rec: wall, user: device.user });
    await meta.put({ ...device, nextSeq: seq + 1 }, "device");
    await meta.put(this.clock.last, "clock");
    await tx.done;
    this.device = { ...device, nextSeq: seq + 1 };
    return op;
  }

  /**
   * A login on this phone registered a new device. Unsent ops of the same user move into the new
   * device's sequence with their ids unchanged (PROTOCOL.md §1.1), so an op the server already has
   * is answered `duplicate` and fills its slot, never applied twice; another user's unsent ops are
   * held until that user logs in. Fillers stay behind: they declared the old device's slots lost.
   */
  async useDevice(id, user) {
    if (this.device?.id === id) return;
    const tx = this.db.transaction(STORES, "readwrite");
    const outbox = tx.objectStore("outbox");
    const notices = tx.objectStore("notices");
    const adopt = [];
    for (const row of await outbox.getAll()) {
      if (row.user === user) adopt.push(row);
      else await notices.add({ seq: row.seq, op: row.op, st: "held", user: row.user, notes: [], at: this.now() });
    }
    let cursor = await notices.openCursor();
    while (cursor) {
      if (cursor.value.st === "held" && cursor.value.user === user) {
        adopt.push({ op: cursor.value.op, rec: opRecordedAt(cursor.value.op), user });
        await cursor.delete();
      }
      cursor = await cursor.continue();
    }
    await outbox.clear();
    await tx.objectStore("retained").clear(); // confirmed under the old device: nothing to re-upload
    adopt.sort((a, b) => opSeq(a.op) - opSeq(b.op));
    let seq = 1;
    for (const row of adopt) {
      if (opType(row.op) === SEQ_SKIPPED) continue;
      await outbox.put({ seq, op: opRenumbered(row.op, id, seq), rec: row.rec, user });
      seq += 1;
    }
    // A new device is a new reader of the change log: start the replica again.
    await clearReplica(tx);
    const device = { id, user, nextSeq: seq };
    const state = { ...FRESH_SYNC, batch: this.maxBatch };
    await tx.objectStore("meta").put(device, "device");
    await tx.objectStore("meta").put(state, "sync");
    await tx.done;
    this.device = device;
    this.state = state;
    this.onApplied({ cleared: true, hard: true, changes: [], end: false });
  }

  // -- syncing ------------------------------------------------------------------------------------

  /** Milliseconds before the next try after failures: 1 s, 2 s, 4 s ... at most 5 min, jittered. */
  backoffMs(jitter = Math.random()) {
    const f = this.state.failures;
    return f ? Math.min(300, 2 ** Math.min(f - 1, 9)) * 1000 * (0.5 + jitter / 2) : 0;
  }

  get stopped() {
    return this.state.mustUpdate || this.state.revoked || !this.device;
  }

  /** Push and pull until both are done, the network fails, or the server stops us. */
  async sync(maxRounds = 100) {
    const report = { rounds: 0, pushed: 0, changes: 0, resets: 0, done: false, error: "" };
    while (report.rounds < maxRounds && !this.stopped) {
      report.rounds += 1;
      const more = await this.round(report);
      if (report.error) return report;
      if (!more) {
        report.done = true;
        return report;
      }
    }
    return report;
  }

  /** One request and its response. Resolves true when there is more to do at once. */
  async round(report = { rounds: 0, pushed: 0, changes: 0, resets: 0, done: false, error: "" }) {
    const pending = await this.db.getAll("outbox", null, this.state.batch);
    const batch = pending.map((row) => row.op);
    const body = encodeRequest({ ops: batch, cur: this.state.cursor, lim: this.pageSize });
    let response;
    try {
      response = decodeResponse(await this.transport.sync(body));
    } catch (exc) {
      return this._failed(exc, batch, report);
    }
    report.pushed += batch.length;
    return this._absorb(response, batch, report);
  }

  async _failed(exc, batch, report) {
    const state = { ...this.state, failures: this.state.failures + 1, synced: false };
    let more = false;
    if (exc instanceof Problem) {
      report.error = `${exc.code}: ${exc.message}`;
      state.lastError = report.error;
      if (exc.code === "sync-unsupported-version") state.mustUpdate = true;
      else if (exc.code === "sync-device-revoked" || exc.status === 401) state.revoked = true;
      else if (HALVE.has(exc.code) && batch.length) {
        if (batch.length > 1) state.batch = Math.max(1, Math.floor(batch.length / 2));
        else await this._setAside(batch[0], `the server cannot take this op: ${exc.code}`);
        state.failures = this.state.failures; // not a failure of the network: go on at once
        report.error = "";
        more = true;
      }
    } else {
      report.error = exc instanceof NetworkError ? `network: ${exc.message}` : String(exc?.message ?? exc);
      state.lastError = report.error;
    }
    await this._saveState(state);
    return more;
  }

  async _setAside(op, why) {
    // Keep the op where a person can see it, and fill its slot so the queue moves on.
    const tx = this.db.transaction(["meta", "outbox", "notices"], "readwrite");
    const seq = opSeq(op);
    await tx.objectStore("notices").add({ seq, op, st: "set_aside", notes: [makeNote("set_aside", why)], at: this.now() });
    await tx.objectStore("outbox").delete(seq);
    await this._fill(tx, seq, seq, why);
    await tx.objectStore("meta").put(this.clock.last, "clock");
    await tx.done;
  }

  async _fill(tx, first, last, why) {
    const payload = { to: last, why: why.slice(0, 500) };
    const op = makeOp(this.newId(), this.device.id, first, this.now(), this.clock.send(), SEQ_SKIPPED, payload);
    await tx.objectStore("outbox").put({ seq: first, op, rec: this.now(), user: this.device.user });
  }

  async _saveState(state) {
    await this.db.put("meta", state, "sync");
    this.state = state;
  }

  async _absorb(r, batch, report) {
    if (r.hlc) this.clock.receive(r.hlc);
    const tx = this.db.transaction(STORES, "readwrite");
    const state = { ...this.state, failures: 0, lastError: "" };
    let cleared = false;
    const newEpoch = state.epoch !== null && r.ep !== state.epoch;
    if (newEpoch) {
      // A restored or reset server: what it confirmed after r.hwm is gone, so upload it again.
      await clearReplica(tx);
      cleared = true;
      state.cursor = null;
      state.confirmed = r.hwm;
      await requeueAfter(tx, r.hwm);
      report.resets += 1;
    }
    state.epoch = r.ep;
    await this._takeResults(tx, r.res);
    await this._takeHwm(tx, state, r.hwm);
    if (r.resume_from !== null) await this._resume(tx, state, r.resume_from);
    if (batch.length === state.batch && state.batch < this.maxBatch) {
      state.batch = Math.min(this.maxBatch, state.batch * 2);
    }
    let more;
    let changes = [];
    if (r.reset) {
      if (!newEpoch) {
        await clearReplica(tx);
        cleared = true;
        report.resets += 1;
      }
      state.cursor = null;
      more = true; // pull again from the beginning
    } else if (r.cur !== null) {
      changes = r.ch;
      more = await this._takePage(tx, state, r, report);
      if (more === "drift") {
        cleared = true;
        changes = [];
        more = true;
      }
    } else more = false;
    const pending = await tx.objectStore("outbox").count();
    state.synced = !more && pending === 0;
    if (!more) state.lastOkAt = this.now();
    await tx.objectStore("meta").put(state, "sync");
    await tx.objectStore("meta").put(this.clock.last, "clock");
    await tx.done;
    this.state = state;
    report.changes += changes.length;
    const end = !more && r.cur !== null; // the replica is a consistent picture of the server now
    if (cleared || changes.length || end) this.onApplied({ cleared, hard: false, changes, end });
    return more || pending > 0;
  }

  async _takeResults(tx, results) {
    const outbox = tx.objectStore("outbox");
    for (const result of results) {
      const seq = resultSeq(result);
      const st = resultStatus(result);
      const row = seq ? await outbox.get(seq) : undefined;
      if (!row) continue; // already confirmed by an earlier answer
      if (st === "flagged" || st === "rejected") {
        await tx.objectStore("notices").add({ seq, op: row.op, st, notes: resultNotes(result), at: this.now() });
      }
      await this._confirm(tx, row, st);
    }
  }

  async _confirm(tx, row, st) {
    await tx.objectStore("outbox").delete(row.seq);
    await tx.objectStore("retained").put({ ...row, st, at: this.now() });
  }

  async _takeHwm(tx, state, hwm) {
    // Same epoch but the server forgot ops it had confirmed (restored without a new epoch).
    if (hwm < state.confirmed) await requeueAfter(tx, hwm);
    state.confirmed = hwm;
    const outbox = tx.objectStore("outbox");
    let cursor = await outbox.openCursor(IDBKeyRange.upperBound(hwm));
    while (cursor) {
      await tx.objectStore("retained").put({ ...cursor.value, st: "applied", at: this.now() });
      await cursor.delete();
      cursor = await cursor.continue();
    }
    await trimRetained(tx, this.retain, this.retainMs, this.now());
  }

  async _resume(tx, state, from) {
    const outbox = tx.objectStore("outbox");
    await requeueAfter(tx, from - 1);
    state.confirmed = Math.min(state.confirmed, from - 1);
    const first = await outbox.openCursor();
    const firstSeq = first ? first.value.seq : this.device.nextSeq;
    if (firstSeq > from) await this._fill(tx, from, firstSeq - 1, LOST_WHY);
  }

  async _takePage(tx, state, r, report) {
    // The page and its cursor go into the same transaction: all of the page or none of it.
    const replica = tx.objectStore("replica");
    const meta = tx.objectStore("meta");
    const sums = (await meta.get("sums")) ?? {};
    for (const change of r.ch) {
      const { scope, kind, key, val } = changedEntity(change);
      const old = await replica.get([scope, kind, key]);
      sums[scope] = updateSum(sums[scope], kind, key, old?.val, val);
      if (val === null) await replica.delete([scope, kind, key]);
      else await replica.put({ scope, kind, key, val });
    }
    await meta.put(sums, "sums");
    state.cursor = r.cur;
    if (!r.more && Object.keys(r.sums).length) {
      const drifted = Object.entries(r.sums).some(([scope, sum]) => (sums[scope] ?? "0".repeat(16)) !== sum);
      if (drifted) {
        // Drift (a bug somewhere, or local tampering): the cure is a clean download.
        await clearReplica(tx);
        state.cursor = null;
        report.resets += 1;
        return "drift";
      }
    }
    return r.more;
  }

  // -- what the status bar shows ------------------------------------------------------------------

  async counts() {
    const tx = this.db.transaction(["outbox", "notices"]);
    const outbox = tx.objectStore("outbox");
    const [pending, first, all] = await Promise.all([
      outbox.count(),
      outbox.openCursor(),
      tx.objectStore("notices").getAll(),
    ]);
    // The badge counts what nobody has looked at yet: opening the list clears it (store.js).
    return { pending, oldest: first ? first.value.rec : null, notices: all.filter((n) => !n.seen).length };
  }
}
