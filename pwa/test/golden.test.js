// The JavaScript client against the golden messages in fixtures/protocol/: the same test vectors
// the Python reference client is checked against.
import { describe, expect, it } from "vitest";
import { canonicalJson, scopeChecksum } from "../src/sync/checksum.js";
import { encodeHlc, Hlc } from "../src/sync/hlc.js";
import {
  COUNT_TASK_CREATED,
  countTaskCreated,
  stockCounted,
  stockReceived,
  STOCK_COUNTED,
  STOCK_RECEIVED,
} from "../src/sync/ops.js";
import { DELIVERY_ATTEMPTED, deliveryAttempted } from "../src/sync/rider-ops.js";
import {
  decodeOp,
  decodeProblem,
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  Problem,
} from "../src/sync/protocol.js";
import { golden, goldenNames, goldenOps, newClient, scripted } from "./helpers.js";

const DEV = "0b7e3a52-5c1d-4f0e-9a57-2f4c8e1d6b90";
const RESPONSES = ["PushResponse", "PullResponse", "SyncResponse"];
const REQUESTS = ["PushRequest", "PullRequest", "SyncRequest"];

describe("golden messages round-trip exactly", () => {
  for (const name of goldenNames()) {
    const { message, body } = golden(name);
    it(`${name} (${message})`, () => {
      let again;
      if (RESPONSES.includes(message)) again = encodeResponse(decodeResponse(body), message);
      else if (REQUESTS.includes(message)) again = encodeRequest(decodeRequest(body));
      else if (message === "Problem") {
        const problem = decodeProblem(body, body.status);
        expect(problem).toBeInstanceOf(Problem);
        expect(problem.code).toBe(body.code);
        again = problem.body;
      }
      expect(JSON.stringify(again)).toBe(JSON.stringify(body));
    });
  }

  for (const [type, { body }] of goldenOps()) {
    it(`op ${type}`, () => {
      expect(JSON.stringify(decodeOp(body))).toBe(JSON.stringify(body));
    });
  }

  it("extra trailing elements and unknown fields from a newer server are ignored", () => {
    const body = { ...golden("push_response").body, future: 1 };
    body.res = body.res.map((r) => [...r, "later"]);
    const decoded = decodeResponse(body);
    expect(decoded.res[0]).toEqual([1, "applied", []]);
    expect(decoded).not.toHaveProperty("future");
  });
});

describe("the op builders make the golden payloads", () => {
  const ops = Object.fromEntries(goldenOps());
  it("stock.received", () => {
    const body = ops[STOCK_RECEIVED].body;
    expect(JSON.stringify(stockReceived(body[6]))).toBe(JSON.stringify(body[6]));
    const plain = golden("push_request").body.ops[0][6];
    expect(stockReceived({ ...plain, ref: "" })).toEqual(plain); // an empty ref is left off
  });
  it("stock.counted", () => {
    const body = ops[STOCK_COUNTED].body;
    expect(JSON.stringify(stockCounted(body[6]))).toBe(JSON.stringify(body[6]));
  });
  it("count_task.created", () => {
    const body = ops[COUNT_TASK_CREATED].body;
    expect(JSON.stringify(countTaskCreated(body[6]))).toBe(JSON.stringify(body[6]));
    const bySkus = { task: body[6].task, wh: "VAL", skus: ["S1", "S1", "S2"] };
    expect(countTaskCreated(bySkus)).toEqual({ task: body[6].task, wh: "VAL", skus: ["S1", "S2"] });
    expect(() => countTaskCreated({ task: body[6].task, wh: "VAL" })).toThrow(/bin/);
    expect(() => countTaskCreated({ task: "T-1", wh: "VAL", bin: "B" })).toThrow(/UUID/);
  });
  it("delivery.attempted@v2: the reschedule day a field of its own, on the day it was recorded", () => {
    const p = ops[DELIVERY_ATTEMPTED].body[6];
    const built = deliveryAttempted({ ...p, rescheduleOn: p.reschedule_on, today: "2026-01-01" });
    expect(JSON.stringify(built)).toBe(JSON.stringify(p));
  });
  it("refuses what the server would reject", () => {
    expect(() => stockReceived({ wh: "VAL", bin: "RCV-01", sku: "X", qty: 0 })).toThrow(/qty/);
    expect(() => stockReceived({ wh: "VAL", bin: "", sku: "X", qty: 1 })).toThrow(/bin/);
    expect(() => stockCounted({ wh: "VAL", bin: "B", sku: "X", counted: 1.5 })).toThrow(/counted/);
    expect(() => stockReceived({ wh: "VAL", bin: "B".repeat(65), sku: "X", qty: 1 })).toThrow(/64/);
  });
});

describe("the client writes the golden requests", () => {
  it("sync_request: one recorded op, a cursor and a page size", async () => {
    const op = golden("sync_request").body.ops[0];
    const transport = scripted(golden("sync_response").body);
    const client = await newClient({ dev: DEV, transport, now: () => op[3], newId: () => op[0], pageSize: 500 });
    client.state.cursor = "3f9c2a71:48211";
    await client.record(op[5], stockReceived(op[6]));
    await client.round();
    expect(JSON.stringify(transport.sent[0])).toBe(JSON.stringify(golden("sync_request").body));
  });

  it("sync_request_noop: nothing to upload", async () => {
    const transport = scripted(golden("sync_response_noop").body);
    const client = await newClient({ dev: DEV, transport });
    client.state.cursor = "3f9c2a71:48230";
    client.state.epoch = "3f9c2a71";
    await client.round();
    expect(transport.sent[0]).toEqual(golden("sync_request_noop").body);
  });

  it("push_request: three ops in seq order, stamped with the recording clock", async () => {
    const ops = golden("push_request").body.ops;
    let current = ops[0];
    const client = await newClient({ dev: DEV, now: () => current[3], newId: () => current[0] });
    for (const op of ops) {
      current = op;
      await client.record(op[5], op[6]);
    }
    const outbox = (await client.db.getAll("outbox")).map((row) => row.op);
    expect(JSON.stringify({ v: 1, ops: outbox })).toBe(JSON.stringify(golden("push_request").body));
  });
});

describe("the client absorbs the golden responses", () => {
  async function withThreeOps(...answers) {
    const transport = scripted(...answers);
    const client = await newClient({ dev: DEV, transport });
    for (const op of golden("push_request").body.ops) await client.record(op[5], op[6]);
    return client;
  }

  it("push_response: every answered op leaves the outbox; the flagged one is shown", async () => {
    const client = await withThreeOps({ ...golden("push_response").body, cur: "3f9c2a71:48230" });
    await client.round();
    expect(await client.counts()).toMatchObject({ pending: 0, notices: 1 });
    const [notice] = await client.db.getAll("notices");
    expect(notice.st).toBe("flagged");
    expect(notice.notes[0][1]).toContain("₱1,299.00");
    expect(await client.db.count("retained")).toBe(3);
    expect(client.state.confirmed).toBe(3);
  });

  it("push_response_rejected: the rejected op is kept where a person sees it, the rest go on", async () => {
    const client = await newClient({ dev: DEV, transport: scripted(golden("push_response_rejected").body) });
    for (let n = 0; n < 6; n++) await client.record(STOCK_RECEIVED, { wh: "VAL", bin: "B", sku: "S", qty: 1 });
    await client.round();
    const notices = await client.db.getAll("notices");
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ seq: 5, st: "rejected" });
    expect(notices[0].notes[0][0]).toBe("invalid_payload");
    expect(await client.db.count("outbox")).toBe(0);
  });

  it("push_response_gap: ops the phone no longer holds are declared lost by a filler at resume_from", async () => {
    const client = await newClient({ dev: DEV, transport: scripted(golden("push_response_gap").body) });
    client.device.nextSeq = 14;
    await client.db.put("meta", client.device, "device");
    await client.record(STOCK_RECEIVED, { wh: "VAL", bin: "B", sku: "S", qty: 1 }); // seq 14
    await client.round();
    const outbox = await client.db.getAll("outbox");
    expect(outbox.map((r) => r.seq)).toEqual([12, 14]);
    expect(outbox[0].op[5]).toBe("device.seq_skipped@v1");
    expect(outbox[0].op[6].to).toBe(13);
  });

  it("pull pages: applied with their cursor; the end marker's sums match the replica", async () => {
    const page = golden("pull_response_page").body;
    const end = golden("pull_response_end").body;
    const applied = [];
    const client = await newClient({
      dev: DEV,
      transport: scripted({ ...page, hwm: 0 }, { ...end, hwm: 0 }),
      onApplied: (e) => applied.push(e),
    });
    const report = await client.sync();
    expect(report).toMatchObject({ done: true, resets: 0, changes: 5 });
    expect(client.state.cursor).toBe(end.cur);
    expect(client.state.synced).toBe(true);
    const sums = (await client.db.get("meta", "sums")) ?? {};
    for (const [scope, sum] of Object.entries(end.sums)) expect(sums[scope] ?? "0".repeat(16)).toBe(sum);
    const rows = await client.db.getAll("replica");
    for (const [scope, sum] of Object.entries(end.sums)) {
      const entities = rows.filter((r) => r.scope === scope).map((r) => [r.kind, r.key, r.val]);
      expect(scopeChecksum(entities)).toBe(sum);
    }
    expect(rows.find((r) => r.key === "RCV-01/SKU-TSHIRT-M")).toBeUndefined(); // null deletes
    expect(applied.flatMap((a) => a.changes)).toHaveLength(5);
  });

  it("a checksum that does not match drops the replica and pulls from the beginning", async () => {
    const page = golden("pull_response_page").body;
    const end = golden("pull_response_end").body;
    const bad = { ...end, hwm: 0, sums: { ...end.sums, catalog: "0123456789abcdef" } };
    const client = await newClient({ dev: DEV, transport: scripted({ ...page, hwm: 0 }, bad, (body) => {
      expect(body.cur).toBeUndefined(); // the pull starts again from the beginning
      return { ...end, hwm: 0, sums: {}, ch: [] };
    }) });
    const report = await client.sync();
    expect(report.resets).toBe(1);
    expect(report.done).toBe(true);
  });

  it("pull_response_reset: drop the replica, keep the outbox, upload again everything after hwm", async () => {
    const client = await newClient({ dev: DEV, transport: scripted() });
    for (let n = 0; n < 12; n++) await client.record(STOCK_RECEIVED, { wh: "VAL", bin: "B", sku: "S", qty: 1 });
    // The server confirmed all twelve (epoch 3f9c2a71), then was restored: it now has up to 9.
    client.transport = scripted({ v: 1, ep: "3f9c2a71", hwm: 12, cur: "3f9c2a71:50", ch: [["wh:VAL", "bin", "B/S", 12]] });
    await client.round();
    expect(await client.db.count("outbox")).toBe(0);
    expect(await client.db.count("replica")).toBe(1);
    client.transport = scripted({ ...golden("pull_response_reset").body, hwm: 9 });
    await client.round();
    expect((await client.db.getAllKeys("outbox"))).toEqual([10, 11, 12]);
    expect(await client.db.count("replica")).toBe(0);
    expect(client.state.cursor).toBeNull();
    expect(client.state.epoch).toBe("7d01be44");
  });

  it("an hwm below what was confirmed (a restore the epoch did not reveal) re-uploads", async () => {
    const client = await newClient({ dev: DEV, transport: scripted({ v: 1, ep: "e1", hwm: 3, cur: "e1:3" }) });
    for (let n = 0; n < 3; n++) await client.record(STOCK_RECEIVED, { wh: "VAL", bin: "B", sku: "S", qty: 1 });
    await client.round();
    client.transport = scripted({ v: 1, ep: "e1", hwm: 1, cur: "e1:3" });
    await client.round();
    expect(await client.db.getAllKeys("outbox")).toEqual([2, 3]);
  });

  it("problem_batch_too_large: halve the batch; an op refused alone is set aside and its slot filled", async () => {
    const tooLarge = () => decodeProblem(golden("problem_batch_too_large").body, 413);
    const client = await newClient({ dev: DEV, transport: scripted(tooLarge(), tooLarge()), maxBatch: 2 });
    await client.record(STOCK_RECEIVED, { wh: "VAL", bin: "B", sku: "S", qty: 1 });
    await client.record(STOCK_RECEIVED, { wh: "VAL", bin: "B", sku: "S", qty: 2 });
    expect(await client.round()).toBe(true);
    expect(client.state.batch).toBe(1);
    expect(await client.round()).toBe(true);
    const [notice] = await client.db.getAll("notices");
    expect(notice).toMatchObject({ seq: 1, st: "set_aside" });
    const outbox = await client.db.getAll("outbox");
    expect(outbox.map((r) => [r.seq, r.op[5]])).toEqual([[1, "device.seq_skipped@v1"], [2, STOCK_RECEIVED]]);
    expect(outbox[0].op[6].to).toBe(1);
  });

  it("problem_unsupported_version: stop syncing, keep every op", async () => {
    const client = await newClient({
      dev: DEV,
      transport: scripted(decodeProblem(golden("problem_unsupported_version").body, 400)),
    });
    await client.record(STOCK_RECEIVED, { wh: "VAL", bin: "B", sku: "S", qty: 1 });
    const report = await client.sync();
    expect(report.error).toMatch(/sync-unsupported-version/);
    expect(client.state.mustUpdate).toBe(true);
    expect(client.stopped).toBe(true);
    expect(await client.db.count("outbox")).toBe(1);
  });
});

describe("clock and checksums follow the protocol text", () => {
  it("canonical JSON sorts keys and leaves non-ASCII raw", () => {
    expect(canonicalJson({ b: 1, a: [{ d: null, c: "ñ" }] })).toBe('{"a":[{"c":"ñ","d":null}],"b":1}');
  });
  it("an empty scope sums to sixteen zeros", () => {
    expect(scopeChecksum([])).toBe("0000000000000000");
  });
  it("HLC send and receive", () => {
    let now = 1000;
    const clock = new Hlc(() => now);
    expect(clock.send()).toBe(encodeHlc(1000, 0));
    expect(clock.send()).toBe(encodeHlc(1000, 1));
    expect(clock.receive(encodeHlc(5000, 7))).toBe(encodeHlc(5000, 8)); // the server's clock is ahead
    now = 9000;
    expect(clock.send()).toBe(encodeHlc(9000, 0));
    expect(clock.receive(encodeHlc(9000, 4))).toBe(encodeHlc(9000, 5));
    const full = new Hlc(() => 0, encodeHlc(7, 0xffff));
    expect(full.send()).toBe(encodeHlc(8, 0)); // counter overflow borrows the next millisecond
  });
});
