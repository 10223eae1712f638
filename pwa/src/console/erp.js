// The accounting feed: where Bodega's business facts are sent (signed webhooks) and the events that
// could not be delivered after every retry (dead letters), each retried with one button.
import { useState } from "preact/hooks";
import { html } from "../html.js";
import { api, when } from "./api.js";
import { Chip, Page, Problem } from "./kit.js";
import { DataTable } from "./table.js";

export function ErpFeed() {
  const [reload, setReload] = useState(0);
  const [error, setError] = useState(null);
  const [retried, setRetried] = useState({});
  const retry = async (d) => {
    setError(null);
    try {
      const out = await api(`/api/v1/erp/dead-letters/${d.id}/retry`, { method: "POST" });
      setRetried({ ...retried, [d.id]: out.state || "pending" });
      setReload(reload + 1);
    } catch (exc) {
      setError(exc);
    }
  };
  const endpointColumns = [
    { key: "name", label: "Endpoint" },
    { key: "url", label: "Address" },
    { key: "types", label: "Events", render: (e) => (e.types.length ? e.types.join(", ") : "all") },
    { key: "pending", label: "Waiting", num: true },
    { key: "dead", label: "Dead", num: true, render: (e) => (e.dead ? html`<strong class="bad">${e.dead}</strong>` : "0") },
    { key: "active", label: "Status", render: (e) => html`<${Chip} value=${e.active ? "active" : "paused"} />` },
  ];
  const deadColumns = [
    { key: "last_attempt_at", label: "Last try", render: (d) => when(d.last_attempt_at) },
    { key: "endpoint_name", label: "Endpoint" },
    { key: "seq", label: "Event no.", num: true },
    { key: "type", label: "Event" },
    { key: "attempts", label: "Tries", num: true },
    { key: "last_error", label: "Last error", render: (d) => html`<span class="wrap">${d.last_error}</span>` },
    {
      key: "retry",
      label: "",
      render: (d) =>
        retried[d.id]
          ? html`<${Chip} value=${retried[d.id]} />`
          : html`<button class="btn" type="button" data-action="retry" onClick=${(e) => (e.stopPropagation(), retry(d))}>Retry</button>`,
    },
  ];
  return html`<${Page} title="ERP feed" testid="erp">
    <h2>Endpoints</h2>
    <${DataTable} testid="endpoint-table" endpoint="/api/v1/erp/endpoints" columns=${endpointColumns} reload=${reload} />
    <h2>Dead letters</h2>
    <${Problem} error=${error} />
    <${DataTable} testid="dead-table" endpoint="/api/v1/erp/dead-letters" columns=${deadColumns} reload=${reload} empty="Walang naipit: lahat naihatid." />
  </${Page}>`;
}
