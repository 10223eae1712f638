// Handover: choose who takes the parcels (a courier's pickup or an own rider's run), scan every
// parcel into the batch, see how many of the expected ones are in, then hand over: one
// parcel.handed_over op per parcel. The phone refuses, with the bad-scan buzz, a parcel scanned
// twice, one already in another batch, one not packed yet and one whose order was cancelled (as
// far as the phone knows: the server checks again when the ops arrive, PROTOCOL.md R6).
import { useEffect, useState } from "preact/hooks";
import { html } from "../html.js";
import { loadDraft, record, saveDraft } from "../engine.js";
import { bad, good } from "../scan/feedback.js";
import { PARCEL_HANDED_OVER, parcelHandedOver } from "../sync/outbound.js";
import { Message, Screen } from "../ui/kit.js";
import { ScanField } from "../ui/scan-field.js";
import { NeedsData } from "./common.js";
import { CancelledNotice, ManifestButton, useOutbound } from "./outbound-ui.js";
import { expectedParcels, handoverScan, orderLabel, stateOf } from "./outbound.js";
import { COURIERS, courierName } from "./outbound-words.js";

const REFUSED = {
  unknown: (code) => ["Hindi kilalang parcel", html`<code>${code}</code> ay hindi parcel na naka-pack dito. I-scan ang waybill sa label.`],
  twice: (code, label) => ["Na-scan na ito", html`${label} ay nasa batch na. Huwag isama nang dalawang beses.`],
  other_batch: (code, label) => ["Naibigay na sa iba", html`${label} ay nasa ibang batch na. Itabi at sabihan ang supervisor.`],
  cancelled: (code, label) => ["Na-cancel ang order!", html`Huwag ibigay ang ${label}. Itabi para maibalik sa shelf.`],
  not_packed: (code, label) => ["Hindi pa naka-pack", html`${label} ay hindi pa sarado sa Packing. Huwag ibigay.`],
};

/** A waybill worth showing: not the order id standing in for one until the server gives it. */
const shownWaybill = (waybill, id) => (waybill && waybill !== id ? `Waybill ${waybill}` : "");

export function Handover() {
  const out = useOutbound();
  const draftName = `handover:${out.wh}`;
  const [draft, setDraft] = useState(null); // {to, rider, parcels: [order id]}
  const [prompt, setPrompt] = useState(null);
  const [saving, setSaving] = useState(false);
  const [done, setDone] = useState(null);

  useEffect(() => {
    loadDraft(draftName).then((d) => setDraft(d ?? { to: "", parcels: [] }));
  }, [draftName]);
  const update = (next) => {
    setDraft(next);
    saveDraft(draftName, next);
  };

  if (!draft) return html`<${Screen} title="Handover"><p>Sandali…</p></${Screen}>`;

  const live = out.tasks; // tasks, put-backs (cancelled) and parcels already gone: every scan is recognised
  // Parcels cancelled after they were scanned into this batch drop out of it, loudly (the notice).
  const gone = new Set(out.cancelled.map((c) => c.id));
  const inBatch = draft.parcels.filter((id) => !gone.has(id) && !stateOf(out.state, id).handed);
  // A rider's batch expects the parcels packed for the own riders (courier "").
  const expected = expectedParcels(live, out.state, draft.to, Boolean(draft.rider));
  const missing = expected.filter((t) => !inBatch.includes(t.id));
  const couriers = [...new Set([...COURIERS.map(([c]) => c), ...live.map((t) => t.courier)])].filter(Boolean);

  if (done) {
    return html`<${Screen} title="Handover">
      <${Message} kind="good" title="Naibigay na ✓" testid="handover-done">
        ${done.count} parcel kay <b>${courierName(done.to)}</b>. Naka-save sa phone; masi-sync kapag may signal. Papirmahan ang manifest.
      </${Message}>
      <${ManifestButton} waybills=${done.waybills} />
      <button class="btn btn-primary btn-big" data-testid="handover-again" onClick=${() => setDone(null)}>Bagong batch</button>
    </${Screen}>`;
  }

  if (!draft.to) {
    return html`<${Screen} title="Handover">
      <${NeedsData} wh=${out.wh} />
      <${CancelledNotice} out=${out} />
      <h2>Kanino ibibigay?</h2>
      <div class="choices" data-testid="handover-to">
        ${couriers.map((c) => html`<button class="btn btn-big" data-testid=${`to-${c}`} onClick=${() => update({ ...draft, to: c, rider: false })}>${courierName(c)}</button>`)}
      </div>
      <form class="scan-row" onSubmit=${(e) => {
        e.preventDefault();
        const rider = e.currentTarget.rider.value.trim();
        if (rider) update({ ...draft, to: rider.slice(0, 64), rider: true });
      }}>
        <input class="input" name="rider" placeholder="O rider (username)" aria-label="Rider" data-testid="to-rider" autocomplete="off" />
        <button class="btn btn-ok" type="submit">OK</button>
      </form>
    </${Screen}>`;
  }

  const onScan = (code) => {
    const r = handoverScan(live, out.state, inBatch, code, [...gone]);
    const task = live.find((t) => t.id === r.id);
    if (r.refuse) {
      bad();
      const [title, text] = REFUSED[r.refuse](code, task ? orderLabel(task) : code);
      return setPrompt({ kind: r.refuse === "twice" ? "warn" : "bad", title, text, why: r.refuse });
    }
    good();
    setPrompt(null);
    update({ ...draft, parcels: [...inBatch, r.id] });
  };

  const handOver = async () => {
    if (saving || inBatch.length === 0) return;
    if (missing.length && !confirm(`May ${missing.length} pang parcel na hindi na-scan. Ibigay na ang ${inBatch.length}?`)) return;
    setSaving(true);
    try {
      const waybills = [];
      for (const id of inBatch) {
        const task = live.find((t) => t.id === id);
        const mine = stateOf(out.state, id);
        // The parcel's waybill as the phone knows it; a parcel packed offline whose waybill the
        // server has not issued yet goes by its order id (the server finds the parcel by order).
        const waybill = task.waybill || mine.packed?.waybill || id;
        await record(PARCEL_HANDED_OVER, parcelHandedOver({ wh: out.wh, order: id, waybill, to: draft.to, lines: task.lines }));
        waybills.push(waybill);
      }
      good();
      setDone({ count: inBatch.length, to: draft.to, waybills });
      update({ to: "", rider: false, parcels: [] });
    } finally {
      setSaving(false);
    }
  };

  return html`<${Screen} title="Handover">
    <div class="context"><span>${draft.rider ? "Rider" : "Courier"}: <b data-testid="handover-courier">${courierName(draft.to)}</b></span>
      <button class="btn btn-link" onClick=${() => update({ ...draft, to: "", rider: false })}>Palitan</button></div>
    <${CancelledNotice} out=${out} />
    <div class="tally" data-testid="handover-count" data-scanned=${inBatch.length} data-expected=${expected.length}>
      <b>${inBatch.length}</b> / ${expected.length} parcel na-scan
    </div>
    ${prompt && html`<${Message} kind=${prompt.kind} title=${prompt.title} testid="prompt"><p data-why=${prompt.why}>${prompt.text}</p></${Message}>`}
    <${ScanField} label="I-scan ang bawat parcel" hint="Ang waybill barcode sa label." testid="scan-parcel" onScan=${onScan} />
    <ul class="list" data-testid="handover-scanned">
      ${inBatch.map((id) => {
        const task = live.find((t) => t.id === id);
        return html`<li class="row" data-testid="handover-parcel"><span class="row-main"><b>${orderLabel(task, id)}</b><small>${shownWaybill(stateOf(out.state, id).packed?.waybill ?? task?.waybill, id)}</small></span>
          <button class="btn" onClick=${() => update({ ...draft, parcels: inBatch.filter((x) => x !== id) })}>Alisin</button></li>`;
      })}
    </ul>
    ${missing.length > 0 &&
    html`<details class="missing" data-testid="handover-missing"><summary>${missing.length} pang hindi na-scan</summary>
      <ul class="list">${missing.map((t) => html`<li class="row">${orderLabel(t)}</li>`)}</ul></details>`}
    <button class="btn btn-primary btn-big" data-testid="handover-submit" disabled=${saving || inBatch.length === 0} onClick=${handOver}>
      Ibigay na: ${inBatch.length} parcel
    </button>
  </${Screen}>`;
}
