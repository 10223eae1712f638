// Courier remittances: each file a courier sent (what they collected and remitted for us), its
// findings (short remittances, fees above contract, parcels never remitted) and its reports.
import { useEffect, useState } from "preact/hooks";
import { html } from "../html.js";
import { api, download, pesos, when } from "./api.js";
import { Chip, Drawer, Page, Problem, useOptions } from "./kit.js";
import { DataTable } from "./table.js";

export function Remittances() {
  const couriers = useOptions("/api/v1/couriers", (c) => [c.code, c.name]);
  const [open, setOpen] = useState(null);
  const columns = [
    { key: "created_at", label: "Imported", render: (b) => when(b.created_at) },
    { key: "courier", label: "Courier" },
    { key: "filename", label: "File" },
    { key: "status", label: "Status", render: (b) => html`<${Chip} value=${b.status} />` },
    { key: "rows_total", label: "Rows", num: true },
    { key: "collected_total", label: "Collected", num: true, render: (b) => pesos(b.collected_total) },
    { key: "fee_total", label: "Fees", num: true, render: (b) => pesos(b.fee_total) },
    { key: "remitted_total", label: "Remitted", num: true, render: (b) => pesos(b.remitted_total) },
    { key: "findings", label: "Findings", num: true, render: (b) => (b.findings ? html`<strong class="bad">${b.findings}</strong>` : "0") },
  ];
  return html`<${Page} title="Courier remittances" testid="remittances">
    <div class="with-drawer">
      <${DataTable} testid="batch-table" endpoint="/api/v1/remittances" columns=${columns} onOpen=${setOpen}
        filters=${[{ name: "courier", label: "Courier", type: "select", options: couriers }]}
        empty="Wala pang remittance file na na-import." />
      ${open && html`<${BatchDrawer} key=${open.id} batch=${open} onClose=${() => setOpen(null)} />`}
    </div>
  </${Page}>`;
}

function BatchDrawer({ batch, onClose }) {
  const [findings, setFindings] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    api(`/api/v1/remittances/${batch.id}/findings`).then(setFindings, setError);
  }, [batch.id]);
  const report = async (kind) => {
    try {
      window.open(await download(`/api/v1/remittances/${batch.id}/report.${kind}`), "_blank");
    } catch (exc) {
      setError(exc);
    }
  };
  return html`<${Drawer} title=${`${batch.courier}: ${batch.filename}`} open onClose=${onClose} testid="batch">
    <p>Expected ${pesos(batch.expected_total)} · remitted ${pesos(batch.remitted_total)} · fees ${pesos(batch.fee_total)} (contract ${pesos(batch.allowed_fee_total)})</p>
    <p><button class="btn" type="button" onClick=${() => report("pdf")}>Report PDF</button> <button class="btn" type="button" onClick=${() => report("csv")}>CSV</button></p>
    <${Problem} error=${error} />
    ${findings && html`<table class="grid compact"><tbody>${findings.map((f) => html`<tr><td>${f.waybill}</td><td>${f.kind}</td><td class="num">${pesos(f.amount)}</td><td>${f.message}</td></tr>`)}</tbody></table>`}
  </${Drawer}>`;
}
