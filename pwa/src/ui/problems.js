// Ops a person must look at: flagged by the server (an exception was raised), rejected as malformed,
// set aside on the phone because the server could not take them, or held for another user's login.
import { useEffect, useState } from "preact/hooks";
import { html } from "../html.js";
import { opsVersion, syncProblems } from "../engine.js";
import { skuName } from "../reference.js";
import { noteCode, noteText, opPayload, opType } from "../sync/protocol.js";
import { manilaTime, Screen } from "./kit.js";

const WHAT = {
  flagged: ["Na-sync, may exception", "info"],
  rejected: ["Hindi tinanggap ng server", "bad"],
  set_aside: ["Itinabi: hindi ma-upload", "bad"],
  held: ["Naghihintay sa login ng ibang user", "warn"],
};

export function Problems() {
  const [rows, setRows] = useState([]);
  const v = opsVersion.value;
  useEffect(() => {
    syncProblems().then((all) => setRows(all.reverse()));
  }, [v]);
  return html`<${Screen} title="Mga problema sa sync">
    ${rows.length === 0 && html`<p class="lead">Walang problema. 👍</p>`}
    <ul class="list">
      ${rows.map((n) => {
        const [label, kind] = WHAT[n.st] ?? [n.st, "info"];
        return html`<li class=${`card card-${kind}`} data-testid="notice">
          <div class="card-top"><b>${label}</b><small>#${n.seq} · ${manilaTime(n.at)}</small></div>
          <div>${describe(opType(n.op), opPayload(n.op), n.seq)}</div>
          ${n.notes.map((note) => html`<p class="note"><code>${noteCode(note)}</code> ${noteText(note)}</p>`)}
        </li>`;
      })}
    </ul>
  </${Screen}>`;
}

/** What the op recorded, in the words of the screen that recorded it. */
function describe(type, p, seq) {
  switch (type.split("@")[0]) {
    case "stock.received":
      return `Natanggap: ${p.qty} × ${skuName(p.sku)} → ${p.bin}${p.ref ? ` (${p.ref})` : ""}`;
    case "stock.counted":
      return `Bilang: ${skuName(p.sku)} sa ${p.bin} = ${p.counted}`;
    case "device.seq_skipped":
      return `Nawalang naitala sa phone: #${seq}${p.to > seq ? `–${p.to}` : ""}`;
    default:
      return type;
  }
}
