// Cycle count: a task (a bin, or a set of SKUs wherever they are) or a bin scanned on the spot;
// scan each unit (or type the number), review, submit. One stock.counted op per bin and SKU,
// recording what the phone expected and its pull cursor; the server's count rule (PROTOCOL.md R7)
// decides the adjustment, so picks made elsewhere meanwhile are neither lost nor doubled.
//
// The count is blind: what the system expects is shown only at review, so it cannot steer the count.
//
// A line nobody counted is not a count of zero: it is not sent, and the bin's stock stays as it is.
// Zero is only ever the counter's explicit "Walang laman" mark (sent with `empty: true`).
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "../html.js";
import { loadDraft, record, saveDraft, syncClient, unsyncedReceipts } from "../engine.js";
import { binsHolding, countTask, countTasks, findBin, findSku, knowsAllBins, skuName, stockIn, version } from "../reference.js";
import { link, navigate, path } from "../router.js";
import { bad, good } from "../scan/feedback.js";
import { STOCK_COUNTED, stockCounted } from "../sync/ops.js";
import { Message, Screen } from "../ui/kit.js";
import { ScanField } from "../ui/scan-field.js";
import { currentWarehouse, NeedsData, WarehouseLine } from "./common.js";

export function Count() {
  const m = path.value.match(/^\/count\/(bin|sku|task)\/(.+)$/);
  if (!m) return html`<${CountStart} />`;
  return html`<${CountSession} key=${path.value} kind=${m[1]} id=${decodeURIComponent(m[2])} />`;
}

function CountStart() {
  void version.value;
  const wh = currentWarehouse();
  const [prompt, setPrompt] = useState(null);
  const start = (code) => {
    const bin = findBin(wh, code);
    if (bin) {
      good();
      return navigate(`/count/bin/${encodeURIComponent(bin)}`);
    }
    const sku = findSku(code);
    if (sku) {
      good(); // an item: count it in every bin that holds it
      return navigate(`/count/sku/${encodeURIComponent(sku.code)}`);
    }
    bad();
    const typed = code.trim().toUpperCase();
    setPrompt({ code: typed });
  };
  const tasks = countTasks(wh);
  if (!wh) return html`<${Screen} title="Cycle count"><${NeedsData} wh=${wh} /></${Screen}>`;
  return html`<${Screen} title="Cycle count">
    <${WarehouseLine} wh=${wh} />
    <${NeedsData} wh=${wh} />
    ${tasks.length > 0 &&
    html`<section><h2>Mga count task</h2>
      <ul class="list">${tasks.map(
        (t) => html`<li><a class="tile" data-testid="count-task" ...${link(`/count/task/${encodeURIComponent(t.id)}`)}>
          <span><b>${t.title || (t.bin ? `Bin ${t.bin}` : `${(t.skus ?? []).length} SKU`)}</b>
          <small>${t.bin ? `Buong bin ${t.bin}` : (t.skus ?? []).join(", ")}</small></span></a></li>`,
      )}</ul></section>`}
    ${prompt &&
    html`<${Message} kind="warn" title="Hindi kilalang bin" testid="prompt">
      <p>Walang bin na <code>${prompt.code}</code> sa listahan ng ${wh || "warehouse"}. Bilangin pa rin?</p>
      <button class="btn btn-primary" data-testid="prompt-yes" onClick=${() => navigate(`/count/bin/${encodeURIComponent(prompt.code)}`)}>Oo, bilangin</button>
      <button class="btn" onClick=${() => setPrompt(null)}>Hindi</button>
    </${Message}>`}
    <${ScanField}
      label="I-scan ang bin o item na bibilangin"
      hint="Bin: bilangin ang laman nito. Item: bilangin ito sa bawat bin na may laman nito."
      placeholder="hal. A-01-01"
      testid="scan-count-bin"
      onScan=${start}
    />
  </${Screen}>`;
}

const lineKey = (bin, sku) => `${bin}\x1f${sku}`;

/** The lines a count starts with: what the replica (plus unsynced receipts) says is there. */
async function initialLines(wh, kind, id) {
  const deltas = await unsyncedReceipts(wh);
  const expected = (bin, sku) => (stockIn(wh, bin).get(sku) ?? 0) + (deltas.get(lineKey(bin, sku)) ?? 0);
  const pairs = [];
  const task = kind === "task" ? countTask(wh, id) : kind === "sku" ? { skus: [id] } : { bin: id };
  if (task?.bin) {
    const skus = task.skus?.length ? task.skus : [...stockIn(wh, task.bin).keys()];
    for (const [key] of deltas) if (key.startsWith(task.bin + "\x1f") && !task.skus?.length) skus.push(key.split("\x1f")[1]);
    for (const sku of new Set(skus)) pairs.push([task.bin, sku]);
  } else {
    for (const sku of task?.skus ?? []) for (const [bin] of binsHolding(wh, sku)) pairs.push([bin, sku]);
  }
  return pairs.map(([bin, sku]) => ({ bin, sku, counted: null, expected: expected(bin, sku), added: false }));
}

function CountSession({ kind, id }) {
  const wh = currentWarehouse();
  const draftName = `count:${kind}:${id}`;
  const [draft, setDraft] = useState(null); // {lines, bin, base, title}
  const [prompt, setPrompt] = useState(null);
  const [review, setReview] = useState(false);
  const [done, setDone] = useState(null);
  const submitting = useRef(false);

  useEffect(() => {
    (async () => {
      const kept = await loadDraft(draftName);
      if (kept) return setDraft(kept);
      const task = kind === "task" ? countTask(wh, id) : null;
      setDraft({
        lines: await initialLines(wh, kind, id),
        bin: kind === "bin" ? id : (task?.bin ?? ""),
        base: syncClient().state.cursor ?? "", // what the phone had seen when the count began
        title: kind === "bin" ? `Bin ${id}` : kind === "sku" ? skuName(id) : (task?.title ?? `Task ${id}`),
      });
    })();
  }, []);

  const update = (next) => {
    setDraft(next);
    saveDraft(draftName, next);
  };

  if (!draft) return html`<${Screen} title="Cycle count" back="/count"><p>Sandali…</p></${Screen}>`;

  const bump = (bin, sku, by) => {
    const lines = draft.lines.slice();
    let i = lines.findIndex((l) => l.bin === bin && l.sku === sku);
    let added = false;
    if (i < 0) {
      lines.push({ bin, sku, counted: 0, expected: stockIn(wh, bin).get(sku) ?? 0, added: true });
      i = lines.length - 1;
      added = true;
    }
    lines[i] = { ...lines[i], counted: Math.max(0, (lines[i].counted ?? 0) + by) };
    update({ ...draft, lines });
    return added;
  };

  const setCount = (i, n) => {
    const lines = draft.lines.slice();
    lines[i] = { ...lines[i], counted: Math.max(0, Math.min(1_000_000, Math.trunc(n) || 0)) };
    update({ ...draft, lines });
  };

  /** "Walang laman": the counter says the bin has none of it (the only way to count zero). */
  const markEmpty = (i) => {
    const lines = draft.lines.slice();
    lines[i] = { ...lines[i], counted: lines[i].counted === 0 ? null : 0 };
    update({ ...draft, lines });
  };

  const onScan = (code) => {
    setPrompt(null);
    const bin = findBin(wh, code) ?? (findSku(code) || knowsAllBins(wh) ? null : code.trim().toUpperCase());
    if (bin && !findSku(code)) {
      if (kind === "bin" && bin !== draft.bin) {
        bad();
        return setPrompt({ kind: "warn", text: `Bin ${draft.bin} ang binibilang. Tapusin muna bago lumipat sa ${bin}.` });
      }
      good();
      return update({ ...draft, bin });
    }
    const sku = findSku(code);
    if (!sku) {
      bad();
      return setPrompt({ kind: "bad", title: "Hindi kilala ang barcode", text: html`<code>${code}</code> ay wala sa listahan ng SKU. I-scan ulit o i-type ang SKU code.` });
    }
    if (!draft.bin) {
      bad();
      return setPrompt({ kind: "warn", text: "I-scan muna ang bin kung nasaan ang item." });
    }
    good();
    if (bump(draft.bin, sku.code, 1)) {
      setPrompt({ kind: "info", text: `${sku.name} ay hindi inaasahan sa ${draft.bin}: idinagdag sa bilang.` });
    }
  };

  const counted = draft.lines.filter((l) => l.counted !== null);

  const submit = async () => {
    if (submitting.current) return; // a double tap records the count once
    submitting.current = true;
    // One op per counted line; each is durable before the next, and all before "Na-submit" shows.
    // Lines not counted are not sent: their stock stays as it is.
    for (const l of counted) {
      const payload = stockCounted({ wh, bin: l.bin, sku: l.sku, counted: l.counted, expected: l.expected, base: draft.base, empty: l.counted === 0 });
      await record(STOCK_COUNTED, payload);
    }
    good();
    await saveDraft(draftName, null);
    setDone(counted.length);
  };

  if (done !== null) {
    return html`<${Screen} title=${draft.title} back="/count">
      <${Message} kind="good" title="Na-submit ang bilang ✓" testid="count-done">
        ${done} SKU ang naitala sa phone. Masi-sync ito kahit mamaya pa magka-signal.
      </${Message}>
      <a class="btn btn-primary btn-big" ...${link("/count")}>Bumalik sa Cycle count</a>
    </${Screen}>`;
  }

  const uncounted = draft.lines.length - counted.length;
  const empties = counted.filter((l) => l.counted === 0).length;

  if (review) {
    return html`<${Screen} title=${`Suriin: ${draft.title}`} back=${null}>
      ${uncounted > 0 &&
      html`<${Message} kind="info" testid="count-uncounted"><b>${uncounted}</b> line ang hindi nabilang: hindi ito ipapadala, at hindi magbabago ang stock nila.</${Message}>`}
      ${empties > 0 &&
      html`<${Message} kind="warn" testid="count-empties"><b>${empties}</b> line ang minarkahang walang laman: magiging 0 ang mga ito.</${Message}>`}
      <table class="review" data-testid="count-review">
        <thead><tr><th>SKU / bin</th><th>Sistema</th><th>Bilang</th></tr></thead>
        <tbody>${draft.lines.map((l) => {
          const state = l.counted === null ? "uncounted" : l.counted === 0 ? "empty" : "counted";
          return html`<tr class=${state !== "uncounted" && l.counted !== l.expected ? "diff" : ""} data-testid="review-line" data-state=${state} data-sku=${l.sku}>
            <td><b>${skuName(l.sku)}</b><small>${l.sku} · ${l.bin}</small></td><td>${l.expected}</td>
            <td>${state === "uncounted" ? html`<small>hindi nabilang</small>` : state === "empty" ? html`<b>0</b><small>walang laman</small>` : html`<b>${l.counted}</b>`}</td>
          </tr>`;
        })}</tbody>
      </table>
      <button class="btn btn-primary btn-big" data-testid="count-submit" onClick=${submit} disabled=${!counted.length}>
        ${counted.length ? `I-submit (${counted.length} nabilang)` : "Wala pang nabilang"}
      </button>
      <button class="btn btn-big" onClick=${() => setReview(false)}>Bumalik sa pagbilang</button>
    </${Screen}>`;
  }

  return html`<${Screen} title=${draft.title} back="/count">
    <div class="context"><span>Bin: <b data-testid="count-bin">${draft.bin || "i-scan ang bin"}</b></span></div>
    ${prompt && html`<${Message} kind=${prompt.kind} title=${prompt.title} testid="prompt">${prompt.text}</${Message}>`}
    <${ScanField} label="I-scan ang bawat piraso" hint="Bawat scan = 1. O i-type ang bilang sa ibaba." testid="scan-count" onScan=${onScan} />
    <ul class="list" data-testid="count-lines">
      ${draft.lines.map(
        (l, i) => html`<li class="row count-line" data-testid="count-line" data-sku=${l.sku}>
          <span class="row-main"><b>${skuName(l.sku)}</b><small>${l.sku}${kind !== "bin" ? ` · ${l.bin}` : ""}${l.added ? " · idinagdag" : ""}</small></span>
          <span class="qty-row">
            <button class="btn btn-step" aria-label="Bawasan" disabled=${!l.counted} onClick=${() => setCount(i, l.counted - 1)}>−</button>
            <input class="input qty-input" type="number" inputmode="numeric" min="0" data-testid="count-qty"
              value=${l.counted ?? ""} placeholder="?" onInput=${(e) => e.currentTarget.value !== "" && setCount(i, Number(e.currentTarget.value))} />
            <button class="btn btn-step" aria-label="Dagdagan" onClick=${() => setCount(i, (l.counted ?? 0) + 1)}>+</button>
          </span>
          <button class=${`btn btn-empty${l.counted === 0 ? " is-on" : ""}`} data-testid="count-empty" aria-pressed=${l.counted === 0} onClick=${() => markEmpty(i)}>
            ${l.counted === 0 ? "✓ Walang laman" : "Walang laman"}
          </button>
        </li>`,
      )}
    </ul>
    ${draft.lines.length === 0 && html`<p class="hint">Walang inaasahang laman. I-scan ang mga item na nandito.</p>`}
    <button class="btn btn-primary btn-big" data-testid="count-review-open" disabled=${!draft.lines.length} onClick=${() => setReview(true)}>Suriin at i-submit</button>
  </${Screen}>`;
}
