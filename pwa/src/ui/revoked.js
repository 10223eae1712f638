// A revoked phone (lost, or retired from the console) shows nothing of the seller's data: only that
// it was revoked, and that the facts recorded on it are kept for the next login.
import { html } from "../html.js";
import { status } from "../engine.js";

export function Revoked({ onLogin }) {
  const waiting = status.value.pending;
  return html`<main class="screen revoked" data-testid="revoked">
    <h1>Na-revoke ang phone na ito</h1>
    <p class="lead">Tinanggal ng admin ang access ng phone na ito, kaya hindi na ito makaka-sync.</p>
    ${waiting > 0
      ? html`<p class="msg msg-warn" data-testid="revoked-kept"><b>${waiting}</b> na naitala dito ang hindi pa na-sync. Hindi ito binura: masi-sync ito pag nag-login ulit ang parehong user sa phone na ito.</p>`
      : html`<p>Walang naiwang hindi na-sync.</p>`}
    <button class="btn btn-primary btn-big" onClick=${onLogin}>Mag-login ulit</button>
  </main>`;
}
