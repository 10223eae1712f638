// Cycle count: a task (a bin, or a set of SKUs wherever they are) or a bin scanned on the spot;
// scan each unit (or type the number), review, submit. One stock.counted op per bin and SKU,
// recording what the phone expected and its pull cursor; the server's count rule (PROTOCOL.md R7)
// decides the adjustment, so picks made elsewhere meanwhile are neither lost nor doubled.
//
// The count is blind: what the system expects is shown only at review, so it cannot steer the count.
import { useEffect, useState } from "preact/hooks";
import { html } from "../html.js";
import { loadDraft, record, saveDraft, syncClient, unsyncedReceipts } from "../engine.js";
import { binsHolding, countTask, countTasks, findBin, findSku, knowsAllBins, skuName, stockIn, version } from "../reference.js";
import { link, navigate, path } from "../router.js";
import { bad, good } from "../scan/feedback.js";
import { STOCK_COUNTED, stockCounted } from "../sync/ops.js";
import { Message, Screen } from "../ui/kit.js";
import { ScanField } from "../ui/scan-field.js";
import { currentWarehouse, NeedsData } from "./common.js";

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
  return html`<${Screen} title="Cycle count">
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

  const submit = async () => {
    // One op per line; each is durable before the next, and all before "Na-submit" shows.
    for (const l of draft.lines) {
      const payload = stockCounted({ wh, bin: l.bin, sku: l.sku, counted: l.counted ?? 0, expected: l.expected, base: draft.base });
      await record(STOCK_COUNTED, payload);
    }
    good();
    await saveDraft(draftName, null);
    setDone(draft.lines.length);
  };

  if (done !== null) {
    return html`<${Screen} title=${draft.title} back="/count">
      <${Message} kind="good" title="Na-submit ang bilang ✓" testid="count-done">
        ${done} SKU ang naitala sa phone. Masi-sync ito kahit mamaya pa magka-signal.
      </${Message}>
      <a class="btn btn-primary btn-big" ...${link("/count")}>Bumalik sa Cycle count</a>
    </${Screen}>`;
  }

  const uncounted = draft.lines.filter((l) => l.counted === null).length;

  if (review) {
    return html`<${Screen} title=${`Suriin: ${draft.title}`} back=${null}>
      ${uncounted > 0 && html`<${Message} kind="warn">${uncounted} line ang hindi nabilang: <b>0</b> ang ilalagay.</${Message}>`}
      <table class="review" data-testid="count-review">
        <thead><tr><th>SKU / bin</th><th>Sistema</th><th>Bilang</th></tr></thead>
        <tbody>${draft.lines.map((l) => {
          const counted = l.counted ?? 0;
          return html`<tr class=${counted !== l.expected ? "diff" : ""}>
            <td><b>${skuName(l.sku)}</b><small>${l.sku} · ${l.bin}</small></td><td>${l.expected}</td><td><b>${counted}</b></td>
          </tr>`;
        })}</tbody>
      </table>
      <button class="btn btn-primary btn-big" data-testid="count-submit" onClick=${submit} disabled=${!draft.lines.length}>I-submit ang bilang</button>
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
            <button class="btn btn-step" aria-label="Bawasan" onClick=${() => setCount(i, (l.counted ?? 0) - 1)}>−</button>
            <input class="input qty-input" type="number" inputmode="numeric" min="0" data-testid="count-qty"
              value=${l.counted ?? ""} placeholder="?" onInput=${(e) => e.currentTarget.value !== "" && setCount(i, Number(e.currentTarget.value))} />
            <button class="btn btn-step" aria-label="Dagdagan" onClick=${() => setCount(i, (l.counted ?? 0) + 1)}>+</button>
          </span>
        </li>`,
      )}
    </ul>
    ${draft.lines.length === 0 && html`<p class="hint">Walang inaasahang laman. I-scan ang mga item na nandito.</p>`}
    <button class="btn btn-primary btn-big" data-testid="count-review-open" disabled=${!draft.lines.length} onClick=${() => setReview(true)}>Suriin at i-submit</button>
  </${Screen}>`;
}
