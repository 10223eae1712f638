// Always on screen: is the phone online, how many ops are waiting and for how long, when the last
// sync finished, and a button to sync now. A picker must never have to guess whether work is saved.
import { useEffect, useState } from "preact/hooks";
import { html } from "../html.js";
import { status, syncNow } from "../engine.js";
import { link } from "../router.js";
import { age, manilaTime, now } from "./kit.js";

export function StatusBar() {
  const s = status.value;
  const t = now.value;
  const online = s.online && !/^network/.test(s.lastError);
  return html`<div class="status" role="status" data-testid="status" data-pending=${s.pending} data-online=${online ? "yes" : "no"}>
    <div class="status-row">
      <span class=${`dot ${online ? "dot-on" : "dot-off"}`} data-testid="status-online">${online ? "Online" : "Offline"}</span>
      <span class="status-wait" data-testid="status-pending">
        ${s.pending === 0 ? "Naka-sync ✓" : html`<b>${s.pending}</b> naghihintay`}
      </span>
      <button type="button" class="btn btn-sync" data-testid="sync-now" aria-label="I-sync ngayon" disabled=${s.running} onClick=${() => syncNow()}>
        ${s.running ? "Sini-sync…" : "I-sync"}
      </button>
    </div>
    <div class="status-row status-small">
      <span>
        ${s.oldest !== null && html`<span data-testid="status-oldest">Pinakaluma: ${age(s.oldest, t)}</span> · `}
        <span data-testid="status-last">${s.lastOkAt ? `Huling sync ${manilaTime(s.lastOkAt)}` : "Hindi pa nakaka-sync"}</span>
      </span>
      ${s.pending > 0 && s.lastError && s.nextAt && html`<${NextTry} at=${s.nextAt} />`}
      ${s.notices > 0 && html`<a class="status-notices" data-testid="status-notices" ...${link("/problems")}>⚠ ${s.notices} problema</a>`}
    </div>
  </div>`;
}

/** "Susubok ulit sa 3 s": a person waiting for work to go sees that the phone keeps trying. */
function NextTry({ at }) {
  const [t, setT] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setT(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const s = Math.ceil((at - t) / 1000);
  return html`<span data-testid="status-next">${s > 0 ? `Susubok ulit sa ${s} s` : "Sinusubukan…"}</span>`;
}
