// Riders and their runs: the day's runs with their COD, the cash each rider holds and for how
// long, and the remittances they handed in (each with its slip).
import { useEffect, useState } from "preact/hooks";
import { html } from "../html.js";
import { api, download, manilaDate, pesos, when } from "./api.js";
import { Chip, Drawer, Page, Problem } from "./kit.js";
import { DataTable } from "./table.js";

export function Riders() {
  const [cash, setCash] = useState(null);
  const [error, setError] = useState(null);
  const [run, setRun] = useState(null);
  useEffect(() => {
    api("/api/v1/cod/kpis/rider-cash").then(setCash, setError);
  }, []);
  const runColumns = [
    { key: "date", label: "Date" },
    { key: "rider", label: "Rider" },
    { key: "name", label: "Run" },
    { key: "stops", label: "Stops", num: true },
    { key: "cod", label: "COD", num: true, render: (r) => pesos(r.cod) },
    { key: "status", label: "Status", render: (r) => html`<${Chip} value=${r.status} />` },
  ];
  const remitColumns = [
    { key: "created_at", label: "When", render: (r) => when(r.created_at) },
    { key: "rider", label: "Rider" },
    { key: "received_by", label: "Received by" },
    { key: "expected", label: "Expected", num: true, render: (r) => pesos(r.expected) },
    { key: "amount", label: "Handed in", num: true, render: (r) => pesos(r.amount) },
    { key: "shortage", label: "Short", num: true, render: (r) => (r.shortage ? html`<strong class="bad">${pesos(r.shortage)}</strong>` : "") },
  ];
  const slip = async (r) => window.open(await download(`/api/v1/cod/remittances/${r.id}/slip.pdf`), "_blank");
  return html`<${Page} title="Riders & runs" testid="riders">
    <${Problem} error=${error} />
    <section class="card" data-testid="rider-cash">
      <h2>Cash in riders' hands ${cash && html`<small>total ${pesos(cash.total)}</small>`}</h2>
      ${cash && cash.riders.length === 0 && html`<p class="muted">Walang rider na may hawak na cash.</p>`}
      ${cash && cash.riders.length > 0 && html`<table class="grid compact"><thead><tr><th>Rider</th><th class="num">Holds</th><th>Oldest since</th><th class="num">Oldest (days)</th></tr></thead><tbody>
        ${cash.riders.map((r) => html`<tr><td>${r.holder}</td><td class="num">${pesos(r.amount)}</td><td>${when(r.oldest_at)}</td><td class="num">${r.oldest_days?.toFixed(1) ?? ""}</td></tr>`)}
      </tbody></table>`}
    </section>
    <h2>Runs</h2>
    <div class="with-drawer">
      <${DataTable} testid="run-table" endpoint="/api/v1/runs" columns=${runColumns} onOpen=${setRun}
        filters=${[
          { name: "rider", label: "Rider", type: "search" },
          { name: "date", label: "Date", type: "date", placeholder: manilaDate() },
        ]} />
      ${run && html`<${RunDrawer} key=${run.id} id=${run.id} onClose=${() => setRun(null)} />`}
    </div>
    <h2>Remittances</h2>
    <${DataTable} testid="remittance-table" endpoint="/api/v1/cod/remittances" columns=${remitColumns} onOpen=${slip}
      filters=${[{ name: "rider", label: "Rider", type: "text" }]} />
  </${Page}>`;
}

function RunDrawer({ id, onClose }) {
  const [run, setRun] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    api(`/api/v1/runs/${id}`).then(setRun, setError);
  }, [id]);
  return html`<${Drawer} title=${run ? `${run.rider}: ${run.name || run.date}` : "Run"} open onClose=${onClose} testid="run">
    <${Problem} error=${error} />
    ${run && html`<p>${run.date} · ${run.status} · COD ${pesos(run.cod)}</p>
      <ol>${run.stops.map((s) => html`<li><a href=${`/console/orders/${s.order}`}>${s.external_id}</a> ${s.recipient}, ${s.city} · ${pesos(s.cod)} <small>${s.status} · ${s.waybill}</small></li>`)}</ol>`}
  </${Drawer}>`;
}
