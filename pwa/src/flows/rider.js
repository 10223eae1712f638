// The rider's app: today's run in route order with its progress, and the screens of one stop.
// Loaded only when a rider opens it (a chunk of its own, outside the app shell's budget).
//
// /runs                  the run: progress, cash collected, the stops in route order
// /runs/<order>          one stop: who, where, what, how much; call, text, map
// /runs/<order>/deliver  delivered: cash and change, photo, name, signature
// /runs/<order>/fail     failed attempt: reason (R9), optional photo, reschedule date
// /remit                 end of day: cash in hand by stop; /remit/hand-in: turn it in (R12)
import { html } from "../html.js";
import { link, path } from "../router.js";
import { peso } from "../rider/money.js";
import { Message, Screen } from "../ui/kit.js";
import { Deliver } from "./rider-deliver.js";
import { startBackground, proofs, useRun } from "./rider-day.js";
import { Fail } from "./rider-fail.js";
import { Remit } from "./rider-remit.js";
import { StopDetail } from "./rider-stop.js";
import { Summary } from "./rider-summary.js";
import "./rider.css";

export function Rider() {
  startBackground();
  const p = path.value;
  if (p === "/remit") return html`<${Summary} />`;
  if (p === "/remit/hand-in") return html`<${Remit} />`;
  const m = p.match(/^\/runs\/([^/]+)(?:\/(deliver|fail))?$/);
  if (!m) return html`<${RunList} />`;
  const order = decodeURIComponent(m[1]);
  if (m[2] === "deliver") return html`<${Deliver} key=${order} order=${order} />`;
  if (m[2] === "fail") return html`<${Fail} key=${order} order=${order} />`;
  return html`<${StopDetail} key=${order} order=${order} />`;
}

export const STATE_LABEL = { todo: "Hindi pa", delivered: "Na-deliver", failed: "Bigo", cancelled: "Kinansela" };

function RunList() {
  const run = useRun();
  if (!run) return html`<${Screen} title="Run ngayon"><p class="hint">Sandali…</p></${Screen}>`;
  const total = run.stops.length;
  if (!total) {
    return html`<${Screen} title="Run ngayon">
      <${Message} kind="info" title="Walang run sa phone" testid="run-empty">
        Wala pang stops na naka-assign sa iyo, o sarado na ang run. I-tap ang <b>I-sync</b> kapag may signal.
        ${proofs.value.purged > 0 && html`<p>Binura na sa phone ang mga pangalan, numero at address ng saradong run.</p>`}
      </${Message}>
      <a class="btn btn-big" ...${link("/remit")}>Cash at remit</a>
    </${Screen}>`;
  }
  const done = run.delivered + run.failed + run.cancelled;
  const next = run.stops.find((s) => s.state === "todo");
  const manyRuns = new Set(run.stops.map((s) => s.run)).size > 1; // yesterday's still open: say which is which
  return html`<${Screen} title="Run ngayon">
    <section class="run-head" data-testid="run-progress" data-delivered=${run.delivered} data-failed=${run.failed} data-togo=${run.toGo}>
      <div class="run-bar" aria-hidden="true"><span style=${`width:${Math.round((100 * done) / total)}%`}></span></div>
      <div class="run-figs">
        <span class="fig fig-go"><b>${run.delivered}</b>na-deliver</span>
        <span class="fig fig-stop"><b>${run.failed}</b>bigo</span>
        <span class="fig"><b>${run.toGo}</b>natitira</span>
      </div>
      <a class="run-cash" data-testid="run-cash" ...${link("/remit")}>Cash na hawak: <b>${peso(run.inHand)}</b> ›</a>
      ${proofs.value.waiting > 0 && html`<small data-testid="proofs-waiting">${proofs.value.waiting} litrato/pirma ang hindi pa na-upload</small>`}
    </section>
    ${next && html`<a class="btn btn-primary btn-big" data-testid="next-stop" ...${link(`/runs/${encodeURIComponent(next.order)}`)}>Susunod: #${next.pos} ${next.name}</a>`}
    <ol class="stops" data-testid="stops">
      ${run.stops.map(
        (s, i) => html`${manyRuns && s.run !== run.stops[i - 1]?.run && html`<li class="run-label" key=${`run-${s.run}`}><h2>Run${s.date ? ` ng ${s.date}` : ""}</h2></li>`}
        <li key=${s.order}>
          <a class=${`stop stop-${s.state}`} data-testid="stop" data-order=${s.order} data-state=${s.state} ...${link(`/runs/${encodeURIComponent(s.order)}`)}>
            <span class="stop-pos">${s.pos}</span>
            <span class="stop-main"><b>${s.name}</b><small>${s.address}</small></span>
            <span class="stop-side"><b>${s.cod ? peso(s.cod) : "Bayad na"}</b><span class=${`pill pill-${s.state}`}>${STATE_LABEL[s.state]}</span></span>
          </a>
        </li>`,
      )}
    </ol>
    <a class="btn btn-big" data-testid="open-summary" ...${link("/remit")}>Buod ng araw at remit</a>
  </${Screen}>`;
}
