// One order's whole story on one page (GET /api/v1/orders/{id}/timeline): who ordered what, every
// status it went through, the stock it moved, its parcel, the rider's attempts, photos and cash,
// and the exceptions raised about it, merged oldest first, with each part in full below.
import { useEffect, useState } from "preact/hooks";
import { html } from "../html.js";
import { api, download, pesos, when } from "./api.js";
import { link } from "./router.js";
import { Chip, Page, Problem } from "./kit.js";

const SOURCE = { history: "Status", movement: "Stock", parcel: "Parcel", attempt: "Delivery", proof: "Proof", cash: "Cash", exception: "Exception" };

export function OrderTimeline({ id }) {
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    setData(null);
    api(`/api/v1/orders/${encodeURIComponent(id)}/timeline`).then(setData, setError);
  }, [id]);
  if (error) return html`<${Page} title="Order"><${Problem} error=${error} /></${Page}>`;
  if (!data) return html`<${Page} title="Order"><p class="muted">Kinukuha…</p></${Page}>`;
  const o = data.order;
  const open = async (path) => window.open(await download(path), "_blank");
  return html`<${Page}
    title=${html`Order ${o.external_id} <${Chip} value=${o.status} />`}
    testid="timeline"
    actions=${html`<a class="btn" ...${link("/orders")}>‹ Orders</a>
      ${data.parcel && html`<button class="btn" type="button" onClick=${() => open(`/api/v1/parcels/${o.id}/label.pdf`)}>Label PDF</button>`}`}
  >
    <div class="cards">
      <div class="card">
        <h2>Customer</h2>
        <p><strong>${o.customer_name}</strong><br />${o.phone}<br />${o.street}, ${o.barangay}<br />${o.city}, ${o.province} ${o.zip_code}</p>
        ${o.address_flag && html`<p class="warn">${o.address_flag}</p>`}
      </div>
      <div class="card">
        <h2>Order</h2>
        <dl>
          <dt>Shop</dt><dd>${o.shop} (${o.channel})</dd>
          <dt>Placed</dt><dd>${when(o.placed_at)}</dd>
          <dt>Ship by</dt><dd>${when(o.ship_by) || "—"}</dd>
          <dt>Warehouse</dt><dd>${o.warehouse || "—"}</dd>
          <dt>Payment</dt><dd>${o.payment_method} ${o.cod_amount ? `· COD ${pesos(o.cod_amount)}` : ""}</dd>
          <dt>Total</dt><dd>${pesos(o.total_amount)}</dd>
          ${o.hold_reason && html`<dt>On hold</dt><dd>${o.hold_reason}</dd>`}
          ${o.backordered && html`<dt>Backorder</dt><dd data-testid="backordered">waiting for a restock: gets the next stock first</dd>`}
        </dl>
      </div>
      <div class="card">
        <h2>Items</h2>
        <table class="grid compact"><tbody>${o.lines.map((l) => html`<tr><td>${l.sku}</td><td class="num">× ${l.qty}</td><td class="num">${pesos(l.unit_price)}</td></tr>`)}</tbody></table>
        ${data.parcel && html`<p>Waybill <strong data-testid="waybill">${data.parcel.waybill}</strong> · ${data.parcel.courier || "own rider"} · ${data.parcel.parcels} box(es)</p>`}
      </div>
    </div>

    <h2>Timeline</h2>
    <ol class="timeline" data-testid="events">
      ${data.events.map(
        (e) => html`<li class=${`ev ev-${e.source}`} data-source=${e.source}>
          <time>${when(e.at)}</time><span class="tag">${SOURCE[e.source] || e.source}</span>
          <span class="what">${e.summary}</span>${e.actor && html`<small>${e.actor}</small>`}
        </li>`,
      )}
    </ol>

    <div class="cards">
      <section class="card" data-testid="attempts">
        <h2>Delivery attempts (${data.cod.attempts.length})</h2>
        ${data.cod.attempts.length === 0 ? html`<p class="muted">Wala pa.</p>` : html`<table class="grid compact"><tbody>
          ${data.cod.attempts.map((a) => html`<tr><td>${when(a.at)}</td><td><${Chip} value=${a.outcome} /></td><td>${a.reason}${a.received_by && html`received by <strong data-testid="received-by">${a.received_by}</strong>`}${a.reschedule_on && html` · try again on <strong data-testid="reschedule-on">${a.reschedule_on}</strong>`}${a.note && ` — ${a.note}`}</td><td>${a.counts ? "" : "voided"}</td></tr>`)}
        </tbody></table>`}
      </section>
      <section class="card" data-testid="cash">
        <h2>Cash</h2>
        ${data.cod.cash.length === 0 ? html`<p class="muted">Walang cash na naitala.</p>` : html`<table class="grid compact"><tbody>
          ${data.cod.cash.map((c) => html`<tr><td>${when(c.at)}</td><td>${c.kind}</td><td>${c.holder}</td><td class="num">${pesos(c.amount)}</td></tr>`)}
        </tbody></table>`}
      </section>
      <section class="card" data-testid="proofs">
        <h2>Proofs</h2>
        ${data.cod.proofs.length === 0 ? html`<p class="muted">Walang photo o pirma.</p>` : html`<ul class="proofs">
          ${data.cod.proofs.map((p) => html`<li><button class="btn btn-link" type="button" onClick=${() => open(`/sync/v1/blobs/${p.blob}`)}>${p.kind}</button> <small>${when(p.at)}</small></li>`)}
        </ul>`}
      </section>
      <section class="card" data-testid="exceptions">
        <h2>Exceptions</h2>
        ${data.exceptions.length === 0 ? html`<p class="muted">Wala.</p>` : html`<ul>
          ${data.exceptions.map((x) => html`<li><${Chip} value=${x.status} /> <strong>${x.kind}</strong> ${x.message}${x.resolution && html`<small>→ ${x.resolution} (${x.resolved_by})</small>`}</li>`)}
        </ul>`}
      </section>
      <section class="card" data-testid="movements">
        <h2>Stock movements</h2>
        ${data.movements.length === 0 ? html`<p class="muted">Wala pa.</p>` : html`<table class="grid compact"><tbody>
          ${data.movements.map((m) => html`<tr><td>${when(m.created_at)}</td><td>${m.kind}</td><td>${m.sku}</td><td>${m.warehouse}${m.bin ? `/${m.bin}` : ""}</td><td class="num">${m.qty > 0 ? "+" : ""}${m.qty}</td></tr>`)}
        </tbody></table>`}
      </section>
    </div>
  </${Page}>`;
}
