import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { SyncClient } from "../src/sync/client.js";
import { openStore } from "../src/sync/store.js";

export const GOLDEN = fileURLToPath(new URL("../../fixtures/protocol/", import.meta.url));

export const golden = (name) => JSON.parse(readFileSync(`${GOLDEN}${name}.json`, "utf8"));
export const goldenNames = () => readdirSync(GOLDEN).filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -5));
export const goldenOps = () =>
  readdirSync(`${GOLDEN}ops`).map((f) => [f.slice(0, -5), JSON.parse(readFileSync(`${GOLDEN}ops/${f}`, "utf8"))]);

let dbCount = 0;

/** A client on a fresh in-memory database, logged in as `dev`. */
export async function newClient({ dev = "dev-1", user = "tester", transport, ...options } = {}) {
  const db = await openStore(`test-${++dbCount}-${Math.random()}`);
  const client = await new SyncClient({ db, transport, ...options }).load();
  await client.useDevice(dev, user);
  return client;
}

/** A transport answering from a list of canned bodies (or Problems to throw), recording requests. */
export function scripted(...answers) {
  const sent = [];
  return {
    sent,
    async sync(body) {
      sent.push(structuredClone(body));
      const next = answers.shift();
      if (next instanceof Error) throw next;
      if (typeof next === "function") return next(body);
      return structuredClone(next);
    },
  };
}

export const stockReceived = (n, overrides = {}) => ({ wh: "VAL", bin: "RCV-01", sku: `SKU-${n % 7}`, qty: 1 + (n % 5), ...overrides });
