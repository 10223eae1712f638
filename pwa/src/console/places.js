// Warehouses and their bins; bin labels print as an A4 sheet of barcodes (the server renders it).
import { useState } from "preact/hooks";
import { html } from "../html.js";
import { api, download, qs, session } from "./api.js";
import { link, navigate, route } from "./router.js";
import { Chip, Drawer, Form, Page, Problem } from "./kit.js";
import { DataTable } from "./table.js";

const isAdmin = () => session.value?.user.role === "admin";

export function Warehouses() {
  const [adding, setAdding] = useState(false);
  const [reload, setReload] = useState(0);
  const columns = [
    { key: "code", label: "Code" },
    { key: "name", label: "Name" },
    { key: "city", label: "City", render: (w) => `${w.city}${w.province ? `, ${w.province}` : ""}` },
    { key: "region", label: "Region" },
    { key: "priority", label: "Priority", num: true },
    { key: "serves_regions", label: "Serves", render: (w) => w.serves_regions.join(", ") },
    { key: "active", label: "Status", render: (w) => html`<${Chip} value=${w.active ? "active" : "inactive"} />` },
  ];
  return html`<${Page} title="Warehouses" testid="warehouses" actions=${isAdmin() && html`<button class="btn" type="button" onClick=${() => setAdding(true)}>New warehouse</button>`}>
    <div class="with-drawer">
      <${DataTable} testid="warehouse-table" endpoint="/api/v1/warehouses" columns=${columns} reload=${reload} rowKey=${(w) => w.code}
        filters=${[{ name: "active", label: "Status", type: "select", options: [["true", "Active"], ["false", "Inactive"]] }]}
        onOpen=${(w) => navigate(`/warehouses/${encodeURIComponent(w.code)}`)} />
      <${Drawer} title="New warehouse" open=${adding} onClose=${() => setAdding(false)}>
        <${Form} label="Add warehouse" done=${() => setReload(reload + 1)}
          fields=${[
            { name: "code", label: "Code", required: true, placeholder: "CEB" },
            { name: "name", label: "Name", required: true },
            { name: "city", label: "City" },
            { name: "province", label: "Province" },
            { name: "region", label: "Region", placeholder: "NCR, VII…" },
            { name: "priority", label: "Priority", type: "number", value: "10" },
            { name: "serves_regions", label: "Serves regions (comma-separated)" },
          ]}
          submit=${async (v) => {
            const body = { code: v.code.trim(), name: v.name.trim(), city: v.city, province: v.province, region: v.region, priority: Number(v.priority || 0) };
            body.serves_regions = v.serves_regions.split(",").map((r) => r.trim()).filter(Boolean);
            const out = await api("/api/v1/warehouses", { method: "POST", body });
            return `Naidagdag ang ${out.code}.`;
          }} />
      </${Drawer}>
    </div>
  </${Page}>`;
}

export function Bins({ code }) {
  const [adding, setAdding] = useState(false);
  const [reload, setReload] = useState(0);
  const [error, setError] = useState(null);
  const query = route.value.query;
  const base = `/api/v1/warehouses/${encodeURIComponent(code)}/bins`;
  const print = async () => {
    setError(null);
    try {
      const url = await download(`${base}/labels.pdf${qs({ zone: query.get("zone"), q: query.get("q") })}`);
      window.open(url, "_blank");
    } catch (exc) {
      setError(exc);
    }
  };
  const columns = [
    { key: "code", label: "Bin" },
    { key: "zone", label: "Zone" },
    { key: "active", label: "Status", render: (b) => html`<${Chip} value=${b.active ? "active" : "inactive"} />` },
  ];
  return html`<${Page} title=${`Bins of ${code}`} testid="bins"
    actions=${html`<button class="btn" type="button" data-action="print-labels" onClick=${print}>Print labels (PDF)</button>
      ${isAdmin() && html`<button class="btn" type="button" onClick=${() => setAdding(true)}>Add bins</button>`}
      <a class="btn" ...${link("/warehouses")}>‹ Warehouses</a>`}>
    <p class="hint">The labels sheet prints the bins this list shows (its search and zone), 24 to an A4 page.</p>
    <${Problem} error=${error} />
    <div class="with-drawer">
      <${DataTable} testid="bin-table" endpoint=${base} columns=${columns} reload=${reload} rowKey=${(b) => b.code}
        filters=${[
          { name: "q", label: "Bin code", type: "search" },
          { name: "zone", label: "Zone", type: "text" },
        ]} />
      <${Drawer} title="Add bins" open=${adding} onClose=${() => setAdding(false)}>
        <${Form} label="Add" done=${() => setReload(reload + 1)}
          fields=${[
            { name: "codes", label: "Bin codes, one per line", type: "textarea", required: true, placeholder: "A-03-01\nA-03-02" },
            { name: "zone", label: "Zone" },
          ]}
          submit=${async (v) => {
            const bins = v.codes.split(/\s+/).filter(Boolean).map((c) => ({ code: c, zone: v.zone }));
            const out = await api(base, { method: "POST", body: { bins } });
            return `Naidagdag: ${out.bins.length}.`;
          }} />
      </${Drawer}>
    </div>
  </${Page}>`;
}
