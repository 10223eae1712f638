// Receiving: (optional) the delivery's reference, then for each item: scan it, say how many, scan
// the bin it goes to. Each line is a stock.received op, saved on the phone before "Na-save" shows.
import { useEffect, useState } from "preact/hooks";
import { html } from "../html.js";
import { opsVersion, record, recordedSince } from "../engine.js";
import { findBin, findSku, knowsAllBins, skuName, version } from "../reference.js";
import { bad, good } from "../scan/feedback.js";
import { STOCK_RECEIVED, stockReceived } from "../sync/ops.js";
import { opId, opPayload } from "../sync/protocol.js";
import { Message, Screen, startOfManilaDay } from "../ui/kit.js";
import { ScanField } from "../ui/scan-field.js";
import { currentWarehouse, NeedsData } from "./common.js";
import { QtyInput } from "./qty.js";

const QTY_CODE = /^\d{1,4}$/; // a short number scanned from a quantity sheet, not a product barcode

export function Receiving() {
  void version.value;
  const wh = currentWarehouse();
  const [ref, setRef] = useState(null); // null: not asked yet; "": no reference
  const [step, setStep] = useState("item");
  const [line, setLine] = useState({ sku: null, qty: 1, bin: "" });
  const [lastBin, setLastBin] = useState("");
  const [prompt, setPrompt] = useState(null); // {kind, title, text, confirm?}
  const [saved, setSaved] = useState(null);

  const unknown = (code) => {
    bad();
    setPrompt({
      kind: "bad",
      title: "Hindi kilala ang barcode",
      text: html`<code>${code}</code> ay wala sa listahan ng SKU. Tingnan ang label at i-scan ulit, o i-type ang SKU code. Kung bagong item ito, itabi muna at sabihan ang supervisor.`,
    });
  };

  const takeItem = (code) => {
    const sku = findSku(code);
    if (!sku) return unknown(code);
    good();
    setPrompt(null);
    setSaved(null);
    setLine({ sku, qty: 1, bin: "" });
    setStep("qty");
  };

  const takeQtyStepScan = (code) => {
    const sku = findSku(code);
    // Functional updates: a burst typed into the quantity field was just undone by an input event
    // whose state change this handler's `line` has not seen yet.
    if (sku && sku.code === line.sku.code) {
      good(); // scanning each unit counts it
      return setLine((l) => ({ ...l, qty: Math.min(1_000_000, l.qty + 1) }));
    }
    if (!sku && QTY_CODE.test(code)) {
      good();
      return setLine((l) => ({ ...l, qty: Number(code) }));
    }
    if (!sku && (findBin(wh, code) || !knowsAllBins(wh))) return takeBin(code);
    if (sku) {
      bad();
      return setPrompt({ kind: "warn", title: "Ibang item ito", text: `Tapusin muna ang ${line.sku.name}: i-scan ang bin kung saan ilalagay.` });
    }
    return unknown(code);
  };

  const takeBin = async (code, { sure = false } = {}) => {
    const known = findBin(wh, code);
    // Only a full bin list (location entities) can say a label is wrong; without one, the server
    // creates a bin it does not know yet, so the phone takes the code as scanned.
    if (!known && knowsAllBins(wh) && !sure) {
      bad();
      return setPrompt({
        kind: "warn",
        title: "Hindi kilalang bin",
        text: html`Walang bin na <code>${code}</code> sa ${wh}. Gamitin pa rin?`,
        confirm: () => takeBin(code, { sure: true }),
      });
    }
    await save(known ?? code.trim().toUpperCase());
  };

  const save = async (bin) => {
    let payload;
    try {
      payload = stockReceived({ wh, bin, sku: line.sku.code, qty: line.qty, ref: ref ?? "" });
    } catch (exc) {
      bad();
      return setPrompt({ kind: "bad", title: "Hindi ma-save", text: exc.message });
    }
    await record(STOCK_RECEIVED, payload); // durable on the phone before we say so
    good();
    setLastBin(bin);
    setSaved(`${payload.qty} × ${line.sku.name} → ${bin}`);
    setPrompt(null);
    setLine({ sku: null, qty: 1, bin: "" });
    setStep("item");
  };

  if (ref === null) {
    return html`<${Screen} title="Receiving">
      <${NeedsData} wh=${wh} />
      <${ScanField}
        label="Inbound ref (DR / PO)"
        hint="I-scan o i-type ang delivery receipt o PO number. Pwedeng wala."
        placeholder="hal. DR-2026-0012"
        testid="scan-ref"
        onScan=${(code) => {
          good();
          setRef(code.trim().slice(0, 64));
        }}
      />
      <button class="btn btn-big" data-testid="no-ref" onClick=${() => setRef("")}>Walang ref — tuloy</button>
    </${Screen}>`;
  }

  return html`<${Screen} title="Receiving">
    <div class="context">
      <span>Ref: <b data-testid="ref">${ref || "wala"}</b></span>
      <button class="btn btn-link" onClick=${() => setRef(null)}>Palitan</button>
    </div>
    <${NeedsData} wh=${wh} />
    ${saved && html`<${Message} kind="good" testid="saved">Na-save sa phone ✓ ${saved}</${Message}>`}
    ${prompt &&
    html`<${Message} kind=${prompt.kind} title=${prompt.title} testid="prompt">
      <p>${prompt.text}</p>
      ${prompt.confirm && html`<button class="btn btn-primary" data-testid="prompt-yes" onClick=${prompt.confirm}>Oo, gamitin</button>`}
      <button class="btn" data-testid="prompt-dismiss" onClick=${() => setPrompt(null)}>${prompt.confirm ? "Hindi, i-scan ulit" : "Sige"}</button>
    </${Message}>`}
    ${step === "item" &&
    html`<${ScanField} key="item" label="1. I-scan ang item" hint="Barcode ng produkto, o i-type ang SKU code." testid="scan-item" onScan=${takeItem} />`}
    ${step === "qty" &&
    html`<div class="line" data-testid="line">
        <div class="line-sku"><b>${line.sku.name}</b><small>${line.sku.code}</small></div>
        <${QtyInput} label="2. Ilan?" value=${line.qty} min=${1} onChange=${(qty) => setLine((l) => ({ ...l, qty }))} testid="qty" />
        <${ScanField}
          key="bin"
          label="3. I-scan ang bin"
          hint="Kung saan ilalagay. Pag na-scan ang bin, naka-save na."
          placeholder="hal. A-01-01"
          testid="scan-bin"
          onScan=${takeQtyStepScan}
        />
        ${lastBin &&
        html`<button class="btn btn-primary btn-big" data-testid="same-bin" onClick=${() => save(lastBin)}>
          I-save sa ${lastBin}
        </button>`}
        <button class="btn btn-link" onClick=${() => setStep("item")}>Kanselahin ang item na ito</button>
      </div>`}
    <${ReceivedToday} />
  </${Screen}>`;
}

const STATE = {
  waiting: ["○ naghihintay", "waiting"],
  applied: ["✓ na-sync", "synced"],
  duplicate: ["✓ na-sync", "synced"],
  flagged: ["⚠ may exception", "flagged"],
  rejected: ["✕ hindi tinanggap", "rejected"],
};

/** Everything received on this phone today, newest first, with where each line stands. */
function ReceivedToday() {
  const [rows, setRows] = useState([]);
  const v = opsVersion.value;
  useEffect(() => {
    recordedSince(STOCK_RECEIVED, startOfManilaDay()).then(setRows);
  }, [v]);
  const total = rows.reduce((n, r) => n + opPayload(r.op).qty, 0);
  return html`<section class="received">
    <h2>Natanggap ngayon <small data-testid="received-count">${rows.length} line · ${total} pcs</small></h2>
    <ul class="list" data-testid="received-list">
      ${rows.map((r) => {
        const p = opPayload(r.op);
        const [label, cls] = STATE[r.st] ?? [r.st, ""];
        return html`<li class="row" key=${opId(r.op)} data-testid="received-line" data-state=${cls}>
          <span class="row-main"><b>${p.qty} × ${skuName(p.sku)}</b><small>${p.sku} → ${p.bin}${p.ref ? ` · ${p.ref}` : ""}</small></span>
          <span class=${`pill pill-${cls}`}>${label}</span>
        </li>`;
      })}
    </ul>
  </section>`;
}
