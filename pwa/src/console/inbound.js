// Inbound: containers and boxes on their way from suppliers. The shipments list, one shipment's page
// (its lines with landed cost per unit, its milestones through customs, its costs, finishing the
// receiving), the receiving variances to decide, the dated incoming stock, and suppliers with their
// purchase orders. Every change goes through /api/v1/inbound's own writers; nothing is computed here
// that the server does not also compute (landed cost comes back in the shipment).
import { useEffect, useState } from "preact/hooks";
import { html } from "../html.js";
import { api, ApiError, centavos, download, manilaDate, pesos, when } from "./api.js";
import { link, navigate } from "./router.js";
import { Chip, Drawer, Form, Page, Problem, warehouseOptions } from "./kit.js";
import { DataTable } from "./table.js";

const BASE = "/api/v1/inbound";
export const SHIPMENT_STATUSES = ["planned", "in_transit", "at_port", "in_customs", "held", "released", "delivered", "receiving", "closed"];
// The usual order of a shipment's milestones; a hold can come at any point before delivery.
const MILESTONES = ["shipped", "arrived_at_port", "customs_lodged", "assessed", "duties_paid", "released", "delivered_to_warehouse"];
// A typed value refused before it is sent, shown under its field like the server's own refusals.
const bad = (field, message) => new ApiError(422, { detail: "May mali sa form.", errors: [{ field, message }] });
// The server writes rates as decimal text, sometimes in exponent form ("5E+1"): shown as a plain number.
const rate = (text) => String(Number(text));
const day = (d) => html`<span class="nowrap">${d || ""}</span>`;
const label = (s) => s.replace(/_/g, " ");

/** Opens the inbound report (all shipments, or those of one status) as a file, with the token. */
function ReportButtons({ status, onError }) {
  const open = async (kind) => {
    try {
      window.open(await download(`${BASE}/report.${kind}${status ? `?status=${status}` : ""}`), "_blank");
    } catch (exc) {
      onError(exc);
    }
  };
  return html`<button class="btn" type="button" data-action="report-pdf" onClick=${() => open("pdf")}>Report PDF</button>
    <button class="btn" type="button" data-action="report-csv" onClick=${() => open("csv")}>CSV</button>`;
}

export function Shipments() {
  const warehouses = warehouseOptions();
  const [error, setError] = useState(null);
  const columns = [
    { key: "code", label: "ASN" },
    { key: "warehouse", label: "WH" },
    { key: "status", label: "Status", render: (s) => html`<${Chip} value=${s.status} tone=${s.status === "held" ? "on_hold" : s.status} />` },
    { key: "expected_on", label: "Expected", render: (s) => day(s.expected_on) },
    { key: "hold_reason", label: "Hold reason", render: (s) => (s.hold_reason ? html`<span class="bad">${s.hold_reason}</span>` : "") },
    { key: "expected_units", label: "Units", num: true },
    { key: "received_units", label: "Received", num: true },
  ];
  return html`<${Page} title="Inbound shipments" testid="shipments" actions=${html`<${ReportButtons} onError=${setError} />`}>
    <${Problem} error=${error} />
    <${DataTable}
      testid="shipment-table"
      endpoint=${`${BASE}/shipments`}
      columns=${columns}
      filters=${[
        { name: "status", label: "Status", type: "select", options: SHIPMENT_STATUSES.map((s) => [s, label(s)]) },
        { name: "warehouse", label: "Warehouse", type: "select", options: warehouses },
      ]}
      onOpen=${(s) => navigate(`/inbound/${encodeURIComponent(s.code)}`)}
      empty="Walang shipment na parating."
    />
  </${Page}>`;
}

export function ShipmentPage({ code }) {
  const [ship, setShip] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const path = `${BASE}/shipments/${encodeURIComponent(code)}`;
  const load = () => api(path).then(setShip, setError);
  useEffect(() => {
    load();
  }, [code]);
  const finish = async () => {
    if (!confirm("Tapos na ang pag-receive? Ang kulang ay magiging variance.")) return;
    setBusy(true);
    setError(null);
    try {
      setShip(await api(`${path}/finish-receiving`, { method: "POST" }));
    } catch (exc) {
      setError(exc);
    } finally {
      setBusy(false);
    }
  };
  if (!ship) return html`<section class="page" data-testid="shipment"><${Problem} error=${error} />${!error && html`<p class="muted">Kinukuha…</p>`}</section>`;
  const done = ship.milestones.filter((m) => m.actual_on).map((m) => m.milestone);
  // The one after the furthest recorded (a release after a hold leads on to delivery).
  const furthest = Math.max(-1, ...done.map((m) => MILESTONES.indexOf(m)));
  const next = MILESTONES[Math.min(furthest + 1, MILESTONES.length - 1)];
  const actions = html`<a class="btn btn-link" ...${link("/inbound")}>‹ Shipments</a>
    <${ReportButtons} onError=${setError} />
    <button class="btn btn-primary" type="button" data-action="finish" disabled=${busy || ship.status === "closed"} onClick=${finish}>Finish receiving</button>`;
  return html`<${Page} title=${`Shipment ${ship.code}`} testid="shipment" actions=${actions}>
    <${Problem} error=${error} />
    <p data-testid="shipment-head">
      <${Chip} value=${ship.status} tone=${ship.status === "held" ? "on_hold" : ship.status} />
      ${" "}to <strong>${ship.warehouse}</strong> · expected <strong data-testid="expected-on">${ship.expected_on}</strong> · ${ship.mode}
      ${ship.container_no && html` · container ${ship.container_no}`}${ship.bill_of_lading && html` · B/L ${ship.bill_of_lading}`}${ship.airway_bill && html` · AWB ${ship.airway_bill}`}
      ${" "}· goods in ${ship.currency} at ${rate(ship.rate)}
      ${ship.hold_reason && html`<br /><strong class="bad" data-testid="hold-reason">Naka-hold: ${ship.hold_reason}</strong>`}
    </p>
    <h2>Lines</h2>
    <table class="grid compact" data-testid="lines">
      <thead><tr><th>PO</th><th class="num">Line</th><th>SKU</th><th class="num">Expected</th><th class="num">Received</th><th class="num">Goods</th><th class="num">Duties & costs</th><th class="num">Landed</th><th class="num">Landed / unit</th></tr></thead>
      <tbody>
        ${ship.lines.map(
          (l) => html`<tr data-sku=${l.sku}>
            <td>${l.po}</td><td class="num">${l.line_no}</td><td>${l.sku}</td><td class="num">${l.expected}</td>
            <td class=${`num${l.received !== l.expected ? " bad" : ""}`}>${l.received}</td>
            <td class="num">${pesos(l.goods_centavos)}</td><td class="num">${pesos(l.added_centavos)}</td>
            <td class="num">${pesos(l.landed_centavos)}</td><td class="num" data-testid="landed-unit"><strong>${pesos(l.landed_unit_centavos)}</strong></td>
          </tr>`,
        )}
      </tbody>
    </table>
    <div class="cards" style="margin-top: 12px">
      <section class="card two-up" data-testid="milestones">
        <h2>Milestones</h2>
        <table class="grid compact">
          <thead><tr><th>Milestone</th><th>Expected</th><th>Actual</th><th>Note</th></tr></thead>
          <tbody>
            ${ship.milestones.length === 0 && html`<tr><td colspan="4" class="muted">Wala pang milestone.</td></tr>`}
            ${ship.milestones.map((m) => html`<tr><td>${label(m.milestone)}</td><td>${day(m.expected_on)}</td><td>${day(m.actual_on)}</td><td>${m.note}</td></tr>`)}
          </tbody>
        </table>
        <${Form}
          key=${`${ship.milestones.length}-${ship.status}`}
          testid="milestone-form"
          label="Record milestone"
          done=${load}
          fields=${[
            { name: "milestone", label: "Milestone", type: "select", required: true, value: next, options: [...MILESTONES, "held"].map((m) => [m, label(m)]) },
            { name: "actual_on", label: "Nangyari noong (actual)", type: "date", value: manilaDate() },
            { name: "expected_on", label: "O inaasahan sa (expected)", type: "date" },
            { name: "note", label: "Reason (kailangan sa hold)", placeholder: "hal. kulang ang commercial invoice" },
            { name: "new_expected_on", label: "Hold: bagong petsa sa warehouse", type: "date" },
          ]}
          submit=${async (v) => {
            const body = { milestone: v.milestone, note: v.note.trim() };
            for (const k of ["actual_on", "expected_on", "new_expected_on"]) if (v[k]) body[k] = v[k];
            await api(`${path}/milestones`, { method: "POST", body });
            return `Naitala: ${label(v.milestone)}.`;
          }}
        />
      </section>
      <section class="card two-up" data-testid="costs">
        <h2>Costs <small>total ${pesos(ship.costs_centavos)}</small></h2>
        <table class="grid compact">
          <thead><tr><th>Kind</th><th class="num">Amount</th><th>Rate</th><th class="num">Pesos</th><th>Ref</th></tr></thead>
          <tbody>
            ${ship.costs.length === 0 && html`<tr><td colspan="5" class="muted">Wala pang duties, brokerage o freight.</td></tr>`}
            ${ship.costs.map((c) => html`<tr><td>${c.kind}</td><td class="num">${c.currency} ${(c.amount / 100).toFixed(2)}</td><td>${rate(c.rate)}</td><td class="num">${pesos(c.centavos)}</td><td>${c.ref}</td></tr>`)}
          </tbody>
        </table>
        <${Form}
          key=${ship.costs.length}
          testid="cost-form"
          label="Add cost"
          done=${load}
          fields=${[
            { name: "kind", label: "Kind", type: "select", required: true, value: "duties", options: ["duties", "brokerage", "freight", "other"].map((k) => [k, k]) },
            { name: "amount", label: "Amount", required: true, placeholder: "hal. 5,000.00" },
            { name: "currency", label: "Currency", value: "PHP", required: true },
            { name: "rate", label: "Rate (pesos per unit)", value: "1", required: true },
            { name: "ref", label: "Ref (OR / invoice no.)" },
          ]}
          submit=${async (v) => {
            const amount = centavos(v.amount);
            // Two-decimal currencies: typed as 5,000.00, sent in minor units (the server's field).
            if (Number.isNaN(amount)) throw bad("amount", "Pesos o ibang pera, hal. 5000 o 5,000.00");
            await api(`${path}/costs`, { method: "POST", body: { kind: v.kind, amount, currency: v.currency.trim().toUpperCase(), rate: v.rate.trim(), ref: v.ref.trim() } });
            return "Naidagdag ang cost.";
          }}
        />
      </section>
    </div>
    <h2>Variances</h2>
    <${VarianceRows} rows=${ship.variances} onDecided=${load} />
  </${Page}>`;
}

/** Variances with a note and the three decisions; each button posts one decision. */
function VarianceRows({ rows, onDecided, withShipment = false }) {
  if (!rows.length) return html`<p class="muted" data-testid="no-variances">Walang variance.</p>`;
  return html`<table class="grid compact" data-testid="variances">
    <thead><tr>${withShipment && html`<th>ASN</th>`}<th>SKU</th><th>Kind</th><th class="num">Qty</th><th>Status</th><th>Decision</th></tr></thead>
    <tbody>${rows.map((v) => html`<${VarianceRow} key=${v.id} v=${v} withShipment=${withShipment} onDecided=${onDecided} />`)}</tbody>
  </table>`;
}

function VarianceRow({ v, withShipment, onDecided }) {
  const [note, setNote] = useState("");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const decide = async (decision) => {
    setBusy(true);
    setError(null);
    try {
      await api(`${BASE}/variances/${v.id}/decide`, { method: "POST", body: { decision, note: note.trim() } });
      onDecided();
    } catch (exc) {
      setError(exc);
    } finally {
      setBusy(false);
    }
  };
  return html`<tr data-variance=${v.id}>
    ${withShipment && html`<td><a ...${link(`/inbound/${encodeURIComponent(v.shipment)}`)}>${v.shipment}</a></td>`}
    <td>${v.sku}</td><td>${v.kind}</td><td class="num">${v.qty}</td>
    <td><${Chip} value=${v.status === "open" ? "open" : label(v.status)} tone=${v.status === "open" ? "open" : "done"} /></td>
    <td>
      ${v.status === "open"
        ? html`<input name="note" placeholder="Note (bakit)" value=${note} onInput=${(e) => setNote(e.currentTarget.value)} />
            <button class="btn" type="button" data-decision="accept" disabled=${busy} onClick=${() => decide("accept")}>Accept</button>
            <button class="btn" type="button" data-decision="reject" disabled=${busy} onClick=${() => decide("reject")}>Reject</button>
            <button class="btn" type="button" data-decision="return_to_supplier" disabled=${busy} onClick=${() => decide("return_to_supplier")}>Return to supplier</button>
            <${Problem} error=${error} />`
        : html`${v.note} <small>${v.decided_by} · ${when(v.decided_at)}</small>`}
    </td>
  </tr>`;
}

export function Variances() {
  const [reload, setReload] = useState(0);
  const [open, setOpen] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    api(`${BASE}/variances?status=open&limit=100`).then((p) => setOpen(p.items), setError);
  }, [reload]);
  const columns = [
    { key: "created_at", label: "Found", render: (v) => when(v.created_at) },
    { key: "shipment", label: "ASN" },
    { key: "sku", label: "SKU" },
    { key: "kind", label: "Kind" },
    { key: "qty", label: "Qty", num: true },
    { key: "status", label: "Status", render: (v) => label(v.status) },
    { key: "note", label: "Note" },
    { key: "decided_by", label: "By", render: (v) => v.decided_by || "" },
  ];
  return html`<${Page} title="Receiving variances" testid="variance-screen">
    <${Problem} error=${error} />
    <h2>Bukas (kailangan ng desisyon)</h2>
    ${open && html`<${VarianceRows} rows=${open} withShipment onDecided=${() => setReload(reload + 1)} />`}
    <h2>Lahat</h2>
    <${DataTable}
      testid="variance-table"
      endpoint=${`${BASE}/variances`}
      columns=${columns}
      reload=${reload}
      filters=${[{ name: "status", label: "Status", type: "select", options: ["open", "accept", "reject", "return_to_supplier"].map((s) => [s, label(s)]) }]}
      onOpen=${(v) => navigate(`/inbound/${encodeURIComponent(v.shipment)}`)}
      empty="Walang variance."
    />
  </${Page}>`;
}

export function Incoming() {
  const warehouses = warehouseOptions();
  const columns = [
    { key: "expected_on", label: "Expected", render: (r) => day(r.expected_on) },
    { key: "sku", label: "SKU" },
    { key: "warehouse", label: "WH" },
    { key: "qty", label: "Units", num: true },
    { key: "shipment", label: "ASN" },
    { key: "status", label: "Status", render: (r) => html`<${Chip} value=${r.status} tone=${r.status === "held" ? "on_hold" : r.status} />` },
  ];
  return html`<${Page} title="Incoming stock" testid="incoming">
    <p class="hint">Mga unit na parating, ayon sa petsa. Ang naka-hold sa customs ay nasa bagong petsa na.</p>
    <${DataTable}
      testid="incoming-table"
      endpoint=${`${BASE}/incoming`}
      columns=${columns}
      rowKey=${(r) => `${r.shipment}/${r.sku}/${r.warehouse}`}
      filters=${[
        { name: "sku", label: "SKU", type: "search" },
        { name: "warehouse", label: "Warehouse", type: "select", options: warehouses },
      ]}
      onOpen=${(r) => navigate(`/inbound/${encodeURIComponent(r.shipment)}`)}
      empty="Walang parating."
    />
  </${Page}>`;
}

/** "SKU qty cost" per line (cost in the PO's currency, e.g. 12.50) as PO lines; throws on a bad line. */
export function poLines(text) {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l, i) => {
      const [sku, qty, cost] = l.split(/[\s,]+/);
      const unit_cost = centavos(cost ?? "");
      if (!sku || !/^\d+$/.test(qty ?? "") || Number.isNaN(unit_cost)) throw bad("lines", `Line ${i + 1}: "SKU qty unit-cost", hal. SKU-CASE-01 100 12.50`);
      return { sku, qty: Number(qty), unit_cost };
    });
}

export function Suppliers() {
  const warehouses = warehouseOptions();
  const [drawer, setDrawer] = useState("");
  const [reload, setReload] = useState(0);
  const [po, setPo] = useState(null);
  const done = () => setReload(reload + 1);
  const supplierColumns = [
    { key: "code", label: "Code" },
    { key: "name", label: "Name" },
    { key: "country", label: "Country" },
    { key: "currency", label: "Currency" },
  ];
  const poColumns = [
    { key: "created_at", label: "Raised", render: (p) => when(p.created_at) },
    { key: "number", label: "PO" },
    { key: "supplier", label: "Supplier" },
    { key: "warehouse", label: "WH" },
    { key: "status", label: "Status", render: (p) => html`<${Chip} value=${p.status} />` },
    { key: "lines", label: "Units (shipped)", num: true, render: (p) => `${p.lines.reduce((a, l) => a + l.qty, 0)} (${p.lines.reduce((a, l) => a + l.shipped, 0)})` },
  ];
  const actions = html`<button class="btn" type="button" data-action="add-supplier" onClick=${() => setDrawer("supplier")}>Add supplier</button>
    <button class="btn" type="button" data-action="add-po" onClick=${() => setDrawer("po")}>Raise PO</button>`;
  return html`<${Page} title="Suppliers & purchase orders" testid="suppliers" actions=${actions}>
    <div class="with-drawer">
      <div>
        <h2>Suppliers</h2>
        <${DataTable} testid="supplier-table" endpoint=${`${BASE}/suppliers`} columns=${supplierColumns} reload=${reload}
          filters=${[{ name: "q", label: "Code or name", type: "search" }]} empty="Wala pang supplier." />
        <h2>Purchase orders</h2>
        <${DataTable} testid="po-table" endpoint=${`${BASE}/purchase-orders`} columns=${poColumns} reload=${reload} onOpen=${setPo}
          filters=${[{ name: "supplier", label: "Supplier code", type: "text" }]} empty="Wala pang PO." />
      </div>
      <${Drawer} title="Add supplier" open=${drawer === "supplier"} onClose=${() => setDrawer("")} testid="supplier-form">
        <${Form} label="Save supplier" done=${done}
          fields=${[
            { name: "code", label: "Code", required: true, placeholder: "GZ-1" },
            { name: "name", label: "Name", required: true },
            { name: "country", label: "Country (2 letters)", placeholder: "CN" },
            { name: "currency", label: "Currency", value: "PHP", required: true },
          ]}
          submit=${async (v) => {
            await api(`${BASE}/suppliers`, { method: "POST", body: { code: v.code.trim(), name: v.name.trim(), country: v.country.trim().toUpperCase(), currency: v.currency.trim().toUpperCase() } });
            return "Nai-save ang supplier.";
          }} />
      </${Drawer}>
      <${Drawer} title="Raise purchase order" open=${drawer === "po"} onClose=${() => setDrawer("")} testid="po-form">
        <${Form} label="Raise PO" done=${done}
          fields=${[
            { name: "number", label: "PO number", required: true, placeholder: "PO-2026-001" },
            { name: "supplier", label: "Supplier code", required: true },
            { name: "warehouse", label: "Warehouse", type: "select", options: warehouses, required: true },
            { name: "currency", label: "Currency (blank: the supplier's)" },
            { name: "lines", label: "Lines: SKU qty unit-cost, one per line", type: "textarea", required: true, placeholder: "SKU-CASE-01 100 12.50" },
          ]}
          submit=${async (v) => {
            const body = { number: v.number.trim(), supplier: v.supplier.trim(), warehouse: v.warehouse, lines: poLines(v.lines) };
            if (v.currency.trim()) body.currency = v.currency.trim().toUpperCase();
            const out = await api(`${BASE}/purchase-orders`, { method: "POST", body });
            return `Na-raise ang ${out.number}.`;
          }} />
      </${Drawer}>
      ${po && html`<${Drawer} title=${`PO ${po.number}`} open onClose=${() => setPo(null)} testid="po">
        <p>${po.supplier} → ${po.warehouse} · ${po.currency} · ${po.status}</p>
        <table class="grid compact"><thead><tr><th class="num">#</th><th>SKU</th><th class="num">Qty</th><th class="num">Unit cost</th><th class="num">Shipped</th></tr></thead>
          <tbody>${po.lines.map((l) => html`<tr><td class="num">${l.line_no}</td><td>${l.sku}</td><td class="num">${l.qty}</td><td class="num">${po.currency} ${(l.unit_cost / 100).toFixed(2)}</td><td class="num">${l.shipped}</td></tr>`)}</tbody>
        </table>
      </${Drawer}>`}
    </div>
  </${Page}>`;
}
