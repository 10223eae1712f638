// Picking: my pick tasks (waves first, mine first, then by priority), then the next bin and item
// in walking order — for one order, or for a wave of small orders batch-picked with a tote each:
// scan the bin, scan the item, confirm how many (and which tote it goes in). A wrong bin or item is refused
// here, on the phone, with the bad-scan buzz and a sentence saying what to do. A bin with too
// little is a short pick (stock.short_picked, with a reason), never a silent skip. Each confirmed
// pick is a stock.picked op, saved on the phone before the screen moves on: offline all day is fine.
import { useState } from "preact/hooks";
import { html } from "../html.js";
import { record } from "../engine.js";
import { findSku, skuName } from "../reference.js";
import { api, session } from "../session.js";
import { link, path } from "../router.js";
import { bad, good } from "../scan/feedback.js";
import { SHORT_REASONS, STOCK_PICKED, STOCK_SHORT_PICKED, stockPicked, stockShortPicked } from "../sync/outbound.js";
import { Message, Screen } from "../ui/kit.js";
import { ScanField } from "../ui/scan-field.js";
import { NeedsData } from "./common.js";
import { CancelledNotice, STAGE, useOutbound } from "./outbound-ui.js";
import { SHORT_WORDS } from "./outbound-words.js";
import { byPriority, checkBin, checkItem, linesBySku, nextPick, orderLabel, pickStage, stateOf, waveWalk } from "./outbound.js";
import { QtyInput } from "./qty.js";

const QTY_CODE = /^\d{1,4}$/; // a short number scanned from a quantity sheet, not a product barcode

export function Pick() {
  const wave = path.value.match(/^\/pick\/wave\/(.+)$/);
  if (wave) return html`<${PickWalk} key=${path.value} wave=${decodeURIComponent(wave[1])} />`;
  const m = path.value.match(/^\/pick\/(.+)$/);
  if (!m) return html`<${PickList} />`;
  return html`<${PickWalk} key=${path.value} order=${decodeURIComponent(m[1])} />`;
}

// Deadlines are stored in UTC and read in Manila time, as the people on the floor keep it.
const manila = new Intl.DateTimeFormat("en-PH", { timeZone: "Asia/Manila", month: "short", day: "numeric", hour: "numeric", minute: "2-digit" });
const shipBy = (iso) => {
  const at = iso ? new Date(iso) : null;
  return at && !Number.isNaN(at.getTime()) ? ` · ship-by ${manila.format(at)}` : "";
};

function PickList() {
  const out = useOutbound();
  const me = session.value?.user?.username ?? "";
  const work = out.tasks
    .filter((t) => t.kind === "task")
    .map((t) => ({ task: t, stage: pickStage(t, stateOf(out.state, t.id)) }))
    .filter((w) => w.stage !== "packed" && w.stage !== "handed");
  const open = new Set(work.filter((w) => w.stage !== "picked").map((w) => w.task.id));
  // A wave is shown while one of its orders still has picking to do; mine first, then by ship-by.
  const waves = out.waves
    .map((w) => ({ ...w, tasks: work.filter((x) => w.orders.includes(x.task.id)).map((x) => x.task) }))
    .filter((w) => w.tasks.some((t) => open.has(t.id)))
    .sort((a, b) => (b.picker === me) - (a.picker === me) || String(a.ship_by ?? "~").localeCompare(String(b.ship_by ?? "~")));
  const inWave = new Set(waves.flatMap((w) => w.orders));
  const single = work.filter((w) => !inWave.has(w.task.id));
  single.sort((a, b) => (a.stage === "picked") - (b.stage === "picked") || byPriority(a.task, b.task));
  return html`<${Screen} title="Picking">
    <${NeedsData} wh=${out.wh} />
    <${CancelledNotice} out=${out} />
    ${out.ready && work.length === 0 && html`<p class="lead" data-testid="pick-empty">Walang pick task ngayon. I-sync para makita ang bago.</p>`}
    ${waves.length > 0 &&
    html`<h2>Mga wave</h2><ul class="list" data-testid="wave-list">
      ${waves.map((w) => {
        const units = w.tasks.reduce((n, t) => n + linesBySku(t.lines).reduce((m, [, q]) => m + q, 0), 0);
        return html`<li key=${w.id}><a class="tile task-tile" data-testid="pick-wave" data-wave=${w.id} ...${link(`/pick/wave/${encodeURIComponent(w.id)}`)}>
          <span class="row-main"><b>Wave ${w.code}</b><small>${w.tasks.length} order · ${units} pcs${shipBy(w.ship_by)}</small></span>
          ${w.picker === me ? html`<span class="pill pill-synced">Para sa iyo</span>` : w.picker ? html`<span class="pill">${w.picker}</span>` : null}
        </a></li>`;
      })}</ul>`}
    ${single.length > 0 && html`<h2>${waves.length ? "Iba pang order" : `${single.length} order na pi-pick-in`}</h2>`}
    <ul class="list" data-testid="pick-list">
      ${single.map(({ task, stage }) => {
        const lines = linesBySku(task.lines);
        const units = lines.reduce((n, [, q]) => n + q, 0);
        const [label, cls] = STAGE[stage];
        return html`<li key=${task.id}>
          <a class="tile task-tile" data-testid="pick-task" data-order=${task.id} data-stage=${stage} ...${link(`/pick/${encodeURIComponent(task.id)}`)}>
            <span class="row-main"><b>${orderLabel(task)}</b>
              <small>${lines.length} item · ${units} pcs${shipBy(task.ship_by)}</small>
              ${task.short?.length > 0 && html`<small data-testid="task-short">Kulang: ${task.short.map(([sku, bin, why]) => `${skuName(sku)} sa ${bin}${why ? ` (${SHORT_WORDS[why] ?? why})` : ""}`).join("; ")}</small>`}</span>
            <span class=${`pill pill-${cls}`}>${label}</span>
          </a>
        </li>`;
      })}
    </ul>
  </${Screen}>`;
}

const REFUSED = {
  wrong_bin: (l, r) => ["Maling bin!", html`Na-scan: <code>${r.bin}</code>. Pumunta sa <b>${l.bin}</b> at i-scan ang label nito.`],
  other_bin: (l, r) => ["Ibang bin ito", html`<code>${r.bin}</code> ay may ${skuName(l.sku)} din, pero <b>${l.bin}</b> ang nasa listahan.`],
  item_not_bin: (l) => ["Bin muna", html`Item ang na-scan. I-scan muna ang label ng bin <b>${l.bin}</b>.`],
  wrong_item: (l, r) => ["Maling item! Huwag kunin", html`Ito ay <b>${r.sku.name}</b> (${r.sku.code}). Ang kukunin: <b>${skuName(l.sku)}</b> (${l.sku}).`],
  unknown: (l, r) => ["Hindi kilala ang barcode", html`<code>${r.code}</code> ay wala sa listahan ng SKU. Ang kukunin: <b>${skuName(l.sku)}</b>.`],
};


function PickWalk({ order = null, wave = null }) {
  const out = useOutbound();
  const waveOf = wave ? out.waves.find((w) => w.id === wave) : null;
  const ids = wave ? (waveOf?.orders ?? []) : [order];
  // Orders packed meanwhile (here or on another phone) are out of the walk.
  const tasks = out.tasks.filter((t) => t.kind === "task" && ids.includes(t.id) && !["packed", "handed"].includes(pickStage(t, stateOf(out.state, t.id))));
  const batch = wave !== null; // several orders, a tote each
  const [retry, setRetry] = useState([]); // SKUs left short that the picker tries again (another bin)
  const [step, setStep] = useState("bin"); // bin -> item -> qty
  const [bin, setBin] = useState(null); // the bin actually scanned
  const [qty, setQty] = useState(1);
  const [prompt, setPrompt] = useState(null); // {kind, title, text, allow?}
  const [shortOpen, setShortOpen] = useState(false);
  const [saving, setSaving] = useState(false);

  const back = "/pick";
  const gone = out.cancelled.filter((c) => ids.includes(c.id));
  if (!batch && gone.length) {
    return html`<${Screen} title="Picking" back=${back}><${CancelledNotice} out=${out} only=${order} />
      <a class="btn btn-big" ...${link(back)}>Bumalik sa listahan</a></${Screen}>`;
  }
  if (tasks.length === 0) {
    const cancelled = out.tasks.some((t) => t.kind === "put_back" && ids.includes(t.id));
    return html`<${Screen} title="Picking" back=${back}>
      ${cancelled
        ? html`<${Message} kind="bad" title="Na-cancel ang order" testid="pick-missing">Huwag nang kunin. Wala ka pang nakuha para dito, kaya walang ibabalik.</${Message}>`
        : html`<${Message} kind="warn" title="Wala na ang order sa listahan" testid="pick-missing">Na-pack, naipadala o inalis na ito. I-sync at tingnan ang listahan.</${Message}>`}
      <a class="btn btn-big" ...${link(back)}>Bumalik sa listahan</a>
    </${Screen}>`;
  }

  const walk = waveWalk(tasks, (id) => stateOf(out.state, id), out.holding, out.taken, retry);
  const line = nextPick(walk);
  const shorts = walk.filter((l) => l.short && !l.done);
  const labelOf = (id) => orderLabel(tasks.find((t) => t.id === id), id);

  const restart = () => {
    setStep("bin");
    setBin(null);
    setQty(1);
    setShortOpen(false);
  };

  const refuse = (why, r) => {
    bad();
    const [title, text] = REFUSED[why](line, r);
    setPrompt({ kind: "bad", title, text, allow: why === "other_bin" ? r.bin : null, why });
  };

  const onBin = (code) => {
    setPrompt(null);
    const r = checkBin(line, code, findSku);
    if (r.refuse) return refuse(r.refuse, r);
    good();
    setBin(r.ok);
    setStep("item");
  };

  const useOtherBin = (other) => {
    good();
    setPrompt(null);
    setBin(other);
    setStep("item");
  };

  const onItem = (code) => {
    setPrompt(null);
    const r = checkItem(line, code, findSku);
    if (r.refuse) return refuse(r.refuse, r);
    good();
    setQty(1);
    setStep("qty");
  };

  const onQtyScan = (code) => {
    const r = checkItem(line, code, findSku);
    if (r.ok) {
      if (qty >= line.left) {
        bad(); // one more than the order wants: it stays on the shelf
        return setPrompt({ kind: "bad", title: "Sobra na", text: `${line.left} lang ang kailangan. Ibalik ang sobra sa ${bin}.`, why: "over" });
      }
      good(); // scanning each unit counts it
      return setQty((n) => Math.min(line.left, n + 1));
    }
    if (r.refuse === "unknown" && QTY_CODE.test(String(code).trim())) {
      good();
      return setQty(Number(String(code).trim()));
    }
    refuse(r.refuse, r);
  };

  const confirm = async () => {
    if (saving) return; // a double tap records once
    if (qty > line.left) {
      bad();
      return setPrompt({ kind: "bad", title: "Sobra", text: `${line.left} lang ang kailangan. Ibalik ang sobra sa ${bin}.` });
    }
    setSaving(true);
    try {
      await record(STOCK_PICKED, stockPicked({ wh: out.wh, bin, sku: line.sku, qty, order: line.order }));
      good();
      setRetry((r) => r.filter((s) => s !== line.sku));
      const into = batch && line.tote ? ` → tote ${line.tote}` : "";
      setPrompt({ kind: "good", title: "Na-save sa phone ✓", text: `${qty} × ${skuName(line.sku)} mula ${bin}${into}` });
      restart();
    } finally {
      setSaving(false);
    }
  };

  const short = async (reason) => {
    if (saving) return;
    if (!(bin ?? line.bin)) {
      bad(); // the phone knows no bin for it: the short pick must say which bin came up short
      return setPrompt({ kind: "warn", title: "Aling bin?", text: "I-scan muna ang bin na walang laman o kulang." });
    }
    const found = step === "qty" ? Math.min(qty, line.left - 1) : 0;
    setSaving(true);
    try {
      const payload = stockShortPicked({ wh: out.wh, bin: bin ?? line.bin, sku: line.sku, order: line.order, wanted: line.left, found, reason });
      await record(STOCK_SHORT_PICKED, payload);
      bad(); // not a good scan: the buzz says something is missing
      setRetry((r) => r.filter((s) => s !== line.sku));
      setPrompt({ kind: "warn", title: "Naitala ang kulang", text: `${found} sa ${line.left} × ${skuName(line.sku)} lang ang nakuha. Sasabihan ang supervisor.` });
      restart();
    } finally {
      setSaving(false);
    }
  };

  const title = batch ? `Wave ${waveOf?.code ?? ""}` : "Picking";
  const head = html`<div class="context"><span>${batch ? html`${tasks.length} order` : html`Order <b data-testid="pick-order">${labelOf(order)}</b>`}</span>
    <span data-testid="pick-progress">${walk.filter((l) => l.done).length} / ${walk.length} pick</span></div>
    ${batch && gone.length > 0 && html`<${CancelledNotice} out=${out} />`}
    ${batch && waveOf && html`<${WavePicker} wave=${waveOf} />`}`;

  if (!line) {
    const complete = walk.every((l) => l.done);
    const stages = tasks.map((t) => [t, pickStage(t, stateOf(out.state, t.id))]);
    return html`<${Screen} title=${title} back=${back}>
      ${head}
      ${prompt && prompt.kind !== "bad" && html`<${Message} kind=${prompt.kind} title=${prompt.title} testid="prompt">${prompt.text}</${Message}>`}
      ${complete
        ? html`<${Message} kind="good" title="Tapos na ang pick ✓" testid="pick-done">Dalhin sa packing ang lahat ng ${walk.reduce((n, l) => n + l.need, 0)} pcs${batch ? ", bawat tote sa sariling order" : ""}.</${Message}>`
        : html`<${Message} kind="warn" title="May kulang" testid="pick-short">
            Naitala ang kulang at sasabihan ang supervisor (re-allocate o bilangin ang bin). Ang order na may kulang ay hindi pa ma-pack.
          </${Message}>`}
      ${shorts.map(
        (l) => html`<div class="line" data-testid="short-line"><div class="line-sku"><b>${skuName(l.sku)}</b><small>${batch ? `${labelOf(l.order)} · ` : ""}${l.got} / ${l.need} nakuha · kulang ${l.left}${l.short?.reason ? ` · ${SHORT_WORDS[l.short.reason]}` : ""}</small></div>
          <button class="btn" data-testid="short-retry" onClick=${() => setRetry((r) => [...r, l.sku])}>${l.bin && l.bin !== l.short?.bin ? `Kunin sa ${l.bin}` : "Subukan ulit"}</button></div>`,
      )}
      ${batch
        ? html`<ul class="list">${stages.map(([t, stage]) => html`<li class="row"><span class="row-main"><b>${orderLabel(t)}</b><small>${t.tote ? `Tote ${t.tote}` : ""}</small></span>
            ${stage === "picked" ? html`<a class="btn" data-testid="go-pack" ...${link(`/pack/${encodeURIComponent(t.id)}`)}>I-pack</a>` : html`<span class=${`pill pill-${STAGE[stage][1]}`}>${STAGE[stage][0]}</span>`}</li>`)}</ul>`
        : complete && html`<a class="btn btn-primary btn-big" data-testid="go-pack" ...${link(`/pack/${encodeURIComponent(order)}`)}>I-pack na</a>`}
      <a class="btn btn-big" ...${link(back)}>Bumalik sa listahan</a>
    </${Screen}>`;
  }

  return html`<${Screen} title=${title} back=${back}>
    ${head}
    <div class="pick-card" data-testid="pick-line" data-sku=${line.sku} data-bin=${line.bin ?? ""} data-order=${line.order}>
      <div class="pick-bin"><small>Bin</small><b data-testid="pick-bin">${bin ?? line.bin ?? "hanapin"}</b></div>
      <div class="line-sku"><b>${skuName(line.sku)}</b><small>${line.sku}</small></div>
      <div class="pick-qty">Kunin: <b data-testid="pick-left">${line.left}</b>${line.got ? html` <small>(${line.got} nakuha na)</small>` : ""}</div>
      ${batch && html`<div class="pick-tote" data-testid="pick-tote">Ilagay sa <b>${line.tote ? `tote ${line.tote}` : "tote ng order"}</b> · ${labelOf(line.order)}</div>`}
      ${line.bin === null && html`<p class="hint">Walang bin na may stock sa listahan ng phone: i-scan ang bin kung saan mo nakita.</p>`}
    </div>
    ${prompt &&
    html`<${Message} kind=${prompt.kind} title=${prompt.title} testid="prompt">
      <p data-why=${prompt.why ?? ""}>${prompt.text}</p>
      ${prompt.allow && html`<button class="btn" data-testid="use-other-bin" onClick=${() => useOtherBin(prompt.allow)}>Dito na lang kukunin (${prompt.allow})</button>`}
    </${Message}>`}
    ${step === "bin" &&
    html`<${ScanField} key="bin" label=${`1. I-scan ang bin ${line.bin ?? ""}`} hint="Ang label sa shelf." placeholder="hal. A-01-01" testid="scan-pick-bin" onScan=${onBin} />`}
    ${step === "item" &&
    html`<${ScanField} key="item" label=${`2. I-scan ang ${skuName(line.sku)}`} hint="Ang barcode ng produkto." testid="scan-pick-item" onScan=${onItem} />`}
    ${step === "qty" &&
    html`<div class="line">
      <${QtyInput} label=${`3. Ilan ang nakuha? (kailangan ${line.left})`} value=${qty} min=${1} onChange=${(n) => setQty(Math.min(n, 1_000_000))} testid="pick-qty" />
      <${ScanField} key="more" label="I-scan ang bawat piraso" hint="Bawat scan = +1." testid="scan-pick-more" onScan=${onQtyScan} />
      <button class="btn btn-primary btn-big" data-testid="pick-confirm" disabled=${saving} onClick=${confirm}>Kumpirmahin: ${qty} pcs</button>
    </div>`}
    ${!shortOpen
      ? html`<button class="btn btn-big" data-testid="pick-short-open" onClick=${() => setShortOpen(true)}>Kulang / walang stock</button>`
      : html`<section class="line" data-testid="short-reasons"><h2>Bakit kulang? (${step === "qty" ? Math.min(qty, line.left - 1) : 0} ang nakuha)</h2>
          ${SHORT_REASONS.map((r) => html`<button class="btn btn-big" data-testid=${`short-${r}`} disabled=${saving} onClick=${() => short(r)}>${SHORT_WORDS[r]}</button>`)}
          <button class="btn btn-link" onClick=${() => setShortOpen(false)}>Hindi pala, bumalik</button></section>`}
    ${step !== "bin" && html`<button class="btn btn-link" onClick=${restart}>Ibang bin / simulan ulit ang item na ito</button>`}
    ${(() => {
      // The next few stops on the walk, so the picker sees where the path goes.
      const after = walk.filter((l) => l !== line && !l.done && !l.short).slice(0, 3);
      return (
        after.length > 0 &&
        html`<section><h2>Susunod</h2><ul class="list" data-testid="pick-next">${after.map(
          (l) => html`<li class="row"><span class="row-main"><b>${l.bin ?? "?"}</b> · ${skuName(l.sku)}<small>${l.left} pcs${batch ? ` · ${labelOf(l.order)}${l.tote ? ` · tote ${l.tote}` : ""}` : ""}</small></span></li>`,
        )}</ul></section>`
      );
    })()}
  </${Screen}>`;
}

/**
 * Who picks the wave: a wave nobody has can be taken with one tap (online: the server assigns it,
 * and every phone sees it with the next sync); one given to someone else says whose it is.
 */
function WavePicker({ wave }) {
  const me = session.value?.user?.username ?? "";
  const [msg, setMsg] = useState("");
  const [busy, setBusy] = useState(false);
  if (wave.picker === me) return null;
  if (wave.picker) return html`<p class="hint" data-testid="wave-picker">Naka-assign kay <b>${wave.picker}</b>.</p>`;
  const take = async () => {
    setBusy(true);
    setMsg("");
    try {
      await api(`/api/v1/waves/${encodeURIComponent(wave.id)}/assign`, { method: "POST", body: { picker: me } });
      setMsg("Sa iyo na ang wave na ito ✓ (makikita ng iba pagka-sync).");
    } catch {
      setMsg("Hindi ma-assign ngayon (walang koneksyon). Pwede pa ring mag-pick.");
    } finally {
      setBusy(false);
    }
  };
  return html`<div data-testid="wave-picker">
    <button class="btn btn-big" data-testid="wave-take" disabled=${busy} onClick=${take}>Ako ang kukuha ng wave na ito</button>
    ${msg && html`<p class="hint">${msg}</p>`}
  </div>`;
}
