// Delivered: the cash (with the change to give back), the proof the seller asks for (a photo, the
// name of who received it, a signature), saved on the phone as R9–R11 ops in one tap. The form is a
// draft in IndexedDB: a reload or a dead battery at the door loses nothing taken so far.
import { useEffect, useState } from "preact/hooks";
import { record } from "../engine.js";
import { html } from "../html.js";
import { link } from "../router.js";
import { changeFor, peso, quickAmounts, toCentavos } from "../rider/money.js";
import { PhotoField } from "../rider/photo-field.js";
import { SignaturePad } from "../rider/signature.js";
import { good } from "../scan/feedback.js";
import { deliveryOps, NAME_MAX } from "../sync/rider-ops.js";
import { Message, Screen } from "../ui/kit.js";
import { keepProof, loadDraft, saveDraft, uploadProofs } from "./rider-day.js";
import { NoStop, useStop } from "./rider-stop.js";

/** What proof this stop needs: the server's list when it sends one, else a photo and a name. */
export function proofNeeded(stop) {
  const asked = Array.isArray(stop?.proof) ? stop.proof : ["photo", "name"];
  return { photo: asked.includes("photo"), name: asked.includes("name"), signature: asked.includes("signature") };
}

/** Why the form cannot be saved yet ([] when it can). */
export function missing(form, need, due) {
  const out = [];
  if (due > 0 && form.amount === null) out.push("halagang nakolekta");
  if (need.photo && !form.photo) out.push("litrato");
  if (need.name && !form.name.trim()) out.push("pangalan ng tumanggap");
  if (need.signature && !form.signed) out.push("pirma");
  return out;
}

export function Deliver({ order }) {
  const { run, stop } = useStop(order);
  const draftName = `rider:deliver:${order}`;
  const [form, setForm] = useState(null); // {amount, amountText, given, photo, name}
  const [signature, setSignature] = useState(null); // a PNG Blob, kept only when saved
  const [saving, setSaving] = useState(false);
  const [done, setDone] = useState(null);
  const [error, setError] = useState("");

  useEffect(() => {
    loadDraft(draftName).then((d) => d && setForm(d));
  }, []);
  useEffect(() => {
    if (stop && !form) setForm({ amount: stop.cod, amountText: String(stop.cod / 100), given: null, photo: "", name: "" });
  }, [stop, form]);

  if (done) return html`<${Done} done=${done} run=${run} />`;
  if (!stop) return html`<${NoStop} run=${run} />`;
  if (!form) return html`<${Screen} title="Na-deliver" back=${`/runs/${encodeURIComponent(order)}`}><p class="hint">Sandali…</p></${Screen}>`;
  if (stop.state === "delivered" || stop.state === "cancelled") {
    return html`<${Screen} title="Na-deliver" back=${`/runs/${encodeURIComponent(order)}`}>
      <${Message} kind="warn" title=${stop.state === "delivered" ? "Na-deliver na ito" : "Kinansela ang order"} testid="deliver-blocked">
        ${stop.state === "delivered" ? "Naitala na ang delivery at cash nito: hindi na ito itatala ulit." : "Huwag i-deliver. Ibalik ang parcel."}
      </${Message}>
    </${Screen}>`;
  }

  const update = (patch) => {
    const next = { ...form, ...patch };
    setForm(next);
    saveDraft(draftName, next);
  };
  const need = proofNeeded(stop);
  const due = stop.cod;
  const { change, short } = changeFor(form.amount ?? 0, form.given ?? 0);
  const lacking = missing({ ...form, signed: Boolean(signature) }, need, due);

  const save = async () => {
    if (saving || lacking.length) return;
    setSaving(true);
    setError("");
    try {
      const sign = signature ? await keepProof(signature, order, "signature") : "";
      const waybill = stop.waybill || "";
      const receivedBy = form.name.trim();
      for (const [type, payload] of deliveryOps({ order, waybill, amount: form.amount, photo: form.photo, sign, receivedBy }, stop.mine)) {
        await record(type, payload);
      }
      await saveDraft(draftName, null);
      good();
      uploadProofs();
      setDone({ stop, amount: form.amount, change });
    } catch (exc) {
      setError(exc?.message ?? String(exc));
      setSaving(false);
    }
  };

  return html`<${Screen} title=${`Na-deliver · #${stop.pos}`} back=${`/runs/${encodeURIComponent(order)}`}>
    <div class="context"><b>${stop.name}</b></div>
    ${due > 0 &&
    html`<section class="card cash-card">
      <div class="due"><small>COD na dapat kolektahin</small><b>${peso(due)}</b></div>
      <label>Ibinigay ng buyer (pera)
        <input class="input input-money" type="text" inputmode="decimal" data-testid="given"
          value=${form.given === null ? "" : String(form.given / 100)} placeholder="hal. 1000"
          onInput=${(e) => update({ given: toCentavos(e.currentTarget.value) })} />
      </label>
      <div class="quick">${quickAmounts(due).map(
        (a) => html`<button type="button" class=${`btn btn-quick ${form.given === a ? "btn-on" : ""}`} data-testid="given-quick" onClick=${() => update({ given: a })}>${peso(a)}</button>`,
      )}</div>
      ${form.given !== null &&
      (short > 0
        ? html`<div class="change change-short" data-testid="change" data-short=${short}>Kulang pa: <b>${peso(short)}</b></div>`
        : html`<div class="change" data-testid="change" data-change=${change}>Sukli: <b>${peso(change)}</b></div>`)}
      <label>Halagang nakolekta
        <input class="input input-money" type="text" inputmode="decimal" data-testid="amount" value=${form.amountText}
          onInput=${(e) => update({ amountText: e.currentTarget.value, amount: toCentavos(e.currentTarget.value) })} />
      </label>
      ${form.amount !== null && form.amount !== due &&
      html`<${Message} kind="warn" testid="amount-differs">Iba sa COD na ${peso(due)}: makikita ito ng supervisor.</${Message}>`}
    </section>`}
    ${stop.mine?.cash > 0 &&
    html`<${Message} kind="info" testid="cash-already">May naitala nang ${peso(stop.mine.cash)} na cash para rito: hindi na ito itatala ulit.</${Message}>`}
    <h2>Proof</h2>
    <${PhotoField} label="Kunan ng litrato ang parcel" required=${need.photo} value=${form.photo}
      keep=${(blob) => keepProof(blob, order, "photo")} onChange=${(sha) => update({ photo: sha })} testid="photo" />
    <label>Pangalan ng tumanggap${need.name ? " *" : ""}
      <input class="input" type="text" autocomplete="off" data-testid="recipient" value=${form.name} maxlength=${NAME_MAX}
        placeholder=${stop.name} onInput=${(e) => update({ name: e.currentTarget.value })} />
    </label>
    <button type="button" class="btn btn-link" data-testid="recipient-self" onClick=${() => update({ name: stop.name })}>Siya mismo: ${stop.name}</button>
    <label>Pirma${need.signature ? " *" : " (kung hinihingi)"}</label>
    <${SignaturePad} onChange=${setSignature} />
    ${error && html`<${Message} kind="bad" title="Hindi naitala">${error}</${Message}>`}
    ${lacking.length > 0 && html`<p class="hint" data-testid="deliver-missing">Kulang pa: ${lacking.join(", ")}</p>`}
    <button class="btn btn-primary btn-big btn-huge" data-testid="deliver-save" disabled=${saving || lacking.length > 0} onClick=${save}>
      ${saving ? "Sine-save…" : `✓ I-save: na-deliver${form.amount ? ` · ${peso(form.amount)}` : ""}`}
    </button>
  </${Screen}>`;
}

function Done({ done, run }) {
  const next = run?.stops.find((s) => s.state === "todo" && s.order !== done.stop.order);
  return html`<${Screen} title="Na-deliver ✓" back="/runs">
    <${Message} kind="good" title=${`#${done.stop.pos} ${done.stop.name}: na-deliver ✓`} testid="deliver-done">
      ${done.amount > 0 ? html`Nakolekta <b>${peso(done.amount)}</b>. ` : ""}${done.change > 0 ? html`Sukli <b>${peso(done.change)}</b>. ` : ""}
      Naka-save sa phone; masi-sync kahit mamaya pa magka-signal.
    </${Message}>
    ${next
      ? html`<a class="btn btn-primary btn-big btn-huge" data-testid="go-next" ...${link(`/runs/${encodeURIComponent(next.order)}`)}>Susunod: #${next.pos} ${next.name}</a>`
      : html`<a class="btn btn-primary btn-big" ...${link("/remit")}>Tapos na ang run: buod at remit</a>`}
    <a class="btn btn-big" ...${link("/runs")}>Bumalik sa run</a>
  </${Screen}>`;
}
