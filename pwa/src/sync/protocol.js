// Wire messages of the sync protocol, version 1 (sync/PROTOCOL.md §2). JSON on the wire.
//
// Decoding fills in every default (a missing field means its default), so the rest of the client
// never checks for absence; encoding leaves defaults out again, in the field order of
// sync/_protocol.py. Array messages (op, result, note, change) keep their positions: extra trailing
// elements from a newer server are ignored, missing trailing ones take their defaults.

export const PROTOCOL_VERSION = 1;
export const MAX_OPS_PER_PUSH = 1000;

// The rest of the app reads and builds these tuples only through the functions below (a test
// scans pwa/src for any other indexing), so a position is written down in one place.

/** An op is kept exactly as it travels: [id, dev, seq, wall, hlc, type, payload]. */
export const makeOp = (id, dev, seq, wall, hlc, type, payload) => [id, dev, seq, wall, hlc, type, payload];
export const opId = (op) => op[0];
export const opDevice = (op) => op[1];
export const opSeq = (op) => op[2];
/** The phone's wall clock when the fact was recorded (ms): data, never the ordering. */
export const opRecordedAt = (op) => op[3];
export const opHlc = (op) => op[4];
export const opType = (op) => op[5];
export const opPayload = (op) => op[6];
export const decodeOp = (a) => makeOp(a[0], a[1], a[2], a[3], a[4], a[5], a[6] ?? {});
/** The same op (same id, so the server still knows it) under another device's sequence. */
export const opRenumbered = (op, dev, seq) => makeOp(op[0], dev, seq, op[3], op[4], op[5], op[6]);

/** A note on a result: [code, text], the code for machines, the text for a person. */
export const makeNote = (code, text = "") => [code, text];
export const noteCode = (note) => note[0];
export const noteText = (note) => note[1];

/** The server's answer for one op: [seq, status, notes]. */
export const makeResult = (seq, status, notes = []) => [seq, status, notes];
export const resultSeq = (result) => result[0];
export const resultStatus = (result) => result[1];
export const resultNotes = (result) => result[2];

/** One entity changed in the change log: [scope, kind, key, value]; a null value is a deletion. */
export const makeChange = (scope, kind, key, value) => [scope, kind, key, value];
export const changeScope = (change) => change[0];
export const changeKind = (change) => change[1];
export const changeKey = (change) => change[2];
export const changeValue = (change) => change[3];
/** A change as the replica keeps it: {scope, kind, key, val}. */
export const changedEntity = (change) => ({ scope: change[0], kind: change[1], key: change[2], val: change[3] });

const decodeNote = (n) => makeNote(n[0], n[1] ?? "");
const decodeResult = (r) => makeResult(r[0], r[1], (r[2] ?? []).map(decodeNote));
const decodeChange = (c) => makeChange(c[0], c[1], c[2], c[3] ?? null);
const decodeReset = (r) => (r ? { why: r.why, ep: r.ep, hwm: r.hwm ?? 0 } : null);

/** Any response (push, pull or sync) with every field present. */
export function decodeResponse(body) {
  return {
    v: body.v,
    ep: body.ep,
    hwm: body.hwm ?? 0,
    res: (body.res ?? []).map(decodeResult),
    resume_from: body.resume_from ?? null,
    pos: body.pos ?? "",
    cur: body.cur ?? null,
    ch: (body.ch ?? []).map(decodeChange),
    more: body.more ?? false,
    sums: body.sums ?? {},
    reset: decodeReset(body.reset),
    hlc: body.hlc ?? "",
  };
}

/** Requests: {v, ops?, cur?, lim?, pull?}, defaults left out. */
export function encodeRequest({ v = PROTOCOL_VERSION, ops = [], cur = null, lim = 0, pull = true }) {
  const body = { v };
  if (ops.length) body.ops = ops;
  if (cur !== null && cur !== undefined) body.cur = cur;
  if (lim) body.lim = lim;
  if (!pull) body.pull = false;
  return body;
}

export function decodeRequest(body) {
  return {
    v: body.v,
    ops: (body.ops ?? []).map(decodeOp),
    cur: body.cur ?? null,
    lim: body.lim ?? 0,
    pull: body.pull ?? true,
  };
}

// Field order per message, as sync/_protocol.py declares it; `null` marks an optional field.
const RESPONSE_FIELDS = {
  PushResponse: ["v", "ep", "hwm", "res", "resume_from", "pos", "hlc"],
  PullResponse: ["v", "ep", "cur", "ch", "more", "sums", "reset", "hlc"],
  SyncResponse: ["v", "ep", "hwm", "res", "resume_from", "pos", "cur", "ch", "more", "sums", "reset", "hlc"],
};
const ALWAYS = new Set(["v", "ep", "hwm"]);

function isDefault(name, value) {
  if (Array.isArray(value)) return value.length === 0;
  if (value && typeof value === "object") return Object.keys(value).length === 0;
  return value === null || value === "" || value === false;
}

/** The inverse of decodeResponse, for one message kind (the tests prove the round trip). */
export function encodeResponse(message, kind) {
  const body = {};
  for (const name of RESPONSE_FIELDS[kind]) {
    let value = message[name];
    if (kind === "PullResponse" && name === "cur") {
      body.cur = value; // required in a pull response
      continue;
    }
    if (!ALWAYS.has(name) && isDefault(name, value)) continue;
    if (name === "reset") {
      value = { why: value.why, ep: value.ep };
      if (message.reset.hwm) value.hwm = message.reset.hwm;
    }
    body[name] = value;
  }
  return body;
}

/** A Problem Details refusal, with its machine-readable code (clients switch on it, not on status). */
export class Problem extends Error {
  constructor(body, status) {
    super(body?.detail || body?.title || `HTTP ${status}`);
    this.body = body ?? {};
    this.status = status;
    this.code = this.body.code || String(this.body.type || "").split("/").pop() || `http-${status}`;
  }
}

export const decodeProblem = (body, status) => new Problem(body, body?.status ?? status);
