// Ops a person must look at: flagged by the server (an exception was raised), rejected as malformed,
// set aside on the phone because the server could not take them, or held for another user's login.
// Each is said in the warehouse's words (the server's notes are English, for the console); opening
// the list clears the status bar's badge, and a notice dealt with can be taken off the list.
import { useEffect, useState } from "preact/hooks";
import { html } from "../html.js";
import { opsVersion, seeProblems, settleProblem, syncProblems } from "../engine.js";
import { describeOutbound } from "../flows/outbound-words.js";
import { skuName } from "../reference.js";
import { noteCode, opPayload, opType } from "../sync/protocol.js";
import { manilaTime, Screen } from "./kit.js";

const WHAT = {
  flagged: ["Na-sync, may dapat tingnan", "info"],
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
  useEffect(() => {
    seeProblems(); // the person is looking at them now: the badge clears
  }, [v]);
  return html`<${Screen} title="Mga problema sa sync">
    ${rows.length === 0 && html`<p class="lead" data-testid="no-problems">Walang problema. 👍</p>`}
    <ul class="list">
      ${rows.map((n) => {
        const [label, kind] = WHAT[n.st] ?? [n.st, "info"];
        const p = opPayload(n.op);
        const codes = [...new Set(n.notes.map(noteCode))];
        return html`<li class=${`card card-${kind}`} data-testid="notice" data-codes=${codes.join(" ")}>
          <div class="card-top"><b>${label}</b><small>#${n.seq} · ${manilaTime(n.at)}</small></div>
          <div>${describe(opType(n.op), p, n.seq)}</div>
          ${codes.map((code) => html`<p class="note" data-testid="notice-text">${explain(code, p, n.st)}</p>`)}
          ${n.st === "held"
            ? html`<small>Masi-sync ito pag nag-login ulit ang user na iyon sa phone na ito.</small>`
            : html`<button class="btn" data-testid="notice-settle" onClick=${() => settleProblem(n.key)}>Tapos na, alisin sa listahan</button>`}
        </li>`;
      })}
    </ul>
  </${Screen}>`;
}

/** What the op recorded, in the words of the screen that recorded it. */
export function describe(type, p, seq) {
  switch (type.split("@")[0]) {
    case "stock.received":
      return `Natanggap: ${p.qty} × ${skuName(p.sku)} → ${p.bin}${p.ref ? ` (${p.ref})` : ""}`;
    case "stock.counted":
      return `Bilang: ${skuName(p.sku)} sa ${p.bin} = ${p.counted}${p.empty ? " (walang laman)" : ""}`;
    case "stock.put_away":
      return `Inilipat: ${p.qty} × ${skuName(p.sku)}, ${p.from_bin} → ${p.to_bin}`;
    case "return.received":
      return `Return: ${p.qty} × ${skuName(p.sku)}${p.order ? ` (${p.order})` : ""} — ${p.condition === "damaged" ? "sira" : "ibabalik sa stock"}`;
    case "device.seq_skipped":
      return `Nawalang naitala sa phone: #${seq}${p.to > seq ? `–${p.to}` : ""}`;
    default:
      return describeOutbound(type, p, skuName) ?? type;
  }
}

/**
 * The server's note, for the person holding the phone: what happened and what to do. The codes are
 * the server's (sync/_rules.py, server/sync_api/); one it does not know yet gets a plain sentence.
 */
export function explain(code, p = {}, st = "flagged") {
  const sku = p.sku ? skuName(p.sku) : "ang item";
  switch (code) {
    case "count_variance":
      return `Malayo ang bilang sa inaasahan ng sistema para sa ${sku} sa ${p.bin}. Naitala na; titingnan ng supervisor (baka pabilangin ulit).`;
    case "pick_without_stock":
      return `Ayon sa sistema, kulang ang ${sku} sa ${p.bin} nang kinuha ito. Naitala na ang pick; sabihan ang supervisor para mabilang ang bin.`;
    case "short_pick":
      return `Kulang ang nakuha sa ${p.bin}. Naitala na; ililipat ng supervisor ang order sa ibang bin o warehouse.`;
    case "unknown_sku":
      return `Hindi kilala ng server ang SKU na ${p.sku}. Naka-save pa rin; sabihan ang supervisor para maidagdag ito sa catalog.`;
    case "unknown_warehouse":
      return `Hindi kilala ng server ang warehouse na ${p.wh}. Naka-save pa rin; sabihan ang admin.`;
    case "unknown_order":
      return `Hindi kilala ng server ang order na ${p.order}. Tingnan ang label o waybill; sabihan ang supervisor.`;
    case "out_of_scope":
      return "Wala kang pahintulot dito (ibang warehouse o hindi mo trabaho). Naka-save; ang supervisor ang magpapasya.";
    case "packed_cancelled_order":
    case "shipped_cancelled_order":
    case "delivery_for_cancelled_order":
    case "cash_for_cancelled_order":
      return `Kanselado na ang order na ${p.order}. Huwag ipadala; ibalik ang mga item sa bin at sabihan ang supervisor.`;
    case "ops_lost":
      return "May mga naitala sa phone na hindi na mahanap. Sabihan ang supervisor para matingnan.";
    case "set_aside":
      return "Hindi ito matanggap ng server kahit ilang ulit. Naka-save sa phone; ipakita sa supervisor.";
    case "poison_op":
    case "invalid_payload":
    case "malformed_op":
    case "unknown_op_type":
    case "unknown_op_version":
    case "bad_op_type":
      return "Hindi ito mabasa ng server (baka luma ang app). I-update ang app at sabihan ang supervisor.";
    default:
      return st === "rejected"
        ? "Hindi ito tinanggap ng server. Sabihan ang supervisor."
        : "May napansin ang server dito. Naitala na; titingnan ng supervisor.";
  }
}
