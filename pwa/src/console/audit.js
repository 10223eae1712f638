// The audit log: who changed what and when (GET /api/v1/audit), searchable by person, kind of
// thing and day; a row opens what was recorded with it.
import { useState } from "preact/hooks";
import { html } from "../html.js";
import { when } from "./api.js";
import { link } from "./router.js";
import { Drawer, Page } from "./kit.js";
import { DataTable } from "./table.js";

export function Audit() {
  const [open, setOpen] = useState(null);
  const columns = [
    { key: "at", label: "When", render: (a) => when(a.at) },
    { key: "actor", label: "Who" },
    { key: "action", label: "Did" },
    { key: "entity", label: "To" },
    { key: "entity_id", label: "Which", render: (a) => (a.entity === "order" ? html`<a ...${link(`/orders/${a.entity_id}`)}>${a.entity_id.slice(0, 8)}</a>` : html`<span title=${a.entity_id}>${a.entity_id.length > 12 ? `${a.entity_id.slice(0, 8)}…` : a.entity_id}</span>`) },
  ];
  const filters = [
    { name: "actor", label: "Who", type: "search", placeholder: "user:bodega.admin" },
    { name: "action", label: "Action", type: "text" },
    { name: "entity", label: "Kind", type: "text", placeholder: "order, sku, user…" },
    { name: "entity_id", label: "Id or code", type: "text" },
    { name: "from", label: "From", type: "date" },
    { name: "to", label: "To (incl.)", type: "date" },
  ];
  return html`<${Page} title="Audit log" testid="audit">
    <div class="with-drawer">
      <${DataTable} testid="audit-table" endpoint="/api/v1/audit" columns=${columns} filters=${filters} onOpen=${setOpen} />
      ${open && html`<${Drawer} title=${`${open.action} ${open.entity}`} open onClose=${() => setOpen(null)}>
        <p>${open.actor} · ${when(open.at)}</p>
        <pre class="details">${JSON.stringify(open.details, null, 2)}</pre>
      </${Drawer}>`}
    </div>
  </${Page}>`;
}
