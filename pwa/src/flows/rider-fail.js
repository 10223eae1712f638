// A failed attempt: one of R9's reasons (big buttons, no typing needed), the day to try again
// (asked for when the buyer said "come back another day", offered for any reason), a note and a
// photo if the rider wants (the closed gate, the wrong house). One delivery.attempted op
// (+ proof.attached for the photo); the stop can be tried again.
import { useState } from "preact/hooks";
import { record } from "../engine.js";
import { html } from "../html.js";
import { link } from "../router.js";
import { PhotoField } from "../rider/photo-field.js";
import { DELIVERY_ATTEMPTED, deliveryAttempted, manilaDate, PROOF_ATTACHED, proofAttached, REASONS, reasonLabel } from "../sync/rider-ops.js";
import { Message, Screen } from "../ui/kit.js";
import { keepProof, uploadProofs } from "./rider-day.js";
import { NoStop, useStop } from "./rider-stop.js";

export function Fail({ order }) {
  const { run, stop } = useStop(order);
  const [reason, setReason] = useState("");
  const [date, setDate] = useState(""); // the day to try again; "" = not given
  const [note, setNote] = useState("");
  const [photo, setPhoto] = useState("");
  const [saving, setSaving] = useState(false);
  const [done, setDone] = useState(false);
  const [error, setError] = useState("");
  if (!stop && !done) return html`<${NoStop} run=${run} />`;
  const back = `/runs/${encodeURIComponent(order)}`;
  if (done) {
    const next = run?.stops.find((s) => s.state === "todo" && s.order !== order);
    return html`<${Screen} title="Naitala" back="/runs">
      <${Message} kind="warn" title=${`Bigo: ${reasonLabel(reason)}`} testid="fail-done">
        ${date ? html`Babalikan sa <b>${date}</b>. ` : ""}Naka-save sa phone. Pwedeng subukan ulit mamaya.
      </${Message}>
      ${next && html`<a class="btn btn-primary btn-big btn-huge" data-testid="go-next" ...${link(`/runs/${encodeURIComponent(next.order)}`)}>Susunod: #${next.pos} ${next.name}</a>`}
      <a class="btn btn-big" ...${link("/runs")}>Bumalik sa run</a>
    </${Screen}>`;
  }
  if (stop.state === "delivered" || stop.state === "cancelled") {
    return html`<${Screen} title="Hindi na-deliver" back=${back}>
      <${Message} kind="warn" title="Hindi na pwede" testid="fail-blocked">${stop.state === "delivered" ? "Na-deliver na ito." : "Kinansela ang order."}</${Message}>
    </${Screen}>`;
  }
  // "Come back another day" needs the day (tomorrow unless the buyer said otherwise).
  const pick = (code) => {
    setReason(code);
    if (code === "rescheduled" && !date) setDate(manilaDate(Date.now(), 1));
  };
  const ready = reason && (reason !== "rescheduled" || date);
  const save = async () => {
    if (saving || !ready) return;
    setSaving(true);
    setError("");
    try {
      const waybill = stop.waybill || "";
      // The photo's link first: saving again after a crash between the two records no second link.
      if (photo && !(stop.mine?.proofs ?? []).some((p) => p.blob === photo)) {
        await record(PROOF_ATTACHED, proofAttached({ order, blob: photo, waybill }));
      }
      await record(DELIVERY_ATTEMPTED, deliveryAttempted({ order, waybill, outcome: "failed", reason, note, rescheduleOn: date }));
      uploadProofs();
      setDone(true);
    } catch (exc) {
      setError(exc?.message ?? String(exc));
      setSaving(false);
    }
  };
  return html`<${Screen} title=${`Hindi na-deliver · #${stop.pos}`} back=${back}>
    <div class="context"><b>${stop.name}</b></div>
    <h2>Bakit?</h2>
    <div class="reasons" role="radiogroup" data-testid="reasons">
      ${REASONS.map(
        ([code, label]) => html`<button type="button" role="radio" aria-checked=${reason === code} data-testid=${`reason-${code}`}
          class=${`btn btn-reason ${reason === code ? "btn-on" : ""}`} onClick=${() => pick(code)}>${label}</button>`,
      )}
    </div>
    ${reason &&
    html`<label>${reason === "rescheduled" ? "Kailan babalikan? *" : "Babalikan sa (opsyonal)"}
      <input class="input" type="date" data-testid="reschedule-date" value=${date} min=${manilaDate()} onInput=${(e) => setDate(e.currentTarget.value)} />
    </label>`}
    <label>Dagdag na paliwanag (opsyonal)
      <input class="input" type="text" data-testid="fail-note" maxlength="300" value=${note} onInput=${(e) => setNote(e.currentTarget.value)} />
    </label>
    <${PhotoField} label="Litrato (opsyonal)" value=${photo} keep=${(blob) => keepProof(blob, order, "photo")} onChange=${setPhoto} testid="fail-photo" />
    ${error && html`<${Message} kind="bad" title="Hindi naitala">${error}</${Message}>`}
    <button class="btn btn-bad btn-big btn-huge" data-testid="fail-save" disabled=${!ready || saving} onClick=${save}>
      ${saving ? "Sine-save…" : reason ? `I-save: ${reasonLabel(reason)}` : "Pumili ng dahilan"}
    </button>
  </${Screen}>`;
}
