// The catalog: SKUs with their barcodes and, for a bundle, its components. Supervisors read it;
// admins add and change SKUs (the catalog endpoints refuse anyone else).
import { useEffect, useState } from "preact/hooks";
import { html } from "../html.js";
import { api, session, when } from "./api.js";
import { link, navigate } from "./router.js";
import { Chip, Drawer, Form, Page, Problem } from "./kit.js";
import { DataTable } from "./table.js";

const isAdmin = () => session.value?.user.role === "admin";

export function Catalog() {
  const [adding, setAdding] = useState(false);
  const [reload, setReload] = useState(0);
  const columns = [
    { key: "code", label: "SKU" },
    { key: "name", label: "Name" },
    { key: "barcodes", label: "Barcodes", render: (s) => s.barcodes.map((b) => b.code).join(", ") },
    { key: "is_bundle", label: "Bundle", render: (s) => (s.is_bundle ? s.components.map((c) => `${c.qty}× ${c.sku}`).join(" + ") : "") },
    { key: "weight_grams", label: "Grams", num: true },
    { key: "active", label: "Status", render: (s) => html`<${Chip} value=${s.active ? "active" : "inactive"} />` },
  ];
  const filters = [
    { name: "q", label: "Code or name", type: "search" },
    { name: "barcode", label: "Barcode", type: "text" },
    { name: "is_bundle", label: "Kind", type: "select", options: [["true", "Bundles"], ["false", "Single items"]] },
    { name: "active", label: "Status", type: "select", options: [["true", "Active"], ["false", "Inactive"]] },
  ];
  return html`<${Page} title="Catalog" testid="catalog" actions=${isAdmin() && html`<button class="btn" type="button" data-action="new-sku" onClick=${() => setAdding(true)}>New SKU</button>`}>
    <div class="with-drawer">
      <${DataTable} testid="sku-table" endpoint="/api/v1/skus" columns=${columns} filters=${filters} reload=${reload} rowKey=${(s) => s.code} onOpen=${(s) => navigate(`/catalog/${encodeURIComponent(s.code)}`)} />
      <${Drawer} title="New SKU" open=${adding} onClose=${() => setAdding(false)} testid="new-sku">
        <${Form}
          label="Add SKU"
          done=${() => setReload(reload + 1)}
          fields=${[
            { name: "code", label: "SKU code", required: true, placeholder: "SKU-MUG-BLK" },
            { name: "name", label: "Name", required: true },
            { name: "weight_grams", label: "Weight (g)", type: "number" },
            { name: "barcode", label: "Barcode (optional)" },
            { name: "kind", label: "Barcode kind", type: "select", required: true, value: "ean13", options: [["ean13", "EAN-13"], ["upc", "UPC"], ["code128", "Code 128"], ["internal", "Internal"]] },
          ]}
          submit=${async (v) => {
            const body = { code: v.code.trim(), name: v.name.trim(), weight_grams: Number(v.weight_grams || 0) };
            if (v.barcode.trim()) body.barcodes = [{ code: v.barcode.trim(), kind: v.kind }];
            const out = await api("/api/v1/skus", { method: "POST", body });
            return `Naidagdag ang ${out.code}.`;
          }}
        />
      </${Drawer}>
    </div>
  </${Page}>`;
}

export function SkuDetail({ code }) {
  const [sku, setSku] = useState(null);
  const [error, setError] = useState(null);
  const [stamp, setStamp] = useState(0);
  const path = `/api/v1/skus/${encodeURIComponent(code)}`;
  useEffect(() => {
    api(path).then(setSku, setError);
  }, [code, stamp]);
  const again = () => setStamp(stamp + 1);
  if (error) return html`<${Page} title=${code}><${Problem} error=${error} /></${Page}>`;
  if (!sku) return html`<${Page} title=${code}><p class="muted">Kinukuha…</p></${Page}>`;
  const remove = async (barcode) => {
    try {
      await api(`/api/v1/barcodes/${encodeURIComponent(barcode)}`, { method: "DELETE" });
      again();
    } catch (exc) {
      setError(exc);
    }
  };
  return html`<${Page} title=${html`${sku.code} <small>${sku.name}</small>`} testid="sku-detail"
    actions=${html`<a class="btn" ...${link(`/stock/${encodeURIComponent(sku.code)}`)}>Ledger</a> <a class="btn" ...${link("/catalog")}>‹ Catalog</a>`}>
    <div class="cards">
      <section class="card">
        <h2>Details</h2>
        <dl><dt>Weight</dt><dd>${sku.weight_grams} g</dd><dt>Status</dt><dd>${sku.active ? "active" : "inactive"}</dd><dt>Changed</dt><dd>${when(sku.updated_at)}</dd></dl>
        ${isAdmin() && html`<${Form} key=${`p${stamp}`} label="Save" done=${again}
          fields=${[
            { name: "name", label: "Name", value: sku.name, required: true },
            { name: "weight_grams", label: "Weight (g)", type: "number", value: String(sku.weight_grams) },
            { name: "active", label: "Active", type: "checkbox", value: sku.active },
          ]}
          submit=${(v) => api(path, { method: "PATCH", body: { name: v.name, weight_grams: Number(v.weight_grams), active: v.active } })} />`}
      </section>
      <section class="card" data-testid="barcodes">
        <h2>Barcodes</h2>
        <ul>${sku.barcodes.map((b) => html`<li><code>${b.code}</code> ${b.kind} ${isAdmin() && html`<button class="btn btn-link" type="button" onClick=${() => remove(b.code)}>alisin</button>`}</li>`)}</ul>
        ${isAdmin() && html`<${Form} key=${`b${stamp}`} label="Add barcode" inline done=${again}
          fields=${[
            { name: "code", label: "Barcode", required: true },
            { name: "kind", label: "Kind", type: "select", required: true, value: "ean13", options: [["ean13", "EAN-13"], ["upc", "UPC"], ["code128", "Code 128"], ["internal", "Internal"]] },
          ]}
          submit=${(v) => api(`${path}/barcodes`, { method: "POST", body: { code: v.code.trim(), kind: v.kind } })} />`}
      </section>
      <section class="card" data-testid="components">
        <h2>Bundle components</h2>
        ${sku.components.length === 0 ? html`<p class="muted">Hindi bundle.</p>` : html`<ul>${sku.components.map((c) => html`<li>${c.qty}× <a ...${link(`/catalog/${encodeURIComponent(c.sku)}`)}>${c.sku}</a> ${c.name}</li>`)}</ul>`}
        ${isAdmin() && html`<${Form} key=${`c${stamp}`} label="Set components" done=${again}
          fields=${[{ name: "components", label: "One per line: SKU × qty", type: "textarea", value: sku.components.map((c) => `${c.sku} x ${c.qty}`).join("\n"), placeholder: "SKU-MUG-WHT x 2" }]}
          submit=${(v) => {
            const components = v.components.split("\n").map((l) => l.trim()).filter(Boolean).map((l) => {
              const [s, q] = l.split(/\s*[x×*]\s*/i);
              return { sku: s.trim(), qty: Number(q || 1) };
            });
            return api(`${path}/components`, { method: "PUT", body: { components } });
          }} />`}
      </section>
    </div>
  </${Page}>`;
}
