// Who is using this phone: the login, the device token, and what happens when the server says the
// device was revoked. The token lives in IndexedDB (meta "session") so it survives reloads.
import { signal } from "@preact/signals";
import { forgetReference } from "./reference.js";
import { clearReplica } from "./sync/store.js";

/** undefined while loading; null when logged out; else {token, deviceId, user, wh}. */
export const session = signal(undefined);
/** Set when the server refused this device's token: nothing but the outbox count is shown then. */
export const revoked = signal(false);

let db;

export async function loadSession(store) {
  db = store;
  const saved = await db.get("meta", "session");
  revoked.value = Boolean(saved?.revoked);
  session.value = saved?.token ? saved : null;
}

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.detail || body?.title || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

/** A call to the server's REST API with this device's token. A 401 means the device was revoked. */
export async function api(path, { method = "GET", body, token = session.value?.token } = {}) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (response.status === 401 && token) await markRevoked();
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/** Log in: the server registers this phone as a new device and returns its token. */
export async function login(username, password, deviceName) {
  const out = await api("/api/v1/auth/login", {
    method: "POST",
    body: { username, password, device_name: deviceName },
    token: null,
  });
  const next = { token: out.token, deviceId: out.device_id, user: out.user, wh: "", revoked: false };
  next.wh = await warehouseCode(next).catch(() => ""); // best effort; the sync scopes also name it
  await db.put("meta", next, "session");
  revoked.value = false;
  session.value = next;
  return next;
}

/**
 * An admin or supervisor (no warehouse of their own) chooses the warehouse this phone works in;
 * kept with the session, so a logout forgets it.
 */
export async function chooseWarehouse(code) {
  const next = { ...session.value, wh: code };
  await db.put("meta", next, "session");
  session.value = next;
}

async function warehouseCode(s) {
  if (!s.user.warehouse_id || s.user.role === "rider") return "";
  const page = await api("/api/v1/warehouses/?limit=100", { token: s.token });
  return page.items.find((w) => w.id === s.user.warehouse_id)?.code ?? "";
}

/** Log out on purpose: the token is revoked on the server; unsent ops stay for the next login. */
export async function logout() {
  try {
    await api("/api/v1/auth/logout", { method: "POST" });
  } catch {
    // offline or already revoked: forgetting the token here is what matters
  }
  await forget({ revoked: false });
}

/** The server no longer accepts this device. Keep the outbox; drop what it was allowed to read. */
export async function markRevoked() {
  if (revoked.value) return;
  await forget({ revoked: true });
}

async function forget({ revoked: wasRevoked }) {
  const tx = db.transaction(["meta", "replica"], "readwrite");
  const saved = await tx.objectStore("meta").get("session");
  await tx.objectStore("meta").put({ user: saved?.user ?? null, token: null, revoked: wasRevoked }, "session");
  await clearReplica(tx);
  await tx.done;
  forgetReference();
  revoked.value = wasRevoked;
  session.value = null;
}
