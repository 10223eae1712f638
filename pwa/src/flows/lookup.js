// Stock look-up: scan anything (a bin or an item) and see what is where. Online the server answers
// (GET /api/v1/lookup: bins, on hand, reserved and for which orders, the latest movements);
// offline the phone shows what its own data knows (the last sync plus its unsynced work) and says so.
import { useState } from "preact/hooks";
import { html } from "../html.js";
import { status, unsyncedReceipts } from "../engine.js";
import { binsOf, findBin, findSku, skuName, stockIn, version } from "../reference.js";
import { bad, good } from "../scan/feedback.js";
import { api, ApiError } from "../session.js";
import { manilaTime, Message, Screen } from "../ui/kit.js";
import { ScanField } from "../ui/scan-field.js";
import { currentWarehouse, NeedsData, WarehouseLine } from "./common.js";

const stamp = new Intl.DateTimeFormat("en-PH", { timeZone: "Asia/Manila", month: "short", day: "numeric", hour: "numeric", minute: "2-digit" });
const when = (iso) => stamp.format(new Date(iso));

const KIND = {
  receive: "Natanggap",
  put_away: "Inilipat",
  pick: "Na-pick",
  ship: "Naipadala",
  return: "Return",
  count: "Bilang",
  adjust: "Adjust",
  transfer_in: "Lipat mula sa ibang warehouse",
  transfer_out: "Lipat sa ibang warehouse",
};

/** What the phone's own data says about a code: the same shape as the server's answer, less what it cannot know. */
export async function lookLocally(wh, code) {
  const mine = await unsyncedReceipts(wh);
  const bin = findBin(wh, code);
  if (bin) {
    const held = stockIn(wh, bin);
    for (const [key, n] of mine) {
      const [b, sku] = key.split("\x1f");
      if (b === bin) held.set(sku, (held.get(sku) ?? 0) + n);
    }
    const bins = [...held].filter(([, n]) => n !== 0).sort().map(([sku, qty]) => ({ bin, sku, name: skuName(sku), qty }));
    return { kind: "bin", bin, code, bins };
  }
  const sku = findSku(code);
  if (!sku) return null;
  const bins = [];
  for (const b of new Set([...binsOf(wh), ...[...mine.keys()].map((k) => k.split("\x1f")[0])])) {
    const qty = (stockIn(wh, b).get(sku.code) ?? 0) + (mine.get(`${b}\x1f${sku.code}`) ?? 0);
    if (qty !== 0) bins.push({ bin: b, sku: sku.code, name: sku.name, qty });
  }
  bins.sort((a, b) => a.bin.localeCompare(b.bin));
  return { kind: "sku", sku: sku.code, name: sku.name, code, bins };
}

export function Lookup() {
  void version.value;
  const wh = currentWarehouse();
  const [result, setResult] = useState(null); // {data, offline}
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  const look = async (code) => {
    setError(null);
    setBusy(true);
    try {
      const data = await api(`/api/v1/lookup/?code=${encodeURIComponent(code.trim())}&warehouse=${encodeURIComponent(wh)}`);
      good();
      setResult({ data, offline: false });
    } catch (exc) {
      if (exc instanceof ApiError && exc.status === 404) {
        bad();
        setResult(null);
        setError(html`Walang bin o item na <code>${code}</code> sa ${wh}. Tingnan ang label at i-scan ulit.`);
      } else if (exc instanceof ApiError && exc.status !== 503) {
        bad();
        setResult(null);
        setError("Hindi ma-look up ngayon. Subukan ulit, o sabihan ang supervisor.");
      } else {
        // No answer from the server (offline, or it is down): what the phone knows.
        const data = await lookLocally(wh, code);
        if (data) good();
        else bad();
        setResult(data ? { data, offline: true } : null);
        if (!data) setError(html`Walang bin o item na <code>${code}</code> sa data ng phone. Offline ngayon: subukan ulit pag may signal.`);
      }
    } finally {
      setBusy(false);
    }
  };

  if (!wh) return html`<${Screen} title="Hanapin ang stock"><${NeedsData} wh=${wh} /></${Screen}>`;
  return html`<${Screen} title="Hanapin ang stock">
    <${WarehouseLine} wh=${wh} />
    <${ScanField} label="I-scan ang bin o item" hint="Makikita kung nasaan, ilan, at ang mga huling galaw." placeholder="hal. A-01-01" testid="scan-lookup" onScan=${look} />
    ${busy && html`<p class="hint">Hinahanap…</p>`}
    ${error && html`<${Message} kind="bad" title="Hindi makita" testid="lookup-error">${error}</${Message}>`}
    ${result && html`<${LookupResult} ...${result} />`}
  </${Screen}>`;
}

function LookupResult({ data, offline }) {
  const last = status.value.lastOkAt;
  const title = data.kind === "bin" ? `Bin ${data.bin}` : `${data.name} (${data.sku})`;
  const totals = new Map((data.stock ?? []).map((s) => [s.sku, s]));
  return html`<section data-testid="lookup-result" data-kind=${data.kind} data-offline=${offline ? "yes" : "no"}>
    <h2>${title}</h2>
    ${offline &&
    html`<${Message} kind="warn" title="Offline: mula sa data ng phone" testid="lookup-offline">
      Ito ang alam ng phone ${last ? `mula sa huling sync (${manilaTime(last)})` : "(hindi pa nakaka-sync)"}, kasama ang mga hindi pa na-sync.
      Walang reserved at mga huling galaw hangga't offline.
    </${Message}>`}
    <ul class="list" data-testid="lookup-bins">
      ${data.bins.map(
        (b) => html`<li class="row" data-testid="lookup-line" data-bin=${b.bin} data-sku=${b.sku} data-qty=${b.qty}>
          <span class="row-main"><b>${data.kind === "bin" ? b.name : b.bin}</b><small>${data.kind === "bin" ? b.sku : "bin"}${data.kind === "bin" && totals.has(b.sku) ? ` · buong warehouse: ${totals.get(b.sku).on_hand}, reserved ${totals.get(b.sku).reserved}` : ""}</small></span>
          <b class="lookup-qty">${b.qty}</b>
        </li>`,
      )}
    </ul>
    ${data.bins.length === 0 && html`<p class="hint" data-testid="lookup-empty">${data.kind === "bin" ? "Walang laman ang bin na ito." : "Walang stock nito sa kahit anong bin."}</p>`}
    ${data.kind === "sku" &&
    totals.has(data.sku) &&
    html`<p data-testid="lookup-totals">Sa warehouse: <b>${totals.get(data.sku).on_hand}</b> on hand · <b>${totals.get(data.sku).reserved}</b> reserved · <b>${totals.get(data.sku).on_hand - totals.get(data.sku).reserved}</b> libre</p>`}
    ${(data.reserved_for ?? []).length > 0 &&
    html`<h2>Reserved para sa</h2>
      <ul class="list" data-testid="lookup-reserved">${data.reserved_for.map(
        (r) => html`<li class="row"><span class="row-main"><b>${r.order}</b><small>${skuName(r.sku)}</small></span><b>${r.qty}</b></li>`,
      )}</ul>`}
    ${(data.movements ?? []).length > 0 &&
    html`<h2>Mga huling galaw</h2>
      <ul class="list" data-testid="lookup-moves">${data.movements.map(
        (m) => html`<li class="row" data-testid="lookup-move" data-kind=${m.kind}>
          <span class="row-main"><b>${KIND[m.kind] ?? m.kind}</b><small>${when(m.at)} · ${data.kind === "bin" ? skuName(m.sku) : (m.bin ?? "walang bin")}</small></span>
          <b>${m.qty > 0 ? `+${m.qty}` : m.qty}</b>
        </li>`,
      )}</ul>`}
  </section>`;
}
