// End of day: the cash in hand stop by stop (what this phone recorded today), what was already
// handed in, and what the server last confirmed; then "I-remit" to turn it in.
import { status } from "../engine.js";
import { html } from "../html.js";
import { link } from "../router.js";
import { peso } from "../rider/money.js";
import { manilaTime, Message, Screen } from "../ui/kit.js";
import { useRun } from "./rider-day.js";

/** Today's collections by stop, in route order (stops already gone from the phone last, by id). */
export function cashByStop(today, stops) {
  const pos = new Map(stops.map((s) => [s.order, s]));
  return [...today.byOrder.entries()]
    .filter(([, s]) => s.cash > 0)
    .map(([order, s]) => ({ order, cash: s.cash, waiting: s.waiting, stop: pos.get(order) ?? null }))
    .sort((a, b) => (a.stop?.pos ?? 1e9) - (b.stop?.pos ?? 1e9) || a.order.localeCompare(b.order));
}

export function Summary() {
  const run = useRun();
  if (!run) return html`<${Screen} title="Buod ng araw"><p class="hint">Sandali…</p></${Screen}>`;
  const rows = cashByStop(run.today, run.stops);
  const st = status.value;
  return html`<${Screen} title="Buod ng araw">
    <section class="card total-card" data-testid="cash-in-hand" data-centavos=${run.inHand}>
      <small>Cash na hawak mo ngayon</small>
      <b class="big-money">${peso(run.inHand)}</b>
      <small>Ngayong araw: nakolekta ${peso(run.today.collected)} · na-remit ${peso(run.today.remitted)}</small>
      ${run.serverCash !== null &&
      html`<small data-testid="server-cash">Ayon sa server${st.lastOkAt ? ` (sync ${manilaTime(st.lastOkAt)})` : ""}: ${peso(run.serverCash)}${st.pending ? " · may hindi pa na-sync" : ""}</small>`}
    </section>
    <div class="run-figs">
      <span class="fig fig-go"><b>${run.delivered}</b>na-deliver</span>
      <span class="fig fig-stop"><b>${run.failed}</b>bigo</span>
      <span class="fig"><b>${run.toGo}</b>natitira</span>
    </div>
    <h2>Cash bawat stop</h2>
    ${rows.length === 0 && html`<p class="hint">Wala pang nakolektang cash ngayong araw.</p>`}
    <table class="review cash-table" data-testid="cash-by-stop">
      <tbody>${rows.map(
        (r) => html`<tr data-testid="cash-row" data-order=${r.order}>
          <td>${r.stop ? html`<b>#${r.stop.pos} ${r.stop.name}</b>` : html`<small>${r.order.slice(0, 8)}…</small>`}${r.waiting ? html`<small>hindi pa na-sync</small>` : ""}</td>
          <td class="num"><b>${peso(r.cash)}</b></td>
        </tr>`,
      )}
      ${rows.length > 0 && html`<tr class="total"><td>Kabuuan</td><td class="num"><b>${peso(run.today.collected)}</b></td></tr>`}</tbody>
    </table>
    ${run.today.remittances.length > 0 &&
    html`<h2>Na-remit ngayon</h2><ul class="list">${run.today.remittances.map(
      (r) => html`<li class="row" data-testid="remitted-row"><span class="row-main"><b>${peso(r.amount)}</b> kay ${r.to}${r.ref ? ` · ${r.ref}` : ""}<small>${manilaTime(r.rec)}${r.waiting ? " · hindi pa na-sync" : ""}</small></span></li>`,
    )}</ul>`}
    ${run.inHand > 0
      ? html`<a class="btn btn-primary btn-big btn-huge" data-testid="open-remit" ...${link("/remit/hand-in")}>I-remit ang ${peso(run.inHand)}</a>`
      : html`<${Message} kind="good">Walang cash na kailangang i-remit.</${Message}>`}
    <a class="btn btn-big" ...${link("/runs")}>Bumalik sa run</a>
  </${Screen}>`;
}
