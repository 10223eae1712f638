// The JavaScript client against the Python reference server (sync.ReferenceServer) over a pipe:
// lost requests, lost answers, a restored server, a poison op, a revoked phone, a re-login.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { NetworkError, SEQ_SKIPPED } from "../src/sync/client.js";
import { STOCK_RECEIVED } from "../src/sync/ops.js";
import { Problem } from "../src/sync/protocol.js";
import { PYTHON, startReferenceServer } from "./bridge.js";
import { newClient, stockReceived } from "./helpers.js";

const SCOPES = ["wh:VAL"];
let ref;

beforeAll(() => {
  if (PYTHON) ref = startReferenceServer();
});
afterAll(() => ref?.close());

describe.skipIf(!PYTHON)("against the Python reference server", () => {
  beforeEach(async () => {
    await ref.call({ cmd: "new", scopes: { A: SCOPES, B: SCOPES, "dev-1": SCOPES } });
  });

  /** Sync until done, retrying after network failures as the scheduler would (without waiting). */
  async function syncThrough(client, network, { flaky = () => null } = {}) {
    for (let attempt = 0; attempt < 500; attempt++) {
      network.drop = flaky(attempt);
      const report = await client.sync();
      if (report.done) return report;
      if (client.stopped) return report;
    }
    throw new Error("never finished");
  }

  function expectedBins(payloads) {
    const bins = new Map();
    for (const p of payloads) {
      const k = `${p.bin}/${p.sku}`;
      bins.set(k, (bins.get(k) ?? 0) + p.qty);
    }
    return bins;
  }

  async function ledgerBins() {
    const { bins } = await ref.call({ cmd: "ledger" });
    return new Map(bins.filter((b) => b[3] !== 0).map(([, bin, sku, qty]) => [`${bin}/${sku}`, qty]));
  }

  it("lost requests and lost answers: every op applied exactly once, replica matches the server", async () => {
    const network = { drop: null };
    const client = await newClient({ dev: "A", transport: ref.transport("A", network), maxBatch: 16 });
    const payloads = [];
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let n = 0; n < 120; n++) {
      payloads.push(stockReceived(n));
      await client.record(STOCK_RECEIVED, payloads.at(-1));
      if (n % 10 === 9) {
        network.drop = random() < 0.3 ? "response" : random() < 0.3 ? "request" : null;
        await client.sync();
      }
    }
    await syncThrough(client, network, { flaky: (i) => (i < 6 ? ["response", "request"][i % 2] : null) });
    const { applications, sums } = await ref.call({ cmd: "ledger" });
    expect(Object.values(applications).every((n) => n === 1)).toBe(true);
    expect(Object.keys(applications)).toHaveLength(120);
    expect(await ledgerBins()).toEqual(expectedBins(payloads));
    expect(await client.counts()).toMatchObject({ pending: 0 });
    expect((await client.db.get("meta", "sums"))["wh:VAL"]).toBe(sums["wh:VAL"]);
    expect(client.state.synced).toBe(true);
  });

  it("a server restored from a backup gets back every op it lost, once", async () => {
    const network = { drop: null };
    const client = await newClient({ dev: "A", transport: ref.transport("A", network) });
    const payloads = [];
    const receive = async (n) => {
      payloads.push(stockReceived(n));
      await client.record(STOCK_RECEIVED, payloads.at(-1));
    };
    for (let n = 0; n < 10; n++) await receive(n);
    await client.sync();
    await ref.call({ cmd: "snapshot" });
    for (let n = 10; n < 25; n++) await receive(n);
    await client.sync();
    expect(await ledgerBins()).toEqual(expectedBins(payloads));
    await ref.call({ cmd: "restore" }); // the last 15 ops are gone from the server
    for (let n = 25; n < 30; n++) await receive(n);
    const report = await syncThrough(client, network);
    expect(report.resets).toBeGreaterThan(0);
    expect(await ledgerBins()).toEqual(expectedBins(payloads));
    const { sums } = await ref.call({ cmd: "ledger" });
    expect((await client.db.get("meta", "sums"))["wh:VAL"]).toBe(sums["wh:VAL"]);
  });

  it("a poison op refused even alone is set aside; the ops behind it go through", async () => {
    const inner = ref.transport("A");
    const poisonQty = 999_999;
    const transport = {
      async sync(body) {
        if ((body.ops ?? []).some((op) => op[6].qty === poisonQty)) {
          throw new Problem({ code: "sync-body-too-large", status: 413, detail: "too large" }, 413);
        }
        return inner.sync(body);
      },
    };
    const client = await newClient({ dev: "A", transport });
    const payloads = [];
    for (let n = 0; n < 8; n++) {
      const p = stockReceived(n, n === 3 ? { qty: poisonQty } : {});
      if (n !== 3) payloads.push(p);
      await client.record(STOCK_RECEIVED, p);
    }
    const report = await client.sync();
    expect(report.done).toBe(true);
    expect(await ledgerBins()).toEqual(expectedBins(payloads));
    const notices = await client.db.getAll("notices");
    expect(notices.map((n) => n.st)).toEqual(["set_aside", "flagged"]); // the filler raises ops_lost
    expect(notices[1].notes[0][0]).toBe("ops_lost");
  });

  it("a revoked phone stops syncing and keeps its outbox", async () => {
    const client = await newClient({ dev: "A", transport: ref.transport("A") });
    await client.record(STOCK_RECEIVED, stockReceived(1));
    await ref.call({ cmd: "revoke", dev: "A" });
    const report = await client.sync();
    expect(report.error).toMatch(/sync-device-revoked/);
    expect(client.state.revoked).toBe(true);
    expect(client.stopped).toBe(true);
    expect(await client.db.count("outbox")).toBe(1);
  });

  it("logging in again on the phone uploads the kept outbox under the new device, never twice", async () => {
    const network = { drop: null };
    let dev = "A";
    const transport = { sync: (body) => ref.transport(dev, network).sync(body) };
    const client = await newClient({ dev: "A", user: "val", transport });
    const payloads = [];
    for (let n = 0; n < 6; n++) {
      payloads.push(stockReceived(n));
      await client.record(STOCK_RECEIVED, payloads.at(-1));
    }
    network.drop = "response"; // the server has ops 1..6, the phone never heard
    await client.sync();
    network.drop = null;
    for (let n = 6; n < 9; n++) {
      payloads.push(stockReceived(n));
      await client.record(STOCK_RECEIVED, payloads.at(-1));
    }
    await ref.call({ cmd: "revoke", dev: "A" });
    await client.sync();
    expect(client.state.revoked).toBe(true);
    dev = "B";
    await client.useDevice("B", "val");
    expect(await client.db.count("outbox")).toBe(9);
    const report = await syncThrough(client, network);
    expect(report.done).toBe(true);
    const { applications } = await ref.call({ cmd: "ledger" });
    expect(Object.values(applications).every((n) => n === 1)).toBe(true);
    expect(await ledgerBins()).toEqual(expectedBins(payloads));
  });

  it("a re-login leaves the old device's fillers behind: they speak of its slots, not the new one's", async () => {
    const network = { drop: null };
    let dev = "A";
    const client = await newClient({ dev: "A", user: "val", transport: { sync: (b) => ref.transport(dev, network).sync(b) } });
    const payloads = [stockReceived(1), stockReceived(2)];
    await client.record(STOCK_RECEIVED, payloads[0]);
    await client.record(SEQ_SKIPPED, { to: 5, why: "lost" });
    await client.record(STOCK_RECEIVED, payloads[1]);
    network.drop = "response"; // journalled under A, the phone never heard
    await client.sync();
    network.drop = null;
    dev = "B";
    await client.useDevice("B", "val");
    const moved = await client.db.getAll("outbox");
    expect(moved.map((row) => [row.seq, row.op[5]])).toEqual([[1, STOCK_RECEIVED], [2, STOCK_RECEIVED]]);
    expect((await syncThrough(client, network)).done).toBe(true);
    expect(client.state.confirmed).toBe(2); // the duplicates filled B's slots 1-2
    const { applications } = await ref.call({ cmd: "ledger" });
    expect(Object.values(applications).every((n) => n === 1)).toBe(true);
    expect(await ledgerBins()).toEqual(expectedBins(payloads));
  });

  it("another user's unsent ops are held, not sent as theirs, until that user logs in again", async () => {
    const client = await newClient({ dev: "A", user: "val", transport: ref.transport("A") });
    await client.record(STOCK_RECEIVED, stockReceived(1));
    await client.useDevice("B", "other");
    expect(await client.db.count("outbox")).toBe(0);
    expect((await client.db.getAll("notices"))[0]).toMatchObject({ st: "held", user: "val" });
    await client.useDevice("dev-1", "val");
    expect(await client.db.count("outbox")).toBe(1);
  });
});

describe("timing", () => {
  it("backs off 1 s, 2 s, 4 s ... up to 5 minutes, jittered", async () => {
    const client = await newClient({ transport: { sync: () => Promise.reject(new NetworkError("offline")) } });
    const waits = [];
    for (let n = 0; n < 12; n++) {
      await client.round();
      waits.push(client.backoffMs(1));
    }
    expect(waits.slice(0, 4)).toEqual([1000, 2000, 4000, 8000]);
    expect(Math.max(...waits)).toBe(300_000);
    expect(client.backoffMs(0)).toBe(150_000);
  });

  it("record() resolves only once the op is in IndexedDB", async () => {
    const client = await newClient({ transport: null });
    const op = await client.record(STOCK_RECEIVED, stockReceived(1));
    const again = await (await import("../src/sync/store.js")).openStore(client.db.name);
    expect((await again.get("outbox", op[2])).op).toEqual(op);
    again.close();
  });
});
