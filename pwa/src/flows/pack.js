// Packing: scan the order (its number, the pick's tote, or the waybill), then every item going
// into the box. The screen shows what is still missing and what is extra; only a complete,
// correct order can be closed, with its weight and number of parcels: one parcel.packed op.
// After that the label and packing slip PDFs can be opened (online) and printed.
import { useEffect, useState } from "preact/hooks";
import { html } from "../html.js";
import { loadDraft, record, saveDraft } from "../engine.js";
import { findSku, skuName } from "../reference.js";
import { link, navigate, path } from "../router.js";
import { bad, good } from "../scan/feedback.js";
import { PARCEL_PACKED, parcelPacked } from "../sync/outbound.js";
import { Message, Screen } from "../ui/kit.js";
import { ScanField } from "../ui/scan-field.js";
import { NeedsData } from "./common.js";
import { CancelledNotice, PaperButtons, STAGE, useOutbound } from "./outbound-ui.js";
import { byPriority, findOrder, orderLabel, packCheck, packScan, pickStage, stateOf, waybillFor } from "./outbound.js";
import { COURIERS } from "./outbound-words.js";
import { QtyInput } from "./qty.js";

const SHOPS = "=shop"; // the select's value for "the shop's courier": no courier is sent, the server decides

export function Pack() {
  const m = path.value.match(/^\/pack\/(.+)$/);
  if (!m) return html`<${PackList} />`;
  return html`<${PackOrder} key=${m[1]} id=${decodeURIComponent(m[1])} />`;
}

function PackList() {
  const out = useOutbound();
  const [prompt, setPrompt] = useState(null);
  const live = out.tasks.filter((t) => t.kind === "task" && t.status !== "cancelled");
  const work = live
    .map((t) => ({ task: t, stage: pickStage(t, stateOf(out.state, t.id)) }))
    // Picked here, or being picked by another phone (the server says "picking"): the packer decides.
    .filter((w) => w.stage === "picked" || w.stage === "packed" || w.task.status === "picking");
  work.sort((a, b) => (a.stage === "packed") - (b.stage === "packed") || (a.stage !== "picked") - (b.stage !== "picked") || byPriority(a.task, b.task));
  const open = (code) => {
    const task = findOrder(live, code, out.state);
    if (!task) {
      bad();
      return setPrompt(html`<code>${code}</code> ay hindi order na naka-pick dito. I-scan ang order number, tote o waybill.`);
    }
    good();
    navigate(`/pack/${encodeURIComponent(task.id)}`);
  };
  return html`<${Screen} title="Packing">
    <${NeedsData} wh=${out.wh} />
    <${CancelledNotice} out=${out} />
    ${prompt && html`<${Message} kind="bad" title="Hindi kilalang order" testid="prompt">${prompt}</${Message}>`}
    <${ScanField} label="I-scan ang order o tote" hint="Order number, tote, o waybill. O piliin sa ibaba." testid="scan-pack-order" onScan=${open} />
    ${out.ready && work.length === 0 && html`<p class="lead" data-testid="pack-empty">Walang order na handa i-pack.</p>`}
    <ul class="list" data-testid="pack-list">
      ${work.map(({ task, stage }) => {
        const [label, cls] = STAGE[stage] ?? ["Pinipili ng iba", "waiting"];
        return html`<li key=${task.id}><a class="tile task-tile" data-testid="pack-task" data-order=${task.id} data-stage=${stage} ...${link(`/pack/${encodeURIComponent(task.id)}`)}>
          <span class="row-main"><b>${orderLabel(task)}</b><small>${task.lines.length} item${task.courier ? ` · ${task.courier}` : ""}</small></span>
          <span class=${`pill pill-${cls}`}>${stage === "picking" || stage === "new" ? "Pinipili" : label}</span></a></li>`;
      })}
    </ul>
  </${Screen}>`;
}

function PackOrder({ id }) {
  const out = useOutbound();
  const task = out.tasks.find((t) => t.kind === "task" && t.id === id) ?? null;
  const mine = stateOf(out.state, id);
  const draftName = `pack:${id}`;
  const [draft, setDraft] = useState(null); // {scanned: {sku: n}, weight: "kg as typed", parcels}
  const [prompt, setPrompt] = useState(null);
  const [saving, setSaving] = useState(false);

  useEffect(() => {
    loadDraft(draftName).then((d) => setDraft(d ?? { scanned: {}, weight: "", parcels: 1, courier: null }));
  }, []);
  const update = (next) => {
    setDraft(next);
    saveDraft(draftName, next);
  };

  if (out.cancelled.some((c) => c.id === id) || task?.status === "cancelled") {
    return html`<${Screen} title="Packing" back="/pack"><${CancelledNotice} out=${out} only=${id} />
      ${!out.cancelled.some((c) => c.id === id) && html`<${Message} kind="bad" title="Na-cancel ang order" testid="cancelled-order">Huwag i-pack. Ibalik sa shelf ang mga item.</${Message}>`}
      <a class="btn btn-big" ...${link("/pack")}>Bumalik sa listahan</a></${Screen}>`;
  }
  if (mine.packed || task?.status === "packed") {
    const waybill = mine.packed?.waybill ?? task?.waybill ?? "";
    return html`<${Screen} title="Packing" back="/pack">
      <${Message} kind="good" title="Naka-pack ✓" testid="packed">
        Order <b>${orderLabel(task, id)}</b>${waybill && waybill !== id ? html` · waybill <b data-testid="waybill">${waybill}</b>` : ""}.
        ${mine.packed?.st === "waiting" ? " Naka-save sa phone; masi-sync kapag may signal." : ""}
      </${Message}>
      <${PaperButtons} orderId=${id} />
      <a class="btn btn-primary btn-big" data-testid="pack-next" ...${link("/pack")}>Susunod na order</a>
    </${Screen}>`;
  }
  if (!task) {
    return html`<${Screen} title="Packing" back="/pack"><${Message} kind="warn" title="Wala na ang order sa listahan" testid="pack-missing">I-sync at tingnan ulit.</${Message}></${Screen}>`;
  }
  if (!draft) return html`<${Screen} title="Packing" back="/pack"><p>Sandali…</p></${Screen}>`;

  const check = packCheck(task.lines, draft.scanned);
  // The wave's courier (the server sends it with the wave) is chosen already: the packer does not
  // choose it again. Unknown (an order in no wave): left to the server, which takes the shop's.
  const courier = draft.courier ?? (typeof task.courier === "string" ? task.courier : null);
  const grams = Math.round(Number(String(draft.weight).replace(",", ".")) * 1000);
  const weightOk = Number.isInteger(grams) && grams > 0 && grams <= 1_000_000;

  const onScan = (code) => {
    const sku = findSku(code);
    if (!sku) {
      bad();
      return setPrompt({ kind: "bad", title: "Hindi kilala ang barcode", text: html`<code>${code}</code> ay wala sa listahan ng SKU.` });
    }
    const r = packScan(task.lines, draft.scanned, sku.code);
    update({ ...draft, scanned: r.scanned });
    if (r.extra) {
      bad();
      return setPrompt({
        kind: "bad",
        title: r.foreign ? "Hindi kasama sa order!" : "Sobra na!",
        text: r.foreign ? `${sku.name} ay wala sa order na ito. Alisin sa kahon.` : `Sobra ang ${sku.name}. Alisin ang isa sa kahon.`,
      });
    }
    good();
    setPrompt(null);
  };

  const takeOut = (sku) => update({ ...draft, scanned: { ...draft.scanned, [sku]: Math.max(0, (draft.scanned[sku] ?? 0) - 1) } });

  const close = async () => {
    if (saving || !check.complete || !weightOk) return;
    setSaving(true);
    try {
      const lines = check.rows.map((r) => [r.sku, r.got]);
      const payload = parcelPacked({ wh: out.wh, order: id, waybill: waybillFor(task), weight_g: grams, parcels: draft.parcels, lines, courier });
      await record(PARCEL_PACKED, payload);
      good();
      await saveDraft(draftName, null);
    } finally {
      setSaving(false);
    }
  };

  return html`<${Screen} title="Packing" back="/pack">
    <div class="context"><span>Order <b data-testid="pack-order">${orderLabel(task)}</b></span>
      <span data-testid="pack-progress">${check.rows.reduce((n, r) => n + Math.min(r.got, r.need), 0)} / ${check.rows.reduce((n, r) => n + r.need, 0)} pcs</span></div>
    ${prompt && html`<${Message} kind=${prompt.kind} title=${prompt.title} testid="prompt">${prompt.text}</${Message}>`}
    <${ScanField} label="I-scan ang bawat item na ilalagay sa kahon" hint="Bawat scan = 1 piraso." testid="scan-pack-item" onScan=${onScan} />
    <table class="review pack-table" data-testid="pack-lines">
      <thead><tr><th>Item</th><th>Kailangan</th><th>Na-scan</th></tr></thead>
      <tbody>${check.rows.map(
        (r) => html`<tr class=${r.got > r.need ? "extra" : r.got < r.need ? "missing" : "ok"} data-testid="pack-line" data-sku=${r.sku} data-state=${r.got > r.need ? "extra" : r.got < r.need ? "missing" : "ok"}>
          <td><b>${skuName(r.sku)}</b><small>${r.sku}${r.got > r.need ? ` · sobra ${r.got - r.need}` : r.got < r.need ? ` · kulang ${r.need - r.got}` : " ✓"}</small>
            ${r.got > r.need && html`<button class="btn" data-testid="take-out" onClick=${() => takeOut(r.sku)}>Inalis ko ang isa</button>`}</td>
          <td>${r.need}</td><td><b>${r.got}</b></td></tr>`,
      )}</tbody>
    </table>
    ${check.missing.length > 0 && html`<p class="hint" data-testid="pack-missing-list">Kulang pa: ${check.missing.map(([sku, n]) => `${n} × ${skuName(sku)}`).join(", ")}</p>`}
    ${check.extra.length > 0 && html`<${Message} kind="bad" title="May sobra sa kahon" testid="pack-extra">${check.extra.map(([sku, n]) => `${n} × ${skuName(sku)}`).join(", ")}: alisin bago isara.</${Message}>`}
    ${check.complete &&
    html`<section class="line" data-testid="pack-close">
      <${Message} kind="good" title="Kumpleto at tama ✓">Timbangin ang kahon.</${Message}>
      <label for="pack-weight">Timbang (kg)</label>
      <input id="pack-weight" class="input" type="text" inputmode="decimal" placeholder="hal. 0.45" data-testid="pack-weight"
        value=${draft.weight} onInput=${(e) => update({ ...draft, weight: e.currentTarget.value })} />
      <label for="pack-courier">Courier</label>
      <select id="pack-courier" class="input" data-testid="pack-courier" value=${courier ?? SHOPS} onChange=${(e) => update({ ...draft, courier: e.currentTarget.value === SHOPS ? null : e.currentTarget.value })}>
        ${courier === null && html`<option value=${SHOPS}>Courier ng shop</option>`}
        ${COURIERS.map(([code, name]) => html`<option value=${code}>${name}</option>`)}
      </select>
      <${QtyInput} label="Ilang parcel/kahon?" value=${draft.parcels} min=${1} onChange=${(n) => update({ ...draft, parcels: Math.min(n, 50) })} testid="pack-parcels" />
    </section>`}
    <button class="btn btn-primary btn-big" data-testid="pack-submit" disabled=${saving || !check.complete || !weightOk} onClick=${close}>
      ${check.complete ? (weightOk ? "Isara: naka-pack" : "Ilagay ang timbang") : "Kumpletuhin muna ang order"}
    </button>
  </${Screen}>`;
}
