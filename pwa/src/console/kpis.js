// KPIs (GET /api/v1/kpis): each measure with its definition, its total over the period, a chart
// by day, channel or warehouse (uPlot, loaded only on this page), and the numbers behind it. The
// same numbers download as CSV (GET /api/v1/kpis.csv).
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "../html.js";
import { api, download, manilaDate, pesos, qs } from "./api.js";
import { route, setQuery } from "./router.js";
import { Page, Problem } from "./kit.js";

const BY = [["day", "By day"], ["channel", "By channel"], ["warehouse", "By warehouse"]];

export function fmt(value, unit) {
  if (value === null || value === undefined) return "—";
  if (unit === "percent") return `${value.toFixed(1)}%`;
  if (unit === "hours") return `${value.toFixed(1)} h`;
  if (unit === "days") return `${value.toFixed(1)} d`;
  if (unit === "centavos") return pesos(value);
  return String(value);
}

let uplot; // the chart library, loaded on the first visit to this page
async function loadUplot() {
  if (!uplot) {
    const [lib] = await Promise.all([import("uplot"), import("uplot/dist/uPlot.min.css")]);
    uplot = lib.default;
  }
  return uplot;
}

function Chart({ kpi, by }) {
  const box = useRef(null);
  useEffect(() => {
    let chart;
    let live = true;
    loadUplot().then((uPlot) => {
      if (!live || !box.current) return;
      const labels = kpi.series.map((p) => p.bucket);
      const xs = by === "day" ? labels.map((d) => Date.parse(`${d}T00:00:00+08:00`) / 1000) : labels.map((_, i) => i);
      const ys = kpi.series.map((p) => p.value);
      const series = { label: kpi.label, stroke: "#0a6b2b", width: 2, fill: "rgba(10,107,43,0.12)", value: (_, v) => fmt(v, kpi.unit), points: { show: true } };
      if (by !== "day") series.paths = uPlot.paths.bars({ size: [0.6, 64] });
      const axes = [
        by === "day" ? {} : { values: (_, ticks) => ticks.map((t) => labels[t] ?? ""), splits: () => xs },
        { values: (_, ticks) => ticks.map((t) => fmt(t, kpi.unit)), size: 70 },
      ];
      chart = new uPlot(
        { width: box.current.clientWidth || 520, height: 180, series: [{ value: (_, v) => (by === "day" ? new Date(v * 1000).toISOString().slice(0, 10) : labels[v]) }, series], axes, scales: { x: { time: by === "day" }, y: { range: (_, lo, hi) => [Math.min(0, lo ?? 0), (hi ?? 1) * 1.1 || 1] } }, legend: { show: false }, tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), "Asia/Manila") },
        [xs, ys],
        box.current,
      );
    });
    return () => {
      live = false;
      chart?.destroy();
    };
  }, [kpi, by]);
  return html`<div class="chart" ref=${box} data-testid=${`chart-${kpi.key}`}></div>`;
}

export function Kpis() {
  const query = route.value.query;
  const from = query.get("from") || manilaDate(30);
  const to = query.get("to") || manilaDate(1);
  const by = query.get("by") || "day";
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  const [draft, setDraft] = useState({ from, to });
  const params = qs({ from, to, by });
  useEffect(() => {
    setData(null);
    setError(null);
    api(`/api/v1/kpis${params}`).then(setData, setError);
  }, [params]);
  const csv = async () => {
    try {
      const url = await download(`/api/v1/kpis.csv${params}`);
      const a = Object.assign(document.createElement("a"), { href: url, download: `bodega-kpis-${from}-${to}-${by}.csv` });
      a.click();
    } catch (exc) {
      setError(exc);
    }
  };
  return html`<${Page} title="KPIs" testid="kpis"
    actions=${html`<button class="btn" type="button" data-action="csv" onClick=${csv}>Download CSV</button>`}>
    <form class="filters" onSubmit=${(e) => (e.preventDefault(), setQuery({ from: draft.from, to: draft.to }, { replace: false }))}>
      <label class="filter"><span>From</span><input type="date" name="from" value=${draft.from} onInput=${(e) => setDraft({ ...draft, from: e.currentTarget.value })} /></label>
      <label class="filter"><span>To (incl.)</span><input type="date" name="to" value=${draft.to} onInput=${(e) => setDraft({ ...draft, to: e.currentTarget.value })} /></label>
      <button class="btn" type="submit">Ipakita</button>
      <div class="segmented" role="group" aria-label="Hatiin">
        ${BY.map(([v, l]) => html`<button type="button" class=${v === by ? "btn on" : "btn"} aria-pressed=${v === by} onClick=${() => setQuery({ by: v }, { replace: false })}>${l}</button>`)}
      </div>
    </form>
    <${Problem} error=${error} />
    ${!data && !error && html`<p class="muted">Kinukuwenta…</p>`}
    ${data &&
    html`<div class="kpi-grid">
      ${data.kpis.map(
        (k) => html`<article class="card kpi" data-testid=${`kpi-${k.key}`}>
          <header><h2>${k.label}</h2><strong class="kpi-total" data-testid=${`total-${k.key}`}>${fmt(k.total, k.unit)}</strong></header>
          <p class="hint">${k.definition}</p>
          <${Chart} kpi=${k} by=${by} />
          <details>
            <summary>Mga numero</summary>
            <table class="grid compact"><thead><tr><th>${by}</th><th class="num">Value</th><th class="num">Num.</th><th class="num">Den.</th></tr></thead>
              <tbody>${k.series.map((p) => html`<tr><td>${p.bucket}</td><td class="num">${fmt(p.value, k.unit)}</td><td class="num">${p.numerator ?? ""}</td><td class="num">${p.denominator ?? ""}</td></tr>`)}</tbody>
            </table>
          </details>
        </article>`,
      )}
    </div>`}
  </${Page}>`;
}
