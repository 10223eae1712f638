// The console's session and its calls to the REST API. A browser tab logs in like a phone does
// (POST /api/v1/auth/login registers a "device" named after the browser), and keeps the token in
// sessionStorage: it survives a reload, and closing the tab on a shared office PC forgets it.
import { signal } from "@preact/signals";

const KEY = "bodega.console.session";
/** null when logged out; else {token, deviceId, user}. */
export const session = signal(read());
/** Roles that may use the console; the rest are shown a refusal (their work is on the phone). */
export const CONSOLE_ROLES = ["admin", "supervisor"];

function read() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) || "null");
  } catch {
    return null;
  }
}

function keep(value) {
  if (value) sessionStorage.setItem(KEY, JSON.stringify(value));
  else sessionStorage.removeItem(KEY);
  session.value = value;
}

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.detail || body?.title || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
  /** {field: message} from a Problem Details body's errors. */
  get fields() {
    return Object.fromEntries((this.body?.errors || []).map((e) => [e.field, e.message]));
  }
}

/** A JSON call with this tab's token. A 401 means the token was revoked: back to the login. */
export async function api(path, { method = "GET", body, token = session.value?.token } = {}) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (response.status === 401 && token) keep(null);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/** A file the API renders (PDF, CSV), fetched with the token and opened as a blob URL. */
export async function download(path) {
  const response = await fetch(path, { headers: { Authorization: `Bearer ${session.value?.token}` } });
  if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
  return URL.createObjectURL(await response.blob());
}

export async function login(username, password) {
  const out = await api("/api/v1/auth/login", {
    method: "POST",
    body: { username, password, device_name: `Console (${navigator.userAgent.includes("Chrome") ? "Chrome" : "browser"})` },
    token: null,
  });
  keep({ token: out.token, deviceId: out.device_id, user: out.user });
  return out;
}

export async function logout() {
  try {
    await api("/api/v1/auth/logout", { method: "POST" });
  } catch {
    // already revoked: forgetting the token is what matters
  }
  keep(null);
}

/** "?a=1&b=x" from an object, leaving out empty values. */
export function qs(params) {
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") out.set(k, v);
  const text = out.toString();
  return text ? `?${text}` : "";
}

// -- formats: centavos as pesos, times in Manila ---------------------------------------------------
const peso = new Intl.NumberFormat("en-PH", { style: "currency", currency: "PHP" });
export const pesos = (centavos) => (centavos === null || centavos === undefined ? "" : peso.format(centavos / 100));
const stamp = new Intl.DateTimeFormat("en-PH", { timeZone: "Asia/Manila", dateStyle: "medium", timeStyle: "short" });
export const when = (iso) => (iso ? stamp.format(new Date(iso)) : "");
/** Today's date in Manila as YYYY-MM-DD, minus `days`. */
export function manilaDate(days = 0) {
  const d = new Date(Date.now() + 8 * 3_600_000 - days * 86_400_000);
  return d.toISOString().slice(0, 10);
}
/** Pesos typed by a person ("1,250.50") as integer centavos, or NaN. */
export function centavos(text) {
  const clean = String(text).replace(/[₱,\s]/g, "");
  if (!/^\d+(\.\d{1,2})?$/.test(clean)) return NaN;
  const [whole, frac = ""] = clean.split(".");
  return Number(whole) * 100 + Number((frac + "00").slice(0, 2));
}
