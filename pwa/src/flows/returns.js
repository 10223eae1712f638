// Returns intake (RTS parcels and customer returns): scan the parcel's waybill or order number, then
// for each item in it: scan it, say how many, and choose — back to stock, or damaged. Each line is a
// return.received op saved on the phone before "Na-save" shows. Damaged units are not sellable: the
// server puts them in a quarantine location, whatever bin the returns table is.
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "../html.js";
import { loadDraft, saveDraft } from "../engine.js";
import { findBin, findSku, knowsAllBins, skuName, version } from "../reference.js";
import { bad, good } from "../scan/feedback.js";
import { RETURN_RECEIVED, returnReceived } from "../sync/ops.js";
import { api, ApiError } from "../session.js";
import { Message, Screen } from "../ui/kit.js";
import { ScanField } from "../ui/scan-field.js";
import { currentWarehouse, NeedsData, Prompt, recordOnce, skuOrTyped, WarehouseLine } from "./common.js";
import { QtyInput } from "./qty.js";

// parcel: null until scanned ({code, order, expected, note}: code "" when the label is unreadable;
// order and expected lines when the server knows the parcel); bin: where returns
// are put down for now (kept between parcels); line: the item being inspected; done: this parcel's lines.
const START = { parcel: null, bin: "", line: null, done: [] };

export function Returns() {
  void version.value;
  const wh = currentWarehouse();
  const draftName = `returns:${wh}`;
  const [loaded, setLoaded] = useState(false);
  const [st, setSt] = useState(START);
  const [prompt, setPrompt] = useState(null);
  const recorded = useRef(null);

  useEffect(() => {
    loadDraft(draftName).then((kept) => {
      if (kept) setSt(kept);
      setLoaded(true);
    });
  }, [draftName]);
  const update = (next) => {
    setSt(next);
    saveDraft(draftName, next);
  };

  const takeParcel = async (code) => {
    good();
    setPrompt(null);
    const parcel = { code: code.trim().slice(0, 64), order: code.trim().slice(0, 64), expected: null, note: "" };
    if (parcel.code) {
      // What should be in it, when the server can say (online): the order's lines, by order number or waybill.
      try {
        const found = await api(`/api/v1/lookup/parcel?code=${encodeURIComponent(parcel.code)}`);
        parcel.order = found.order;
        parcel.expected = found.lines.map((l) => ({ sku: l.sku, name: l.name, qty: l.qty }));
      } catch (exc) {
        parcel.note =
          exc instanceof ApiError && exc.status === 404
            ? "Hindi kilala ng server ang label na ito. Tuloy pa rin: i-scan ang bawat item."
            : exc instanceof ApiError
              ? "Hindi makuha ang laman ng order. Tuloy pa rin: i-scan ang bawat item."
              : "Offline: hindi makita ang laman ng order. Tuloy pa rin: i-scan ang bawat item.";
      }
    }
    update({ ...st, parcel, line: null, done: [] });
  };

  const takeBin = (code, { sure = false } = {}) => {
    const known = findBin(wh, code);
    if (!known && findSku(code)) {
      bad();
      return setPrompt({ kind: "warn", title: "Item ito, hindi bin", text: "I-scan muna ang bin kung saan ilalagay ang mga return (hal. RET-01)." });
    }
    if (!known && knowsAllBins(wh) && !sure) {
      bad();
      return setPrompt({
        kind: "warn",
        title: "Hindi kilalang bin",
        text: html`Walang bin na <code>${code}</code> sa ${wh}. Gamitin pa rin?`,
        confirm: () => takeBin(code, { sure: true }),
      });
    }
    good();
    setPrompt(null);
    update({ ...st, bin: known ?? code.trim().toUpperCase() });
  };

  const takeItem = (code, { sure = false } = {}) => {
    let asked = false;
    const sku = st.line ? findSku(code) : skuOrTyped(code, { sure, ask: (p) => ((asked = true), bad(), setPrompt({ ...p, confirm: () => takeItem(code, { sure: true }) })) });
    if (asked) return;
    if (st.line && sku && sku.code === st.line.sku.code) {
      good(); // each unit scanned counts it
      return update({ ...st, line: { ...st.line, qty: st.line.qty + 1 } });
    }
    if (st.line && !sku && /^\d{1,4}$/.test(code)) {
      good();
      return update({ ...st, line: { ...st.line, qty: Number(code) } });
    }
    if (!sku) {
      bad();
      return setPrompt({ kind: "bad", title: "Hindi kilala ang barcode", text: html`<code>${code}</code> ay wala sa listahan ng SKU. I-scan ulit o i-type ang SKU code. Kung hindi talaga kilala, itabi at sabihan ang supervisor.` });
    }
    if (st.line) {
      bad();
      return setPrompt({ kind: "warn", title: "Tapusin muna ang item", text: `Piliin muna kung maayos o sira ang ${st.line.sku.name}.` });
    }
    good();
    setPrompt(null);
    update({ ...st, line: { sku: { code: sku.code, name: sku.name }, qty: 1, id: crypto.randomUUID() } });
  };

  const decide = async (condition) => {
    const line = st.line;
    if (!line || recorded.current === line.id) return; // a double tap records the line once
    let payload;
    try {
      payload = returnReceived({ wh, bin: st.bin, sku: line.sku.code, qty: line.qty, order: st.parcel?.order ?? "", condition });
    } catch {
      bad();
      return setPrompt({ kind: "bad", title: "Hindi ma-save", text: "Tingnan ang bilang at subukan ulit." });
    }
    if (!(await recordOnce(recorded, line.id, RETURN_RECEIVED, payload))) return;
    good();
    setPrompt(null);
    update({ ...st, line: null, done: [...st.done, { sku: line.sku.code, qty: line.qty, condition }] });
  };

  if (!loaded) return html`<${Screen} title="Returns"><p>Sandali…</p></${Screen}>`;
  if (!wh) return html`<${Screen} title="Returns"><${NeedsData} wh=${wh} /></${Screen}>`;

  const promptBox = html`<${Prompt} prompt=${prompt} onClose=${() => setPrompt(null)} no="Hindi, i-scan ulit" />`;

  if (!st.parcel) {
    return html`<${Screen} title="Returns">
      <${WarehouseLine} wh=${wh} />
      <${NeedsData} wh=${wh} />
      ${promptBox}
      <${ScanField} key="parcel" label="1. I-scan ang parcel" hint="Ang waybill o order number sa label ng parcel na ibinalik." placeholder="hal. ORD-099870" testid="scan-parcel" onScan=${takeParcel} />
      <button class="btn btn-big" data-testid="no-label" onClick=${() => takeParcel("")}>Walang label / hindi mabasa — tuloy</button>
    </${Screen}>`;
  }

  return html`<${Screen} title="Returns">
    <div class="context">
      <span>Parcel: <b data-testid="parcel">${st.parcel.code || "walang label"}</b></span>
      ${st.bin && html`<span>Bin: <b data-testid="return-bin">${st.bin}</b></span>`}
    </div>
    ${st.parcel.order && st.parcel.order !== st.parcel.code && html`<p class="hint">Order <b data-testid="parcel-order">${st.parcel.order}</b></p>`}
    ${st.parcel.note && html`<${Message} kind="info" testid="parcel-note">${st.parcel.note}</${Message}>`}
    ${st.parcel.expected && html`<${Expected} expected=${st.parcel.expected} done=${st.done} />`}
    ${promptBox}
    ${!st.bin &&
    html`<${ScanField} key="bin" label="2. Saan ilalagay ang mga return?" hint="I-scan ang bin ng returns (hal. RET-01). Tatandaan ito para sa susunod na parcel." placeholder="hal. RET-01" testid="scan-return-bin" onScan=${takeBin} />`}
    ${st.bin &&
    html`<${ScanField} key="item" label=${st.line ? "I-scan ulit para magdagdag" : "2. I-scan ang bawat item sa parcel"} hint="Tingnan ang bawat item: maayos ba o sira?" testid="scan-return-item" onScan=${takeItem} />`}
    ${st.line &&
    html`<div class="line" data-testid="line">
      <div class="line-sku"><b>${st.line.sku.name}</b><small>${st.line.sku.code}</small></div>
      <${QtyInput} label="Ilan?" value=${st.line.qty} min=${1} onChange=${(qty) => update({ ...st, line: { ...st.line, qty } })} testid="qty" />
      <p class="hint">Suriin ang item, tapos piliin:</p>
      <button class="btn btn-primary btn-big" data-testid="restock" onClick=${() => decide("resellable")}>✓ Maayos — ibalik sa stock</button>
      <button class="btn btn-big btn-damaged" data-testid="damaged" onClick=${() => decide("damaged")}>✕ Sira — hindi mabebenta</button>
      <button class="btn btn-link" data-testid="cancel-line" onClick=${() => update({ ...st, line: null })}>Kanselahin ang item na ito</button>
    </div>`}
    ${st.done.length > 0 &&
    html`<section><h2>Sa parcel na ito</h2>
      <ul class="list" data-testid="return-lines">${st.done.map(
        (d) => html`<li class="row" data-testid="return-line" data-condition=${d.condition}>
          <span class="row-main"><b>${d.qty} × ${skuName(d.sku)}</b><small>${d.sku}</small></span>
          <span class=${`pill ${d.condition === "damaged" ? "pill-flagged" : "pill-synced"}`}>${d.condition === "damaged" ? "sira" : "ibabalik sa stock"}</span>
        </li>`,
      )}</ul></section>`}
    ${st.bin && !st.line &&
    html`<button class="btn btn-big" data-testid="parcel-done" onClick=${() => update({ ...START, bin: st.bin })}>
      ${st.done.length ? "Tapos na ang parcel — susunod" : "Bumalik (walang naitala)"}
    </button>`}
    ${st.bin && html`<button class="btn btn-link" data-testid="change-bin" onClick=${() => update({ ...st, bin: "" })}>Palitan ang bin ng returns</button>`}
  </${Screen}>`;
}

/** The order's lines against what has been inspected so far: "1 / 2", and anything not in the order. */
function Expected({ expected, done }) {
  const seen = new Map();
  for (const d of done) seen.set(d.sku, (seen.get(d.sku) ?? 0) + d.qty);
  const extra = [...seen.keys()].filter((sku) => !expected.some((e) => e.sku === sku));
  return html`<section><h2>Laman ayon sa order</h2>
    <ul class="list" data-testid="parcel-expected">
      ${expected.map((e) => {
        const got = seen.get(e.sku) ?? 0;
        return html`<li class="row" data-testid="expected-line" data-sku=${e.sku} data-got=${got}>
          <span class="row-main"><b>${e.name}</b><small>${e.sku}</small></span>
          <b class=${got === e.qty ? "pill pill-synced" : "pill pill-waiting"}>${got} / ${e.qty}</b>
        </li>`;
      })}
      ${extra.map(
        (sku) => html`<li class="row" data-testid="extra-line"><span class="row-main"><b>${skuName(sku)}</b><small>wala sa order</small></span>
          <b class="pill pill-flagged">${seen.get(sku)}</b></li>`,
      )}
    </ul></section>`;
}
