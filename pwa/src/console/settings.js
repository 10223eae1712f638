// The seller's settings, each saved through its own endpoint: cash rules for riders (attempts,
// when a parcel goes back, the cash ceiling), ship-by rules per channel, safety buffers, alert
// thresholds, and each shop's channel credentials (written only: the server keeps them encrypted
// and never sends a secret back).
import { useEffect, useState } from "preact/hooks";
import { html } from "../html.js";
import { ApiError, api, centavos, pesos } from "./api.js";
import { Form, Page, Problem, useOptions, warehouseOptions } from "./kit.js";

const CHANNELS = ["shopee", "lazada", "tiktok", "webstore"];
const DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const PLATFORMS = [["shopee", "Shopee"], ["lazada", "Lazada"], ["tiktok", "TikTok Shop"], ["shopify", "Shopify"], ["woocommerce", "WooCommerce"]];

function useDoc(path) {
  const [doc, setDoc] = useState(undefined);
  const [error, setError] = useState(null);
  useEffect(() => {
    api(path).then(setDoc, (exc) => (exc instanceof ApiError && exc.status === 404 ? setDoc(null) : setError(exc)));
  }, [path]);
  return [doc, error, setDoc];
}

const pesoField = (c) => (c / 100).toFixed(2);
function money(text, field) {
  const value = centavos(text);
  if (Number.isNaN(value)) throw new ApiError(422, { detail: "not an amount", errors: [{ field, message: "type pesos, e.g. 5000 or 5,000.50" }] });
  return value;
}

export function Settings() {
  return html`<${Page} title="Settings" testid="settings">
    <div class="settings">
      <${CashRules} />
      <${ShipBy} />
      <${Buffers} />
      <${Alerts} />
      <${Credentials} />
    </div>
  </${Page}>`;
}

function CashRules() {
  const [policy, error, setPolicy] = useDoc("/api/v1/cod/policy");
  return html`<section class="card" data-testid="cash-rules">
    <h2>Cash on delivery</h2>
    <${Problem} error=${error} />
    ${policy &&
    html`<${Form} label="Save cash rules" testid="policy"
      fields=${[
        { name: "cash_ceiling", label: "Cash ceiling per rider (₱)", value: pesoField(policy.cash_ceiling), required: true },
        { name: "max_attempts", label: "Delivery attempts before return", type: "number", value: String(policy.max_attempts), required: true },
        { name: "rts_overdue_days", label: "Return overdue after (days)", type: "number", value: String(policy.rts_overdue_days), required: true },
        { name: "straight_to_rts", label: "Failure reasons that go straight back (comma-separated)", value: policy.straight_to_rts.join(", ") },
      ]}
      submit=${async (v) => {
        const body = {
          cash_ceiling: money(v.cash_ceiling, "cash_ceiling"),
          max_attempts: Number(v.max_attempts),
          rts_overdue_days: Number(v.rts_overdue_days),
          straight_to_rts: v.straight_to_rts.split(",").map((s) => s.trim()).filter(Boolean),
        };
        const out = await api("/api/v1/cod/policy", { method: "PUT", body });
        setPolicy(out);
        return `Nai-save: ceiling ${pesos(out.cash_ceiling)}.`;
      }} />`}
    <h3>One rider's own ceiling</h3>
    <${Form} label="Save rider ceiling" inline testid="rider-ceiling"
      fields=${[
        { name: "rider", label: "Rider (username)", required: true },
        { name: "cash_ceiling", label: "Ceiling (₱)", required: true },
      ]}
      submit=${async (v) => {
        const out = await api(`/api/v1/cod/riders/${encodeURIComponent(v.rider.trim())}/ceiling`, { method: "PUT", body: { cash_ceiling: money(v.cash_ceiling, "cash_ceiling") } });
        return `${v.rider}: ${pesos(out.cash_ceiling)}.`;
      }} />
  </section>`;
}

function ShipBy() {
  const [rules, error, setRules] = useDoc("/api/v1/fulfilment/ship-by-rules");
  if (!rules) return html`<section class="card"><h2>Ship-by rules</h2><${Problem} error=${error} /></section>`;
  const fields = [
    { name: "default_days", label: "Default: working days to ship", type: "number", value: String(rules.default.days) },
    { name: "default_cutoff", label: "Default: same-day cutoff (Manila)", type: "time", value: rules.default.cutoff },
  ];
  for (const c of CHANNELS) {
    const rule = rules.channels[c];
    fields.push({ name: `${c}_days`, label: `${c}: days (blank = default)`, type: "number", value: rule ? String(rule.days) : "" });
    fields.push({ name: `${c}_cutoff`, label: `${c}: cutoff`, type: "time", value: rule ? rule.cutoff : "" });
  }
  DAYS.forEach((d, i) => fields.push({ name: `day${i}`, label: `Ships on ${d}`, type: "checkbox", value: rules.working_weekdays.includes(i) }));
  fields.push({ name: "at_risk_minutes", label: "Warn this many minutes before ship-by", type: "number", value: String(rules.at_risk_minutes) });
  return html`<section class="card" data-testid="ship-by">
    <h2>Ship-by rules</h2>
    <${Form} label="Save ship-by rules" fields=${fields}
      submit=${async (v) => {
        const channels = {};
        for (const c of CHANNELS) if (v[`${c}_days`] !== "") channels[c] = { days: Number(v[`${c}_days`]), cutoff: v[`${c}_cutoff`] || v.default_cutoff };
        const body = {
          default: { days: Number(v.default_days), cutoff: v.default_cutoff },
          channels,
          working_weekdays: DAYS.map((_, i) => i).filter((i) => v[`day${i}`]),
          at_risk_minutes: Number(v.at_risk_minutes),
        };
        setRules(await api("/api/v1/fulfilment/ship-by-rules", { method: "PUT", body }));
        return "Nai-save.";
      }} />
  </section>`;
}

function Buffers() {
  const warehouses = warehouseOptions();
  return html`<section class="card" data-testid="buffers">
    <h2>Safety buffers</h2>
    <p class="hint">Units of a SKU kept back from the channels in one warehouse.</p>
    <${Form} label="Save buffer"
      fields=${[
        { name: "warehouse", label: "Warehouse", type: "select", options: warehouses, required: true },
        { name: "sku", label: "SKU", required: true },
        { name: "safety_buffer", label: "Buffer (units)", type: "number", required: true },
      ]}
      submit=${async (v) => {
        const out = await api(`/api/v1/stock/${encodeURIComponent(v.warehouse)}/${encodeURIComponent(v.sku.trim())}/buffer`, { method: "PUT", body: { safety_buffer: Number(v.safety_buffer) } });
        return `${out.sku} sa ${out.warehouse}: buffer ${out.safety_buffer}, available ${out.available}.`;
      }} />
  </section>`;
}

// The alert rules' thresholds (GET/PUT /api/v1/alerts/settings, the whole document). Numbers are
// edited as numbers, lists of people as comma-separated usernames; an unknown person is refused by name.
function Alerts() {
  const [doc, error, setDoc] = useDoc("/api/v1/alerts/settings");
  if (doc === null) return null;
  if (!doc) return error ? html`<section class="card"><h2>Alerts</h2><${Problem} error=${error} /></section>` : null;
  const fields = Object.entries(doc).map(([k, v]) => ({
    name: k,
    label: k.replace(/_/g, " "),
    type: typeof v === "number" ? "number" : "text",
    value: Array.isArray(v) ? v.join(", ") : String(v ?? ""),
  }));
  return html`<section class="card" data-testid="alerts">
    <h2>Alert thresholds</h2>
    <${Form} label="Save alert settings" fields=${fields}
      submit=${async (v) => {
        const body = Object.fromEntries(Object.entries(doc).map(([k, old]) => [k, Array.isArray(old) ? v[k].split(",").map((s) => s.trim()).filter(Boolean) : typeof old === "number" ? Number(v[k]) : v[k]]));
        setDoc(await api("/api/v1/alerts/settings", { method: "PUT", body }));
        return "Nai-save.";
      }} />
  </section>`;
}

function Credentials() {
  const shops = useOptions("/api/v1/shops?limit=500", (s) => [s.code, `${s.code} (${s.channel})`]);
  return html`<section class="card" data-testid="credentials">
    <h2>Channel credentials</h2>
    <p class="hint">Kept encrypted on the server and never shown again: to change one, enter it anew.</p>
    <${Form} label="Save credentials"
      fields=${[
        { name: "shop", label: "Shop", type: "select", options: shops, required: true },
        { name: "platform", label: "Platform", type: "select", options: PLATFORMS, required: true, value: "shopee" },
        { name: "base_url", label: "API address", required: true, placeholder: "https://partner.shopeemobile.com" },
        { name: "app_key", label: "App key / partner id" },
        { name: "app_secret", label: "App secret", type: "password" },
        { name: "access_token", label: "Access token", type: "password" },
        { name: "refresh_token", label: "Refresh token", type: "password" },
      ]}
      submit=${async (v) => {
        const { shop, ...body } = v;
        const out = await api(`/api/v1/shops/${encodeURIComponent(shop)}/connection`, { method: "PUT", body });
        return `Nai-save para sa ${out.shop} (${out.platform}).`;
      }} />
  </section>`;
}
