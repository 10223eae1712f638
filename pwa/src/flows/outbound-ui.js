// What the pick, pack and handover screens share: the phone's outbound record (read from its own
// ops), the "order cancelled: put these back" notice, and opening a label or slip PDF when online.
import { useEffect, useState } from "preact/hooks";
import { html } from "../html.js";
import { loadDraft, opsVersion, record, recordedSince, saveDraft } from "../engine.js";
import { binsHolding, findBin, knowsAllBins, outboundEntities, skuName, version } from "../reference.js";
import { bad } from "../scan/feedback.js";
import { session } from "../session.js";
import { STOCK_PUT_BACK, stockPutBack } from "../sync/ops.js";
import { OUTBOUND_TYPES } from "../sync/outbound.js";
import { Message } from "../ui/kit.js";
import { cancelledInFlight, mergeOutbound, orderLabel, outboundState, unsyncedPicks } from "./outbound.js";
import { currentWarehouse } from "./common.js";

const WEEK = 8 * 86_400_000; // the phone keeps its confirmed ops 7 days: read them all

/**
 * The warehouse's outbound tasks (from the replica) and this phone's record of its own outbound
 * work (from its ops), kept fresh as ops are recorded or confirmed and as pulls arrive.
 * `ready` is false until the ops are read, so a screen does not flash "nothing picked yet".
 */
export function useOutbound() {
  void version.value;
  const wh = currentWarehouse();
  const v = opsVersion.value;
  const [rows, setRows] = useState(null);
  const [done, setDone] = useState([]);
  useEffect(() => {
    recordedSince(OUTBOUND_TYPES, Date.now() - WEEK).then(setRows);
  }, [v]);
  useEffect(() => {
    loadDraft(`putback:${wh}`).then((d) => setDone(d ?? []));
  }, [wh, v]);
  const state = outboundState(rows ?? []);
  const { tasks, waves } = mergeOutbound(outboundEntities(wh));
  return {
    wh,
    ready: rows !== null,
    state,
    tasks,
    waves,
    taken: unsyncedPicks(state),
    holding: (sku) => binsHolding(wh, sku),
    cancelled: rows === null ? [] : cancelledInFlight(tasks, state, done),
    putBack: async (id) => {
      const next = [...done, id].slice(-500);
      await saveDraft(`putback:${wh}`, next);
      setDone(next);
    },
  };
}

/**
 * Orders cancelled while this phone had their goods: said loudly, with what goes back where.
 * The server's put-back (when it sends one) lists the units still to go back; they go back to the
 * bins they came from, and "Naibalik ko na" records them (staging -> that bin) as put-backs, saved
 * on the phone like any scan. The "Ibalik sa shelf" screen puts them back item by item.
 * Without a server put-back the phone only remembers that the picker did it.
 */
const buzzed = new Set(); // cancellations already announced with a buzz (moving between screens is not news)

export function CancelledNotice({ out, only = null }) {
  const list = out.cancelled.filter((c) => !only || c.id === only);
  const ids = list.map((c) => c.id).join(" ");
  useEffect(() => {
    const news = list.filter((c) => !buzzed.has(c.id));
    news.forEach((c) => buzzed.add(c.id));
    if (news.length) bad(); // a new cancellation buzzes like a refused scan: look at the screen
  }, [ids]);
  if (!list.length) return null;
  return html`<section data-testid="cancelled">${list.map((c) => html`<${CancelledOrder} key=${c.id} c=${c} out=${out} />`)}</section>`;
}

function CancelledOrder({ c, out }) {
  const firstBin = c.putBack.find((p) => p.bin)?.bin ?? "";
  const [bin, setBin] = useState(firstBin);
  const [msg, setMsg] = useState(null);
  const [busy, setBusy] = useState(false);
  const done = async () => {
    if (busy) return;
    if (!c.server) return out.putBack(c.id);
    const to = bin.trim().toUpperCase();
    if (!to) return setMsg("Ilagay ang bin kung saan ibinalik.");
    if (!findBin(out.wh, to) && knowsAllBins(out.wh)) return setMsg(`Walang bin na ${to} sa warehouse. I-check ang label.`);
    setBusy(true);
    try {
      // One put-back per line, saved on the phone (offline too); the server counts them against the
      // order's put-back, as the console's "done" does.
      for (const p of c.putBack) await record(STOCK_PUT_BACK, stockPutBack({ wh: out.wh, sku: p.sku, qty: p.qty, bin: to, order: c.id }));
      await out.putBack(c.id);
    } finally {
      setBusy(false);
    }
  };
  return html`<${Message} kind="bad" title=${`Na-cancel ang order ${orderLabel(c.task, c.id)} — huwag i-pack`} testid="cancelled-order">
    <p>Hindi na ito ipapadala.${c.task?.waybill && c.task.waybill !== c.id ? ` Buksan ang parcel ${c.task.waybill}.` : ""} Ibalik sa shelf:</p>
    <ul class="list" data-testid="put-back">
      ${c.putBack.map((p) => {
        // Where it goes: the bin it was picked from, else a bin that holds the item, else any.
        const to = p.bin || out.holding(p.sku).find(([b, n]) => b && n > 0)?.[0] || "kahit anong bin";
        return html`<li class="row" data-testid="put-back-line"><span class="row-main"><b>${p.qty} × ${skuName(p.sku)}</b>
            <small>${p.sku}${p.mine < p.qty ? ` · ${p.mine} lang ang nakuha mo: hanapin ang iba sa packing/staging` : ""}</small></span>
          <span class="bin-tag">→ ${to}</span></li>`;
      })}
    </ul>
    ${c.server &&
    html`<label>Ibinalik sa bin <input class="input" data-testid="put-back-bin" value=${bin} onInput=${(e) => setBin(e.currentTarget.value)} autocapitalize="characters" /></label>`}
    ${msg && html`<p data-testid="put-back-msg"><b>${msg}</b></p>`}
    <button class="btn btn-primary" data-testid="put-back-done" disabled=${busy} onClick=${done}>Naibalik ko na</button>
  </${Message}>`;
}

const NOT_READY = "not_ready";

/**
 * A PDF from the server, opened in a new tab with this phone's token (so not a plain link). `find`
 * may first look up which URL (the manifest's batch). Answers the sentence to show: offline, or
 * before the server has it, the person is told plainly; what they recorded is saved either way.
 */
async function openPdf(name, find) {
  if (!navigator.onLine) return { kind: "warn", text: `Walang internet: hindi ma-download ang ${name}. Naka-save na ang naitala; i-print kapag may signal.` };
  const tab = window.open("", "_blank"); // opened in the tap itself, or the browser blocks it
  const headers = { Authorization: `Bearer ${session.value?.token ?? ""}` };
  try {
    const url = await find(headers);
    if (!url) throw new Error(NOT_READY);
    const res = await fetch(url, { headers: { ...headers, Accept: "application/pdf" }, cache: "no-store" });
    if (!res.ok) throw new Error(res.status === 404 || res.status === 409 ? NOT_READY : `HTTP ${res.status}`);
    const pdf = URL.createObjectURL(await res.blob());
    if (tab) tab.location.href = pdf;
    else location.assign(pdf);
    return { kind: "good", text: `Nabuksan ang ${name}. I-print mula sa PDF viewer.` };
  } catch (exc) {
    tab?.close();
    return {
      kind: "warn",
      text:
        exc.message === NOT_READY
          ? `Wala pang ${name} sa server (hintayin matapos ang sync, tapos subukan ulit).`
          : `Hindi makuha ang ${name} ngayon (walang koneksyon sa server). Subukan ulit mamaya.`,
    };
  }
}

/** The parcel's label and packing slip (server/shipping: /api/v1/parcels/{order}/label.pdf, slip.pdf). */
export function PaperButtons({ orderId }) {
  const [msg, setMsg] = useState(null);
  const open = async (what, name) => {
    setMsg(null);
    setMsg(await openPdf(name, async () => `/api/v1/parcels/${encodeURIComponent(orderId)}/${what}.pdf`));
  };
  return html`<div class="paper" data-testid="paper">
    <button class="btn btn-big" data-testid="open-label" onClick=${() => open("label", "label")}>Buksan ang label (PDF)</button>
    <button class="btn btn-big" data-testid="open-slip" onClick=${() => open("slip", "packing slip")}>Packing slip (PDF)</button>
    ${msg && html`<${Message} kind=${msg.kind} testid="paper-msg">${msg.text}</${Message}>`}
  </div>`;
}

/**
 * The handover manifest to sign: the server puts handed-over parcels into its dispatch batch for
 * the carrier; the newest batch holding one of these waybills is the one.
 */
export function ManifestButton({ waybills }) {
  const [msg, setMsg] = useState(null);
  const open = async () => {
    setMsg(null);
    const find = async (headers) => {
      const res = await fetch(`/api/v1/dispatch-batches/`, { headers: { ...headers, Accept: "application/json" }, cache: "no-store" });
      if (!res.ok) throw new Error(res.status === 404 ? NOT_READY : `HTTP ${res.status}`);
      const batches = await res.json();
      const batch = (Array.isArray(batches) ? batches : (batches.items ?? [])).find((b) => (b.scanned ?? []).some((w) => waybills.includes(w)));
      return batch ? `/api/v1/dispatch-batches/${encodeURIComponent(batch.id)}/manifest.pdf` : null;
    };
    setMsg(await openPdf("manifest", find));
  };
  return html`<div class="paper" data-testid="paper">
    <button class="btn btn-big" data-testid="open-manifest" onClick=${open}>Buksan ang manifest (PDF)</button>
    ${msg && html`<${Message} kind=${msg.kind} testid="paper-msg">${msg.text}</${Message}>`}
  </div>`;
}

/** The labels the lists show for each stage of an order. */
export const STAGE = {
  new: ["Bago", "waiting"],
  picking: ["Pinipili", "waiting"],
  short: ["May kulang", "flagged"],
  picked: ["Napili na", "synced"],
  packed: ["Naka-pack", "synced"],
  handed: ["Naibigay na", "synced"],
};
