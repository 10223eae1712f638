// Handing the day's cash in (R12): how much, to whom (the cashier, supervisor or safe), the slip
// number if there is one. The server compares it with the collections and flags a gap.
import { useEffect, useState } from "preact/hooks";
import { record } from "../engine.js";
import { html } from "../html.js";
import { link } from "../router.js";
import { peso, toCentavos } from "../rider/money.js";
import { good } from "../scan/feedback.js";
import { REMITTANCE_HANDED_IN, remittanceHandedIn } from "../sync/rider-ops.js";
import { Message, Screen } from "../ui/kit.js";
import { useRun } from "./rider-day.js";

export function Remit() {
  const run = useRun();
  const [amountText, setAmountText] = useState(null);
  const [to, setTo] = useState("");
  const [ref, setRef] = useState("");
  const [saving, setSaving] = useState(false);
  const [done, setDone] = useState(null);
  const [error, setError] = useState("");
  useEffect(() => {
    if (run && amountText === null) setAmountText(String(run.inHand / 100));
  }, [run]);
  if (done) {
    return html`<${Screen} title="Na-remit ✓" back="/remit">
      <${Message} kind="good" title=${`${peso(done.amount)} kay ${done.to}`} testid="remit-done">Naka-save sa phone; masi-sync ito. Itago ang slip.</${Message}>
      <a class="btn btn-big" ...${link("/remit")}>Bumalik sa buod</a>
    </${Screen}>`;
  }
  if (!run || amountText === null) return html`<${Screen} title="I-remit" back="/remit"><p class="hint">Sandali…</p></${Screen}>`;
  const amount = toCentavos(amountText);
  const ok = amount !== null && amount > 0 && to.trim().length > 0;
  const save = async () => {
    if (!ok || saving) return;
    setSaving(true);
    setError("");
    try {
      await record(REMITTANCE_HANDED_IN, remittanceHandedIn({ amount, to, ref }));
      good();
      setDone({ amount, to: to.trim() });
    } catch (exc) {
      setError(exc?.message ?? String(exc));
      setSaving(false);
    }
  };
  return html`<${Screen} title="I-remit ang cash" back="/remit">
    <section class="card total-card"><small>Hawak mo ayon sa phone</small><b class="big-money">${peso(run.inHand)}</b></section>
    <label>Halagang iaabot
      <input class="input input-money" type="text" inputmode="decimal" data-testid="remit-amount" value=${amountText} onInput=${(e) => setAmountText(e.currentTarget.value)} />
    </label>
    ${amount !== null && amount !== run.inHand &&
    html`<${Message} kind="warn" testid="remit-differs">${amount < run.inHand ? `Kulang ng ${peso(run.inHand - amount)}` : `Sobra ng ${peso(amount - run.inHand)}`} sa hawak mo: makikita ito ng supervisor.</${Message}>`}
    <label>Kanino iaabot (cashier / supervisor)
      <input class="input" type="text" data-testid="remit-to" maxlength="64" value=${to} placeholder="hal. cashier-val" onInput=${(e) => setTo(e.currentTarget.value)} />
    </label>
    <label>Slip no. (opsyonal)
      <input class="input" type="text" data-testid="remit-ref" maxlength="64" value=${ref} onInput=${(e) => setRef(e.currentTarget.value)} />
    </label>
    ${error && html`<${Message} kind="bad" title="Hindi naitala">${error}</${Message}>`}
    <button class="btn btn-primary btn-big btn-huge" data-testid="remit-save" disabled=${!ok || saving} onClick=${save}>
      ${saving ? "Sine-save…" : amount ? `I-remit ${peso(amount)}` : "I-remit"}
    </button>
  </${Screen}>`;
}
