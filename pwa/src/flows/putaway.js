// Put-away and moves: scan the bin the goods are in (the receiving bin, or any shelf), scan the
// item, say how many, scan the bin they go to. Each move is a stock.put_away op, saved on the phone
// before "Na-save" shows; the from-bin stays for the next item, as a person empties a receiving bin
// item by item. The move in progress is a draft, so a reload finds it where it was.
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "../html.js";
import { loadDraft, opsVersion, recordedSince, saveDraft, unsyncedReceipts } from "../engine.js";
import { findBin, findSku, knowsAllBins, skuName, stockIn, version } from "../reference.js";
import { bad, good } from "../scan/feedback.js";
import { STOCK_PUT_AWAY, stockPutAway } from "../sync/ops.js";
import { opId, opPayload } from "../sync/protocol.js";
import { Message, Screen, startOfManilaDay } from "../ui/kit.js";
import { ScanField } from "../ui/scan-field.js";
import { currentWarehouse, NeedsData, Prompt, recordOnce, skuOrTyped, WarehouseLine } from "./common.js";
import { QtyInput } from "./qty.js";

const START = { step: "from", from: "", sku: null, qty: 1, there: null, id: "" };

/** Units of `sku` in `bin` as this phone knows them: the replica plus its own unsynced work. */
async function unitsIn(wh, bin, sku) {
  const mine = (await unsyncedReceipts(wh)).get(`${bin}\x1f${sku}`) ?? 0;
  return (stockIn(wh, bin).get(sku) ?? 0) + mine;
}

export function PutAway() {
  void version.value;
  const wh = currentWarehouse();
  const draftName = `putaway:${wh}`;
  const [loaded, setLoaded] = useState(false);
  const [move, setMove] = useState(START);
  const [prompt, setPrompt] = useState(null);
  const [saved, setSaved] = useState(null);
  const recorded = useRef(null); // the move already recorded: a double tap records it once

  useEffect(() => {
    loadDraft(draftName).then((kept) => {
      if (kept) setMove(kept);
      setLoaded(true);
    });
  }, [draftName]);
  const update = (next) => {
    setMove(next);
    saveDraft(draftName, next.step === "from" ? null : next);
  };

  /** A bin as scanned: known, or (when the phone has the full list) confirmed by the person first. */
  const bin = (code, then) => {
    const known = findBin(wh, code);
    if (known || !knowsAllBins(wh)) return then(known ?? code.trim().toUpperCase());
    bad();
    setPrompt({
      kind: "warn",
      title: "Hindi kilalang bin",
      text: html`Walang bin na <code>${code}</code> sa ${wh}. Gamitin pa rin?`,
      confirm: () => {
        setPrompt(null);
        then(code.trim().toUpperCase());
      },
    });
  };

  const takeFrom = (code) => {
    if (findSku(code) && !findBin(wh, code)) {
      bad();
      return setPrompt({ kind: "warn", title: "Item ito, hindi bin", text: "I-scan muna ang bin kung nasaan ang item ngayon." });
    }
    bin(code, (from) => {
      good();
      setPrompt(null);
      setSaved(null);
      update({ ...START, step: "item", from });
    });
  };

  const takeItem = async (code, { sure = false } = {}) => {
    if (!findSku(code) && findBin(wh, code)) return takeFrom(code); // another from-bin: start there
    let asked = false;
    const sku = skuOrTyped(code, { sure, ask: (p) => ((asked = true), bad(), setPrompt({ ...p, confirm: () => takeItem(code, { sure: true }) })) });
    if (asked) return;
    if (!sku) {
      bad();
      return setPrompt({ kind: "bad", title: "Hindi kilala ang barcode", text: html`<code>${code}</code> ay wala sa listahan ng SKU. I-scan ulit o i-type ang SKU code.` });
    }
    const there = await unitsIn(wh, move.from, sku.code);
    good();
    setPrompt(
      there <= 0
        ? { kind: "warn", title: "Walang ganito sa bin ayon sa phone", text: `Ayon sa data ng phone, walang ${sku.name} sa ${move.from}. Pwede pa ring ilipat kung nandiyan talaga.` }
        : null,
    );
    // All of it by default: emptying a receiving bin is the usual move.
    update({ ...move, step: "qty", sku: { code: sku.code, name: sku.name }, qty: Math.max(1, there), there, id: crypto.randomUUID() });
  };

  const onQtyStepScan = (code) => {
    const sku = findSku(code);
    if (sku && sku.code === move.sku.code) {
      good();
      return update({ ...move, qty: move.qty + 1 });
    }
    if (!sku && /^\d{1,4}$/.test(code)) {
      good();
      return update({ ...move, qty: Number(code) });
    }
    if (sku) {
      bad();
      return setPrompt({ kind: "warn", title: "Ibang item ito", text: `Tapusin muna ang ${move.sku.name}: i-scan ang bin na paglilipatan.` });
    }
    bin(code, (to) => save(to));
  };

  const save = async (to, { sure = false } = {}) => {
    if (!move.sku || recorded.current === move.id) return;
    if (to.toUpperCase() === move.from.toUpperCase()) {
      bad();
      return setPrompt({ kind: "warn", title: "Parehong bin", text: `Nasa ${move.from} na ito. I-scan ang bin na paglilipatan.` });
    }
    if (move.there !== null && move.there > 0 && move.qty > move.there && !sure) {
      bad();
      return setPrompt({
        kind: "warn",
        title: "Mas marami kaysa sa nasa bin",
        text: `Ayon sa phone, ${move.there} lang ang ${move.sku.name} sa ${move.from}. Ilipat pa rin ang ${move.qty}?`,
        confirm: () => save(to, { sure: true }),
        yes: "Oo, tama",
      });
    }
    let payload;
    try {
      payload = stockPutAway({ wh, sku: move.sku.code, qty: move.qty, from: move.from, to });
    } catch {
      bad();
      return setPrompt({ kind: "bad", title: "Hindi ma-save", text: "Tingnan ang bilang at ang mga bin, at subukan ulit." });
    }
    if (!(await recordOnce(recorded, move.id, STOCK_PUT_AWAY, payload))) return;
    good();
    setPrompt(null);
    setSaved(`${payload.qty} × ${move.sku.name}: ${payload.from_bin} → ${payload.to_bin}`);
    update({ ...START, step: "item", from: move.from });
  };

  if (!loaded) return html`<${Screen} title="Put-away at lipat"><p>Sandali…</p></${Screen}>`;
  if (!wh) return html`<${Screen} title="Put-away at lipat"><${NeedsData} wh=${wh} /></${Screen}>`;

  return html`<${Screen} title="Put-away at lipat">
    <${WarehouseLine} wh=${wh} />
    <${NeedsData} wh=${wh} />
    ${move.from &&
    html`<div class="context">
      <span>Mula sa: <b data-testid="from-bin">${move.from}</b></span>
      <button class="btn btn-link" data-testid="change-from" onClick=${() => update(START)}>Palitan</button>
    </div>`}
    ${saved && html`<${Message} kind="good" testid="saved">Na-save sa phone ✓ ${saved}</${Message}>`}
    <${Prompt} prompt=${prompt} onClose=${() => setPrompt(null)} />
    ${move.step === "from" &&
    html`<${ScanField} key="from" label="1. I-scan ang bin na pagkukunan" hint="Hal. ang receiving bin (RCV-01), o ang bin na lilipatan ng laman." placeholder="hal. RCV-01" testid="scan-from" onScan=${takeFrom} />`}
    ${move.step === "item" &&
    html`<${ScanField} key="item" label="2. I-scan ang item" hint=${`Ang item na kukunin sa ${move.from}.`} testid="scan-item" onScan=${takeItem} />`}
    ${move.step === "qty" &&
    html`<div class="line" data-testid="line">
      <div class="line-sku"><b>${move.sku.name}</b><small>${move.sku.code}${move.there !== null ? ` · ${move.there} sa ${move.from} ayon sa phone` : ""}</small></div>
      <${QtyInput} label="3. Ilan ang ililipat?" value=${move.qty} min=${1} onChange=${(qty) => update({ ...move, qty })} testid="qty" />
      <${ScanField} key="to" label="4. I-scan ang bin na paglilipatan" hint="Pag na-scan ang bin, naka-save na." placeholder="hal. A-01-02" testid="scan-to" onScan=${onQtyStepScan} />
      <button class="btn btn-link" data-testid="cancel-line" onClick=${() => update({ ...START, step: "item", from: move.from })}>Kanselahin ang item na ito</button>
    </div>`}
    <${MovedToday} />
  </${Screen}>`;
}

const STATE = { waiting: "○ naghihintay", applied: "✓ na-sync", duplicate: "✓ na-sync", flagged: "⚠ may problema", rejected: "✕ hindi tinanggap" };

function MovedToday() {
  const [rows, setRows] = useState([]);
  const v = opsVersion.value;
  useEffect(() => {
    recordedSince(STOCK_PUT_AWAY, startOfManilaDay()).then(setRows);
  }, [v]);
  if (!rows.length) return null;
  return html`<section class="received">
    <h2>Nailipat ngayon <small data-testid="moved-count">${rows.length} line</small></h2>
    <ul class="list" data-testid="moved-list">
      ${rows.map((r) => {
        const p = opPayload(r.op);
        return html`<li class="row" key=${opId(r.op)} data-testid="moved-line" data-state=${r.st}>
          <span class="row-main"><b>${p.qty} × ${skuName(p.sku)}</b><small>${p.from_bin} → ${p.to_bin}</small></span>
          <span class=${`pill pill-${r.st === "waiting" ? "waiting" : r.st === "flagged" || r.st === "rejected" ? "flagged" : "synced"}`}>${STATE[r.st] ?? r.st}</span>
        </li>`;
      })}
    </ul>
  </section>`;
}
