// Receiving: (optional) the delivery's reference, then for each item: scan it, say how many, scan
// the bin it goes to. Each line is a stock.received op, saved on the phone before "Na-save" shows.
// The line being worked on is a draft in IndexedDB (as counts are): a reload or a dead battery
// finds it where it was.
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "../html.js";
import { loadDraft, opsVersion, recordedSince, saveDraft } from "../engine.js";
import { findBin, findShipment, findSku, knowsAllBins, skuName, version } from "../reference.js";
import { bad, good } from "../scan/feedback.js";
import { STOCK_RECEIVED, stockReceived } from "../sync/ops.js";
import { opId, opPayload } from "../sync/protocol.js";
import { Message, Screen, startOfManilaDay } from "../ui/kit.js";
import { ScanField } from "../ui/scan-field.js";
import { currentWarehouse, NeedsData, Prompt, recordOnce, skuOrTyped, WarehouseLine } from "./common.js";
import { QtyInput } from "./qty.js";

const QTY_CODE = /^\d{1,4}$/; // a short number scanned from a quantity sheet, not a product barcode
// More units than this on one line is more likely a barcode typed into the quantity: ask first.
export const QTY_CONFIRM = 1000;

const EMPTY_LINE = { sku: null, qty: 1, bin: "" };

export function Receiving() {
  void version.value;
  const wh = currentWarehouse();
  const draftName = `receiving:${wh}`;
  const [loaded, setLoaded] = useState(false);
  const [ref, setRef] = useState(null); // null: not asked yet; "": no reference
  const [step, setStep] = useState("item");
  const [line, setLine] = useState(EMPTY_LINE);
  const [lastBin, setLastBin] = useState("");
  const [prompt, setPrompt] = useState(null); // {kind, title, text, confirm?, yes?}
  const [saved, setSaved] = useState(null);
  // The line last recorded (or being recorded): a second tap on Save, even one that lands after the
  // first has finished but before the screen has moved on, finds its line already taken.
  const recorded = useRef(null);

  useEffect(() => {
    setLoaded(false);
    loadDraft(draftName).then((kept) => {
      if (kept) {
        setRef(kept.ref);
        setStep(kept.step);
        setLine(kept.line);
        setLastBin(kept.lastBin ?? "");
      }
      setLoaded(true);
    });
  }, [draftName]);
  useEffect(() => {
    if (!loaded || !wh) return;
    // Only a line in progress (with the delivery's ref) is kept: once it is saved there is nothing
    // half done, and a later visit starts by asking for the next delivery's ref.
    saveDraft(draftName, step === "qty" ? { ref, step, line, lastBin } : null);
  }, [loaded, ref, step, line, lastBin]);

  const unknown = (code) => {
    bad();
    setPrompt({
      kind: "bad",
      title: "Hindi kilala ang barcode",
      text: html`<code>${code}</code> ay wala sa listahan ng SKU. Tingnan ang label at i-scan ulit, o i-type ang SKU code. Kung bagong item ito, itabi muna at sabihan ang supervisor.`,
    });
  };

  const takeItem = (code, { sure = false } = {}) => {
    let asked = false;
    const sku = skuOrTyped(code, { sure, ask: (p) => ((asked = true), bad(), setPrompt({ ...p, confirm: () => takeItem(code, { sure: true }) })) });
    if (asked) return;
    if (!sku) return unknown(code);
    good();
    setPrompt(null);
    setSaved(null);
    setLine({ sku, qty: 1, bin: "", id: crypto.randomUUID() });
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
    if (sku) {
      bad();
      return setPrompt({ kind: "warn", title: "Ibang item ito", text: `Tapusin muna ang ${line.sku.name}: i-scan ang bin kung saan ilalagay.` });
    }
    return takeBin(code); // a bin the list does not know gets the unknown-bin prompt there
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

  const save = async (bin, { sure = false } = {}) => {
    if (!line.sku || recorded.current === line.id) return; // a double tap: this line is saved already
    if (line.qty >= QTY_CONFIRM && !sure) {
      bad();
      return setPrompt({
        kind: "warn",
        title: "Ang dami nito",
        text: html`<b data-testid="big-qty">${line.qty.toLocaleString("en")}</b> piraso ng ${line.sku.name}? Tingnan ulit ang bilang.`,
        confirm: () => save(bin, { sure: true }),
        yes: "Oo, tama",
      });
    }
    let payload;
    try {
      payload = stockReceived({ wh, bin, sku: line.sku.code, qty: line.qty, ref: ref ?? "" });
    } catch (exc) {
      bad();
      return setPrompt({ kind: "bad", title: "Hindi ma-save", text: "Hindi tama ang bilang o ang bin. Tingnan at subukan ulit." });
    }
    if (!(await recordOnce(recorded, line.id, STOCK_RECEIVED, payload))) return; // durable on the phone before we say so
    good();
    setLastBin(bin);
    setSaved(`${payload.qty} × ${line.sku.name} → ${bin}`);
    setPrompt(null);
    setLine(EMPTY_LINE);
    setStep("item");
  };

  if (!loaded) return html`<${Screen} title="Receiving"><p>Sandali…</p></${Screen}>`;
  if (!wh) return html`<${Screen} title="Receiving"><${NeedsData} wh=${wh} /></${Screen}>`;

  if (ref === null) {
    return html`<${Screen} title="Receiving">
      <${WarehouseLine} wh=${wh} />
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
    <${Expected} wh=${wh} ref_=${ref} />
    ${saved && html`<${Message} kind="good" testid="saved">Na-save sa phone ✓ ${saved}</${Message}>`}
    <${Prompt} prompt=${prompt} onClose=${() => setPrompt(null)} />
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
        <button class="btn btn-link" data-testid="cancel-line" onClick=${() => {
          setLine(EMPTY_LINE);
          setStep("item");
        }}>Kanselahin ang item na ito</button>
      </div>`}
    <${ReceivedToday} />
  </${Screen}>`;
}

/**
 * What the shipment said would arrive, line by line: "3 / 10" is what the server has counted in plus
 * what this phone has recorded and not yet synced. Over, short and not-on-the-shipment show at
 * once; the server turns them into variances for a supervisor when the receipts sync.
 */
function Expected({ wh, ref_ }) {
  const shipment = ref_ ? findShipment(wh, ref_) : null;
  const [mine, setMine] = useState([]);
  const v = opsVersion.value;
  useEffect(() => {
    recordedSince(STOCK_RECEIVED, 0).then(setMine);
  }, [v]);
  if (!shipment) return null;
  // Only this phone's ops the server has not counted yet: synced ones are in `received` already.
  const pending = new Map();
  for (const r of mine) {
    const p = opPayload(r.op);
    if (p.ref !== ref_ || r.st !== "waiting") continue;
    pending.set(p.sku, (pending.get(p.sku) ?? 0) + p.qty);
  }
  const rows = shipment.lines.map(([sku, expected, received]) => {
    const got = received + (pending.get(sku) ?? 0);
    pending.delete(sku);
    return { sku, expected, got };
  });
  for (const [sku, got] of pending) rows.push({ sku, expected: 0, got });
  const state = (r) => (r.expected === 0 ? "unexpected" : r.got > r.expected ? "over" : r.got === r.expected ? "done" : "open");
  const WORD = { unexpected: "wala sa listahan", over: "sobra", done: "kumpleto ✓", open: "kulang pa" };
  const STATUS = {
    planned: "nakaplano",
    in_transit: "nasa biyahe",
    at_port: "nasa pantalan",
    in_customs: "nasa customs",
    held: "hawak ng customs",
    released: "na-release ng customs",
    delivered: "dumating na",
    receiving: "tinatanggap",
  };
  return html`<section class="expected" data-testid="expected">
    <h2>Inaasahan sa ${ref_} <small data-testid="shipment-status">${STATUS[shipment.status] ?? shipment.status}</small></h2>
    <ul class="list">
      ${rows.map(
        (r) => html`<li class="row" key=${r.sku} data-testid="expected-line" data-sku=${r.sku} data-state=${state(r)}>
          <span class="row-main"><b>${skuName(r.sku)}</b><small>${r.sku} · ${WORD[state(r)]}</small></span>
          <b class=${`pill pill-${state(r) === "done" ? "synced" : state(r) === "open" ? "waiting" : "flagged"}`} data-testid="expected-count">${r.got} / ${r.expected}</b>
        </li>`,
      )}
    </ul>
  </section>`;
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
