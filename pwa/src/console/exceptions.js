// The exceptions inbox, full width: what the system or a person flagged for someone to settle.
// Resolve says what was done. Where the server offers more (acknowledge, assign, an action done
// through the owning domain's writer), the row carries those and the buttons appear.
import { useState } from "preact/hooks";
import { html } from "../html.js";
import { api, when } from "./api.js";
import { link } from "./router.js";
import { Chip, Drawer, Form, Page, Problem } from "./kit.js";
import { DataTable } from "./table.js";

// Actions that need a choice: one button per choice, with the params it sends.
const CHOICES = {
  pick_delivery: [
    [{ keep: "first" }, "first delivery is the real one"],
    [{ keep: "second" }, "second report is the real one"],
  ],
};

export function Exceptions() {
  const [open, setOpen] = useState(null);
  const [reload, setReload] = useState(0);
  const done = () => setReload(reload + 1);
  const columns = [
    { key: "created_at", label: "Raised", render: (x) => when(x.created_at) },
    { key: "severity", label: "Severity", render: (x) => (x.severity ? html`<${Chip} value=${x.severity} />` : "") },
    { key: "kind", label: "Kind" },
    { key: "message", label: "What happened", render: (x) => html`<span class="wrap">${x.message}</span>` },
    { key: "order_id", label: "Order", render: (x) => x.order_id && html`<a ...${link(`/orders/${x.order_id}`)} onClick=${(e) => e.stopPropagation()}>open</a>` },
    { key: "where", label: "Where", render: (x) => [x.warehouse, x.sku].filter(Boolean).join(" · ") },
    { key: "assigned_to", label: "Assigned", render: (x) => x.assigned_to || "" },
    { key: "status", label: "Status", render: (x) => html`<${Chip} value=${x.status} />` },
  ];
  const filters = [
    { name: "kind", label: "Kind", type: "search", placeholder: "hal. count_variance" },
    { name: "status", label: "Status", type: "select", options: [["open", "Open"], ["resolved", "Resolved"]] },
  ];
  return html`<${Page} title="Exceptions" testid="exceptions">
    <div class="with-drawer">
      <${DataTable} testid="exception-table" endpoint="/api/v1/exceptions" columns=${columns} filters=${filters} reload=${reload} onOpen=${setOpen} />
      ${open && html`<${ExceptionDrawer} key=${open.id} x=${open} onClose=${() => setOpen(null)} done=${done} />`}
    </div>
  </${Page}>`;
}

function ExceptionDrawer({ x, onClose, done }) {
  const [error, setError] = useState(null);
  const [current, setCurrent] = useState(x);
  // send: for a Form, which shows the refusal by its field; post: for a plain button.
  const send = async (path, body) => {
    const out = await api(`/api/v1/exceptions/${x.id}/${path}`, { method: "POST", body });
    setCurrent(out.exception || out);
    done();
  };
  const post = async (path, body) => {
    setError(null);
    try {
      await send(path, body);
    } catch (exc) {
      setError(exc);
    }
  };
  return html`<${Drawer} title=${current.kind} open onClose=${onClose} testid="exception">
    <p>${current.message}</p>
    ${Object.keys(current.details || {}).length > 0 && html`<pre class="details">${JSON.stringify(current.details, null, 2)}</pre>`}
    ${current.status === "resolved"
      ? html`<p class="ok" data-testid="resolved">Resolved by ${current.resolved_by} ${when(current.resolved_at)}: ${current.resolution}</p>`
      : html`
          ${current.acknowledged_at && html`<p class="muted" data-testid="acknowledged">Nakita na ni ${current.acknowledged_by} ${when(current.acknowledged_at)}</p>`}
          ${"acknowledged_at" in current && !current.acknowledged_at && html`<button class="btn" type="button" onClick=${() => post("acknowledge")}>Acknowledge</button>`}
          ${(current.actions || []).filter((a) => a !== "dismiss").flatMap((a) =>
            (CHOICES[a] ?? [[{}, a.replace(/_/g, " ")]]).map(([params, label]) => html`<button class="btn" type="button" onClick=${() => post("act", { action: a, params })}>${label}</button>`),
          )}
          ${"assigned_to" in current && html`<${Form} label="Assign" inline fields=${[{ name: "to", label: "To (username)", required: true, value: current.assigned_to || "" }]} submit=${async (v) => (await send("assign", { to: v.to }), `Kay ${v.to} na.`)} />`}
          ${(current.actions || []).includes("dismiss") && html`<${Form} label="Dismiss" inline testid="dismiss" fields=${[{ name: "note", label: "Bakit walang gagawin", required: true, placeholder: "hal. test order lang" }]} submit=${(v) => send("act", { action: "dismiss", note: v.note })} />`}
          <${Form} label="Resolve" testid="resolve"
            fields=${[{ name: "resolution", label: "What was done", type: "textarea", required: true, placeholder: "hal. binilang ulit ang A-01-01: 18 pcs" }]}
            submit=${async (v) => {
              const out = await api(`/api/v1/exceptions/${x.id}/resolve`, { method: "POST", body: { resolution: v.resolution } });
              setCurrent(out);
              done();
              return "Resolved.";
            }} />`}
    <${Problem} error=${error} />
  </${Drawer}>`;
}
