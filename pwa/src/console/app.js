// The console's frame: login, the role check, the side menu (only what the role may open) and
// the screen the path names.
import { useState } from "preact/hooks";
import { html } from "../html.js";
import { CONSOLE_ROLES, login, logout, session } from "./api.js";
import { link, route } from "./router.js";
import { Problem } from "./kit.js";
import { OrderList } from "./orders.js";
import { OrderTimeline } from "./timeline.js";
import { Stock, SkuLedger } from "./stock.js";
import { Valuation } from "./valuation.js";
import { Catalog, SkuDetail } from "./catalog.js";
import { Shops } from "./shops.js";
import { Warehouses, Bins } from "./places.js";
import { People } from "./people.js";
import { Exceptions } from "./exceptions.js";
import { Riders } from "./riders.js";
import { Remittances } from "./couriers.js";
import { Settings } from "./settings.js";
import { Kpis } from "./kpis.js";
import { Audit } from "./audit.js";
import { ErpFeed } from "./erp.js";
import { Incoming, ShipmentPage, Shipments, Suppliers, Variances } from "./inbound.js";

const BOTH = ["admin", "supervisor"];
const ADMIN = ["admin"];
// [path, label, roles, screen, pattern of the paths it owns]
export const SCREENS = [
  ["/orders", "Orders", BOTH, OrderList],
  ["/stock", "Stock", BOTH, Stock],
  ["/valuation", "Inventory valuation", BOTH, Valuation],
  ["/catalog", "Catalog", BOTH, Catalog],
  ["/shops", "Shops & listings", ADMIN, Shops],
  ["/warehouses", "Warehouses & bins", BOTH, Warehouses],
  ["/exceptions", "Exceptions", BOTH, Exceptions],
  ["/riders", "Riders & runs", BOTH, Riders],
  ["/remittances", "Courier remittances", BOTH, Remittances],
  ["/inbound", "Inbound shipments", BOTH, Shipments],
  ["/variances", "Receiving variances", BOTH, Variances],
  ["/incoming", "Incoming stock", BOTH, Incoming],
  ["/suppliers", "Suppliers & POs", BOTH, Suppliers],
  ["/kpis", "KPIs", BOTH, Kpis],
  ["/people", "Users & devices", ADMIN, People],
  ["/settings", "Settings", ADMIN, Settings],
  ["/audit", "Audit log", ADMIN, Audit],
  ["/erp", "ERP feed", ADMIN, ErpFeed],
];

function screenFor(path, role) {
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] === "orders" && parts[1]) return html`<${OrderTimeline} id=${parts[1]} />`;
  if (parts[0] === "stock" && parts[1]) return html`<${SkuLedger} sku=${parts[1]} />`;
  if (parts[0] === "catalog" && parts[1]) return html`<${SkuDetail} code=${parts[1]} />`;
  if (parts[0] === "warehouses" && parts[1]) return html`<${Bins} code=${parts[1]} />`;
  if (parts[0] === "inbound" && parts[1]) return html`<${ShipmentPage} code=${parts[1]} />`;
  const found = SCREENS.find(([p]) => p === `/${parts[0] || "orders"}`);
  if (!found) return html`<p class="page">Walang ganitong screen: <code>${path}</code></p>`;
  if (!found[2].includes(role)) return html`<p class="page problem" role="alert">Para sa admin lang ang ${found[1]}.</p>`;
  return html`<${found[3]} />`;
}

export function App() {
  const s = session.value;
  if (!s) return html`<${Login} />`;
  const role = s.user.role;
  if (!CONSOLE_ROLES.includes(role)) return html`<${Refused} role=${role} />`;
  const path = route.value.path;
  const current = `/${path.split("/")[1] || "orders"}`;
  return html`<div class="shell">
    <nav class="side" aria-label="Console">
      <div class="brand">Bodega <small>console</small></div>
      <ul>
        ${SCREENS.filter(([, , roles]) => roles.includes(role)).map(
          ([p, label]) => html`<li><a ...${link(p)} aria-current=${p === current ? "page" : undefined} data-nav=${p.slice(1)}>${label}</a></li>`,
        )}
      </ul>
      <div class="who" data-testid="who">
        <strong>${s.user.username}</strong> <small>${role}</small>
        <button class="btn btn-link" type="button" onClick=${logout}>Mag-logout</button>
      </div>
    </nav>
    <main class="main">${screenFor(path, role)}</main>
  </div>`;
}

function Refused({ role }) {
  return html`<main class="login" data-testid="refused">
    <h1>Bodega console</h1>
    <p class="problem" role="alert">Para sa admin at supervisor ang console. Ang ${role} ay gumagamit ng Bodega app sa phone.</p>
    <p><a href="/">Buksan ang phone app</a> · <button class="btn btn-link" type="button" onClick=${logout}>Mag-logout</button></p>
  </main>`;
}

function Login() {
  const [form, setForm] = useState({ username: "", password: "" });
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await login(form.username.trim(), form.password);
    } catch (exc) {
      setError(exc);
    } finally {
      setBusy(false);
    }
  };
  const field = (name) => ({ value: form[name], onInput: (e) => setForm({ ...form, [name]: e.currentTarget.value }) });
  return html`<main class="login">
    <h1>Bodega console</h1>
    <p>Para sa opisina: orders, stock, catalog, tao at pera.</p>
    <form class="form" onSubmit=${submit}>
      <label class="field"><span>Username</span><input name="username" autocomplete="username" required ...${field("username")} /></label>
      <label class="field"><span>Password</span><input name="password" type="password" autocomplete="current-password" required ...${field("password")} /></label>
      <button class="btn btn-primary" type="submit" disabled=${busy}>${busy ? "Naglo-login…" : "Mag-login"}</button>
      <${Problem} error=${error} />
    </form>
  </main>`;
}
