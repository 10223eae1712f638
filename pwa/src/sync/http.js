// The HTTP transport: POST /sync/v1/sync with the device's bearer token, JSON both ways.
// Bodies over 1 KB go gzip-compressed (PROTOCOL.md §1): riders and pickers pay for their data.
import { NetworkError } from "./client.js";
import { decodeProblem, Problem } from "./protocol.js";

const GZIP_OVER = 1024;

async function gzipped(text) {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export function httpTransport({ base = "", token, fetchImpl = (...a) => fetch(...a), timeoutMs = 30_000 }) {
  let gzip = typeof CompressionStream === "function";

  async function post(path, text) {
    const headers = { "Content-Type": "application/json", Accept: "application/json", Authorization: `Bearer ${token()}` };
    let body = text;
    if (gzip && text.length > GZIP_OVER) {
      body = await gzipped(text);
      headers["Content-Encoding"] = "gzip";
    }
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeoutMs);
    try {
      return await fetchImpl(base + path, { method: "POST", headers, body, signal: abort.signal, cache: "no-store" });
    } catch (exc) {
      throw new NetworkError(exc?.name === "AbortError" ? "no answer in time" : "no connection to the server");
    } finally {
      clearTimeout(timer);
    }
  }

  async function answer(response) {
    let body = null;
    try {
      body = await response.json();
    } catch {
      if (response.ok) throw new NetworkError("the answer was cut off");
    }
    if (response.ok) return body;
    throw body && typeof body === "object" ? decodeProblem(body, response.status) : new Problem(null, response.status);
  }

  return {
    async sync(message) {
      const text = JSON.stringify(message);
      try {
        return await answer(await post("/sync/v1/sync", text));
      } catch (exc) {
        if (!(exc instanceof Problem && exc.code === "sync-unsupported-encoding" && gzip)) throw exc;
        gzip = false; // a server that cannot read gzip: send plain from now on
        return answer(await post("/sync/v1/sync", text));
      }
    },
  };
}
