// Put-back: units waiting in staging (where picks go) back onto a shelf. A cancelled order's picked
// units, or what is left over after a wave. Scan the item, say how many, scan the bin: each is a
// stock.put_back op saved on the phone (offline too) before "Na-save" shows. When the item is one a
// cancelled order's put-back still waits for, the op names that order and counts against it (the
// server closes the put-back when all of it is back); otherwise it is a leftover, with no order.
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "../html.js";
import { loadDraft, opsVersion, recordedSince, saveDraft, unsyncedReceipts } from "../engine.js";
import { findBin, findSku, knowsAllBins, skuName, stockIn, version } from "../reference.js";
import { bad, good } from "../scan/feedback.js";
import { STOCK_PUT_BACK, stockPutBack } from "../sync/ops.js";
import { opId, opPayload } from "../sync/protocol.js";
import { Message, Screen, startOfManilaDay } from "../ui/kit.js";
import { ScanField } from "../ui/scan-field.js";
import { NeedsData, Prompt, recordOnce, skuOrTyped, WarehouseLine } from "./common.js";
import { putBacksLeft } from "./outbound.js";
import { useOutbound } from "./outbound-ui.js";
import { orderLabel } from "./outbound-words.js";
import { QtyInput } from "./qty.js";

const START = { step: "item", sku: null, qty: 1, order: "", staged: null, id: "" };
const QTY_CODE = /^\d{1,4}$/; // a short number scanned off a quantity sheet
const WEEK = 8 * 86_400_000; // the phone keeps its confirmed ops 7 days: any still waiting is in there

export function PutBack() {
  void version.value;
  const out = useOutbound();
  const wh = out.wh;
  const draftName = `putback-screen:${wh}`;
  const [loaded, setLoaded] = useState(false);
  const [line, setLine] = useState(START);
  const [prompt, setPrompt] = useState(null);
  const [saved, setSaved] = useState(null);
  const [rows, setRows] = useState([]);
  const recorded = useRef(null); // the line already recorded: a double tap records it once
  const v = opsVersion.value;

  useEffect(() => {
    recordedSince(STOCK_PUT_BACK, Date.now() - WEEK).then(setRows);
  }, [v]);
  useEffect(() => {
    loadDraft(draftName).then((kept) => {
      if (kept) setLine(kept);
      setLoaded(true);
    });
  }, [draftName]);
  const update = (next) => {
    setLine(next);
    saveDraft(draftName, next.step === "item" ? null : next);
  };

  const waiting = rows.filter((r) => r.st === "waiting").map((r) => opPayload(r.op));
  const open = putBacksLeft(out.tasks, waiting);

  const takeItem = async (code, { sure = false } = {}) => {
    let asked = false;
    const sku = skuOrTyped(code, { sure, ask: (p) => ((asked = true), bad(), setPrompt({ ...p, confirm: () => takeItem(code, { sure: true }) })) });
    if (asked) return;
    if (!sku) {
      bad();
      const bin = findBin(wh, code);
      return setPrompt(
        bin
          ? { kind: "warn", title: "Bin ito, hindi item", text: "I-scan muna ang item na ibabalik, saka ang bin." }
          : { kind: "bad", title: "Hindi kilala ang barcode", text: html`<code>${code}</code> ay wala sa listahan ng SKU.` },
      );
    }
    const staged = ((await unsyncedReceipts(wh)).get(`\x1f${sku.code}`) ?? 0) + (stockIn(wh, "").get(sku.code) ?? 0);
    const owner = open.find((o) => o.left.has(sku.code)); // a cancelled order waiting for it comes first
    good();
    setPrompt(null);
    setSaved(null);
    update({ step: "qty", sku: { code: sku.code, name: sku.name }, qty: owner?.left.get(sku.code) ?? 1, order: owner?.order ?? "", staged, id: crypto.randomUUID() });
  };

  /** At the qty step: the same item again adds one, a short number is the quantity, a bin saves. */
  const onQtyStepScan = (code) => {
    const sku = findSku(code);
    if (sku && sku.code === line.sku.code) {
      good();
      return update({ ...line, qty: line.qty + 1 });
    }
    if (!sku && QTY_CODE.test(code) && !findBin(wh, code)) {
      good();
      return update({ ...line, qty: Number(code) });
    }
    if (sku) {
      bad();
      return setPrompt({ kind: "warn", title: "Ibang item ito", text: `Tapusin muna ang ${line.sku.name}: i-scan ang bin na pagbabalikan.` });
    }
    const known = findBin(wh, code);
    if (known || !knowsAllBins(wh)) return save(known ?? code.trim().toUpperCase());
    bad();
    setPrompt({
      kind: "warn",
      title: "Hindi kilalang bin",
      text: html`Walang bin na <code>${code}</code> sa ${wh}. Gamitin pa rin?`,
      confirm: () => save(code.trim().toUpperCase()),
    });
  };

  const save = async (bin) => {
    if (!line.sku || recorded.current === line.id) return;
    const owner = open.find((o) => o.order === line.order);
    const left = owner?.left.get(line.sku.code) ?? 0;
    let payload;
    try {
      // More than the order waits for: the rest is a leftover, not the order's (the server would flag it).
      payload = stockPutBack({ wh, sku: line.sku.code, qty: line.qty, bin, order: line.order && line.qty <= left ? line.order : "" });
    } catch {
      bad();
      return setPrompt({ kind: "bad", title: "Hindi ma-save", text: "Tingnan ang bilang at ang bin, at subukan ulit." });
    }
    if (!(await recordOnce(recorded, line.id, STOCK_PUT_BACK, payload))) return;
    // Everything the cancelled order waited for is back: its notice on the pick and pack screens goes.
    if (payload.order && owner.left.size === 1 && payload.qty === left) await out.putBack(payload.order);
    good();
    setPrompt(null);
    setSaved(`${payload.qty} × ${line.sku.name} → ${payload.bin}${payload.order ? ` (order ${orderLabel(owner.task)})` : ""}`);
    update(START);
  };

  const title = "Ibalik sa shelf";
  if (!loaded) return html`<${Screen} title=${title}><p>Sandali…</p></${Screen}>`;
  if (!wh) return html`<${Screen} title=${title}><${NeedsData} wh=${wh} /></${Screen}>`;
  const owner = open.find((o) => o.order === line.order);

  return html`<${Screen} title=${title}>
    <${WarehouseLine} wh=${wh} />
    ${open.length > 0 &&
    html`<section data-testid="put-back-orders"><h2>Na-cancel: ibalik ang mga ito</h2>
      <ul class="list">${open.map(
        (o) => html`<li class="row" data-testid="put-back-order" data-order=${o.order}><span class="row-main"><b>Order ${orderLabel(o.task)}</b>
          <small>${[...o.left].map(([sku, n]) => `${n} × ${skuName(sku)}`).join(", ")}</small></span></li>`,
      )}</ul></section>`}
    ${saved && html`<${Message} kind="good" testid="saved">Na-save sa phone ✓ ${saved}</${Message}>`}
    <${Prompt} prompt=${prompt} onClose=${() => setPrompt(null)} />
    ${line.step === "item" &&
    html`<${ScanField} key="item" label="1. I-scan ang item na ibabalik" hint="Mula sa staging/packing: item ng na-cancel na order, o natira sa wave." testid="scan-back-item" onScan=${takeItem} />`}
    ${line.step === "qty" &&
    html`<div class="line" data-testid="put-back-line-now">
      <div class="line-sku"><b>${line.sku.name}</b><small>${line.sku.code}${line.staged !== null ? ` · ${line.staged} sa staging ayon sa phone` : ""}</small></div>
      <p class="hint" data-testid="put-back-for">${owner ? `Para sa na-cancel na order ${orderLabel(owner.task)} (${owner.left.get(line.sku.code)} ang hinihintay)` : "Natira (walang order)"}</p>
      <${QtyInput} label="2. Ilan ang ibabalik?" value=${line.qty} min=${1} onChange=${(qty) => update({ ...line, qty })} testid="qty" />
      <${ScanField} key="to" label="3. I-scan ang bin na pagbabalikan" hint="Pag na-scan ang bin, naka-save na." placeholder="hal. A-01-02" testid="scan-back-bin" onScan=${onQtyStepScan} />
      <button class="btn btn-link" data-testid="cancel-line" onClick=${() => update(START)}>Kanselahin ang item na ito</button>
    </div>`}
    <${BackToday} rows=${rows.filter((r) => r.rec >= startOfManilaDay())} />
  </${Screen}>`;
}

const STATE = { waiting: "○ naghihintay", applied: "✓ na-sync", duplicate: "✓ na-sync", flagged: "⚠ may problema", rejected: "✕ hindi tinanggap" };

function BackToday({ rows }) {
  if (!rows.length) return null;
  return html`<section class="received">
    <h2>Naibalik ngayon <small data-testid="back-count">${rows.length} line</small></h2>
    <ul class="list" data-testid="back-list">
      ${rows.map((r) => {
        const p = opPayload(r.op);
        return html`<li class="row" key=${opId(r.op)} data-testid="back-line" data-state=${r.st}>
          <span class="row-main"><b>${p.qty} × ${skuName(p.sku)}</b><small>staging → ${p.bin}${p.order ? ` · order ${orderLabel(null, p.order)}` : ""}</small></span>
          <span class=${`pill pill-${r.st === "waiting" ? "waiting" : r.st === "flagged" || r.st === "rejected" ? "flagged" : "synced"}`}>${STATE[r.st] ?? r.st}</span>
        </li>`;
      })}
    </ul>
  </section>`;
}
