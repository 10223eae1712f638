// Stock: what each warehouse has of each SKU (on hand, reserved, the safety buffer kept back from
// the channels, available), a SKU's ledger, and the office's stock changes: an adjustment (with its
// reason, for the audit), a transfer between warehouses and a buffer. Every change goes through the
// stock endpoints' own writers (POST /stock/adjustments, /stock/transfers, PUT .../buffer).
import { useState } from "preact/hooks";
import { html } from "../html.js";
import { api, when } from "./api.js";
import { link, navigate } from "./router.js";
import { Drawer, Form, Page, warehouseOptions } from "./kit.js";
import { DataTable } from "./table.js";

export function Stock() {
  const warehouses = warehouseOptions();
  const [drawer, setDrawer] = useState("");
  const [reload, setReload] = useState(0);
  const done = () => setReload(reload + 1);
  const columns = [
    { key: "sku", label: "SKU" },
    { key: "name", label: "Name" },
    { key: "warehouse", label: "WH" },
    { key: "on_hand", label: "On hand", num: true },
    { key: "reserved", label: "Reserved", num: true },
    { key: "safety_buffer", label: "Buffer", num: true },
    { key: "available", label: "Available", num: true, render: (b) => html`<strong class=${b.available <= 0 ? "bad" : ""}>${b.available}</strong>` },
    { key: "quarantined", label: "Quarantined", num: true, render: (b) => b.quarantined || "" },
  ];
  const filters = [
    { name: "q", label: "SKU or name", type: "search" },
    { name: "warehouse", label: "Warehouse", type: "select", options: warehouses },
    { name: "low", label: "Low stock", type: "select", options: [["true", "At or below buffer"]] },
  ];
  const actions = html`<button class="btn" type="button" data-action="adjust" onClick=${() => setDrawer("adjust")}>Adjust</button>
    <button class="btn" type="button" data-action="transfer" onClick=${() => setDrawer("transfer")}>Transfer</button>
    <button class="btn" type="button" data-action="buffer" onClick=${() => setDrawer("buffer")}>Buffer</button>`;
  return html`<${Page} title="Stock" testid="stock" actions=${actions}>
    <div class="with-drawer">
      <${DataTable}
        testid="stock-table"
        endpoint="/api/v1/stock"
        columns=${columns}
        filters=${filters}
        reload=${reload}
        rowKey=${(b) => `${b.sku}@${b.warehouse}`}
        onOpen=${(b) => navigate(`/stock/${encodeURIComponent(b.sku)}?warehouse=${b.warehouse}`)}
      />
      <${Drawer} title="Adjust stock" open=${drawer === "adjust"} onClose=${() => setDrawer("")} testid="adjust">
        <p class="hint">A count that does not match, damage, a found box. The reason goes in the ledger.</p>
        <${Form}
          label="Post adjustment"
          done=${done}
          fields=${[
            { name: "warehouse", label: "Warehouse", type: "select", options: warehouses, required: true },
            { name: "sku", label: "SKU", required: true },
            { name: "bin", label: "Bin (optional)" },
            { name: "qty", label: "Change (+ found, − lost)", type: "number", required: true },
            { name: "reason", label: "Reason", required: true, placeholder: "hal. 2 sira sa delivery" },
          ]}
          submit=${async (v) => {
            const line = { sku: v.sku.trim(), qty: Number(v.qty), bin: v.bin.trim() || null };
            const out = await api("/api/v1/stock/adjustments", { method: "POST", body: { warehouse: v.warehouse, reason: v.reason, lines: [line] } });
            return `Naitala: ${out.movements} movement(s).`;
          }}
        />
      </${Drawer}>
      <${Drawer} title="Transfer between warehouses" open=${drawer === "transfer"} onClose=${() => setDrawer("")} testid="transfer">
        <${Form}
          label="Post transfer"
          done=${done}
          fields=${[
            { name: "from_warehouse", label: "From", type: "select", options: warehouses, required: true },
            { name: "to_warehouse", label: "To", type: "select", options: warehouses, required: true },
            { name: "sku", label: "SKU", required: true },
            { name: "qty", label: "Units", type: "number", required: true },
            { name: "reference", label: "Reference (optional)", placeholder: "hal. TR-0012" },
          ]}
          submit=${async (v) => {
            await api("/api/v1/stock/transfers", {
              method: "POST",
              body: { from_warehouse: v.from_warehouse, to_warehouse: v.to_warehouse, reference: v.reference, lines: [{ sku: v.sku.trim(), qty: Number(v.qty) }] },
            });
            return "Nailipat.";
          }}
        />
      </${Drawer}>
      <${Drawer} title="Safety buffer" open=${drawer === "buffer"} onClose=${() => setDrawer("")} testid="buffer">
        <p class="hint">Units kept back from the channels so a late count never oversells.</p>
        <${Form}
          label="Save buffer"
          done=${done}
          fields=${[
            { name: "warehouse", label: "Warehouse", type: "select", options: warehouses, required: true },
            { name: "sku", label: "SKU", required: true },
            { name: "safety_buffer", label: "Buffer (units)", type: "number", required: true },
          ]}
          submit=${async (v) => {
            const out = await api(`/api/v1/stock/${encodeURIComponent(v.warehouse)}/${encodeURIComponent(v.sku.trim())}/buffer`, {
              method: "PUT",
              body: { safety_buffer: Number(v.safety_buffer) },
            });
            return `Buffer ${out.safety_buffer}; available ${out.available}.`;
          }}
        />
      </${Drawer}>
    </div>
  </${Page}>`;
}

export function SkuLedger({ sku }) {
  const warehouses = warehouseOptions();
  const columns = [
    { key: "created_at", label: "When", render: (m) => when(m.created_at) },
    { key: "warehouse", label: "WH", render: (m) => (m.bin ? `${m.warehouse}/${m.bin}` : m.warehouse) },
    { key: "kind", label: "Kind" },
    { key: "qty", label: "Qty", num: true, render: (m) => html`<span class=${m.qty < 0 ? "bad" : "good"}>${m.qty > 0 ? "+" : ""}${m.qty}</span>` },
    { key: "reason", label: "Reason" },
    {
      key: "ref_id",
      label: "Ref",
      render: (m) => (m.ref_type === "order" ? html`<a ...${link(`/orders/${m.ref_id}`)}>order</a>` : m.ref_type && `${m.ref_type} ${m.ref_id.slice(0, 12)}`),
    },
    { key: "actor", label: "By" },
  ];
  const filters = [
    { name: "warehouse", label: "Warehouse", type: "select", options: warehouses },
    { name: "kind", label: "Kind", type: "text", placeholder: "receive, adjust, ship…" },
  ];
  return html`<${Page} title=${`Ledger of ${sku}`} testid="ledger" actions=${html`<a class="btn" ...${link("/stock")}>‹ Stock</a>`}>
    <p class="hint">Every unit in or out of ${sku}, newest first. Balances are sums of these rows.</p>
    <${DataTable} testid="ledger-table" endpoint="/api/v1/stock/movements" params=${{ sku }} columns=${columns} filters=${filters} />
  </${Page}>`;
}
