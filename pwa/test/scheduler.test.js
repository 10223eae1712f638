// When the app syncs: on start, when the network returns, when the app is shown again, after a
// write, and on a backoff timer after failures: never only "on the next write".
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { NetworkError } from "../src/sync/client.js";
import { STOCK_RECEIVED } from "../src/sync/ops.js";
import { Scheduler } from "../src/sync/scheduler.js";
import { newClient, stockReceived } from "./helpers.js";

const ok = (body) => ({ v: 1, ep: "e1", hwm: (body.ops ?? []).at(-1)?.[2] ?? 0, cur: "e1:1" });

function fakeServer() {
  const server = { up: true, calls: 0 };
  server.transport = {
    async sync(body) {
      server.calls += 1;
      if (!server.up) throw new NetworkError("offline");
      return ok(body);
    },
  };
  return server;
}

async function setUp() {
  const server = fakeServer();
  const client = await newClient({ transport: server.transport });
  const win = new EventTarget();
  const doc = Object.assign(new EventTarget(), { visibilityState: "visible" });
  const scheduler = new Scheduler(client, { win, doc, idleMs: 60_000 });
  return { server, client, win, doc, scheduler };
}

const settle = async (scheduler) => {
  for (let i = 0; i < 5; i++) await scheduler.done;
};

describe("the sync scheduler", () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] }));
  afterEach(() => vi.useRealTimers());

  it("syncs on start, when the network comes back and when the app is shown again", async () => {
    const { server, win, doc, scheduler } = await setUp();
    scheduler.start();
    await settle(scheduler);
    expect(server.calls).toBe(1);
    win.dispatchEvent(new Event("online"));
    await settle(scheduler);
    expect(server.calls).toBe(2);
    doc.visibilityState = "hidden";
    doc.dispatchEvent(new Event("visibilitychange"));
    await settle(scheduler);
    expect(server.calls).toBe(2); // hidden: nothing to show, no sync
    doc.visibilityState = "visible";
    doc.dispatchEvent(new Event("visibilitychange"));
    await settle(scheduler);
    expect(server.calls).toBe(3);
    scheduler.stop();
  });

  it("retries on a backoff timer after failures, without waiting for the next write", async () => {
    const { server, client, scheduler } = await setUp();
    server.up = false;
    await client.record(STOCK_RECEIVED, stockReceived(1));
    scheduler.start();
    await settle(scheduler);
    expect(client.state.failures).toBe(1);
    for (let i = 0; i < 3; i++) {
      await vi.advanceTimersByTimeAsync(client.backoffMs(1) + 1);
      await settle(scheduler);
    }
    expect(client.state.failures).toBe(4);
    server.up = true; // the signal comes back; nobody touches the phone
    await vi.advanceTimersByTimeAsync(client.backoffMs(1) + 1);
    await settle(scheduler);
    expect((await client.counts()).pending).toBe(0);
    expect(client.state.failures).toBe(0);
    scheduler.stop();
  });

  it("while work waits, retries every few seconds however long the outage, and says when", async () => {
    const { server, client, scheduler } = await setUp();
    server.up = false;
    await client.record(STOCK_RECEIVED, stockReceived(1));
    scheduler.start();
    await settle(scheduler);
    for (let i = 0; i < 15; i++) {
      // 15 failures: the plain backoff would be minutes by now
      await vi.advanceTimersByTimeAsync(scheduler.workRetryMs + 1);
      await settle(scheduler);
    }
    expect(client.state.failures).toBe(16);
    expect(client.backoffMs(1)).toBeGreaterThan(60_000);
    expect(scheduler.nextAt - Date.now()).toBeLessThanOrEqual(scheduler.workRetryMs);
    expect(scheduler.nextAt).toBeGreaterThan(Date.now());
    server.up = true;
    await vi.advanceTimersByTimeAsync(scheduler.workRetryMs + 1);
    await settle(scheduler);
    expect((await client.counts()).pending).toBe(0);
    scheduler.stop();
  });

  it("with nothing waiting, the backoff grows as before (only reference data to pull)", async () => {
    const { server, client, scheduler } = await setUp();
    server.up = false;
    client.state.failures = 8;
    scheduler.start();
    await settle(scheduler);
    expect(scheduler.nextAt - Date.now()).toBeGreaterThan(60_000);
    scheduler.stop();
    expect(scheduler.nextAt).toBe(null);
  });

  it("a write during a sync makes it run once more; Sync now forgets the backoff", async () => {
    const { server, client, scheduler } = await setUp();
    scheduler.start();
    await client.record(STOCK_RECEIVED, stockReceived(1));
    scheduler.kick("write"); // while the start-up sync is still running
    await settle(scheduler);
    expect((await client.counts()).pending).toBe(0);
    server.up = false;
    await scheduler.kick("write");
    expect(client.state.failures).toBe(1);
    server.up = true;
    await scheduler.kick("manual");
    expect(client.state.failures).toBe(0);
    scheduler.stop();
  });

  it("keeps reference data fresh with a sync a minute while the app is visible", async () => {
    const { server, scheduler } = await setUp();
    scheduler.start();
    await settle(scheduler);
    await vi.advanceTimersByTimeAsync(60_001);
    await settle(scheduler);
    expect(server.calls).toBe(2);
    scheduler.stop();
  });
});
