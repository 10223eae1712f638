// Talks to test/refserver.py (the Python reference sync server) over a pipe.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { NetworkError } from "../src/sync/client.js";
import { decodeProblem } from "../src/sync/protocol.js";

const here = fileURLToPath(new URL(".", import.meta.url));
const venvPython = fileURLToPath(new URL("../../.venv/bin/python", import.meta.url));
export const PYTHON = process.env.BODEGA_PYTHON || (existsSync(venvPython) ? venvPython : null);

export function startReferenceServer() {
  const child = spawn(PYTHON, [here + "refserver.py"], { stdio: ["pipe", "pipe", "inherit"] });
  const waiting = [];
  let buffer = "";
  child.stdout.on("data", (chunk) => {
    buffer += chunk;
    let nl;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      waiting.shift()(JSON.parse(line));
    }
  });
  const call = (msg) =>
    new Promise((resolve) => {
      waiting.push(resolve);
      child.stdin.write(JSON.stringify(msg) + "\n");
    });
  return {
    call,
    close: () => child.kill(),
    /**
     * A transport for one device. `network.drop` = "request" loses the request, "response" loses
     * the answer after the server processed it (the case that makes duplicates).
     */
    transport(dev, network = { drop: null }) {
      return {
        async sync(body) {
          if (network.drop === "request") throw new NetworkError("offline");
          const reply = await call({ cmd: "sync", dev, body: JSON.stringify(body) });
          if (network.drop === "response") throw new NetworkError("answer lost");
          const parsed = JSON.parse(reply.body);
          if (reply.status !== 200) throw decodeProblem(parsed, reply.status);
          return parsed;
        },
      };
    },
  };
}
