// The supervisor's inbox: the open exceptions this phone holds (the `exceptions` sync scope), to
// filter by kind, warehouse and age, open, and settle with an action. An action is a fact recorded
// on the phone (`exception.acted@v1`) and synced like every other: it works offline, and the server
// applies it once, through the same domain writer as the console's button. So is asking for a
// count (`count_task.created@v1`); the orders waiting as backorders are read from the server.
import { useEffect, useState } from "preact/hooks";
import { html } from "../html.js";
import { link, path } from "../router.js";
import { opsVersion, record, recordedSince, status } from "../engine.js";
import { binsOf, exceptionById, openExceptions, version, warehouseCodes } from "../reference.js";
import { api, ApiError, session } from "../session.js";
import { checkNotifications, enableNotifications, pushState } from "../push.js";
import { age, Message, now, Screen } from "../ui/kit.js";
import { opPayload } from "../sync/protocol.js";
import { COUNT_TASK_CREATED, countTaskCreated, EXCEPTION_ACTED, exceptionActed } from "../sync/ops.js";


const KIND = {
  order_on_hold: "Order na naka-hold",
  stock_shortfall: "Kulang ang stock",
  short_pick: "Kulang ang napick",
  short_pick_unfilled: "Kulang ang napick, walang mapagkunan",
  short_pick_reallocated: "Kulang ang napick, inilipat",
  pick_without_stock: "Pick na walang stock",
  pick_wrong_bin: "Pick sa maling bin",
  count_variance: "Malayo ang bilang",
  count_needs_approval: "Bilang na kailangang aprubahan",
  count_zero_unmarked: "Zero na bilang, hindi minarkahan",
  remittance_short: "Kulang ang remit ng rider",
  rider_cash_over_ceiling: "Sobra ang cash ng rider",
  rider_cash_unremitted: "Hindi pa nai-remit ang cash",
  double_delivery: "Dalawang beses na-deliver",
  cash_for_cancelled_order: "Cash para sa cancelled na order",
  delivery_for_cancelled_order: "Delivery ng cancelled na order",
  cod_amount_mismatch: "Mali ang halaga ng COD",
  unknown_status: "Hindi kilalang status",
  unmapped_status: "Status na walang katumbas",
  ship_by_at_risk: "Baka hindi umabot sa ship-by",
  low_stock: "Paubos na ang stock",
  proof_missing: "Walang dumating na proof",
  device_silent: "Tahimik na phone",
  ledger_drift: "Hindi tugma ang ledger",
  count_task_refused: "Hindi nabuksan ang count task",
};
export const kindLabel = (kind) => KIND[kind] ?? kind.replaceAll("_", " ");

const ACTION = {
  reallocate: "I-allocate ulit",
  transfer: "Ilipat ang stock mula sa ibang warehouse",
  cancel: "I-cancel ang order",
  backorder: "Hintayin ang restock (backorder)",
  count_task: "Magpa-bilang (count task)",
  recount: "Ipa-bilang ulit",
  approve_count: "Aprubahan ang bilang",
  reject_count: "Huwag tanggapin ang bilang",
  map_status: "I-map ang status",
  accept: "Tanggapin",
  refund: "I-refund",
  charge_rider: "Singilin ang rider",
  write_off: "I-write off",
  reject: "Huwag tanggapin",
  dismiss: "Tapos na (isara)",
};
const actionLabel = (a) => ACTION[a] ?? a.replaceAll("_", " ");
// Actions that need the supervisor to choose: one button per choice, its params sent with it.
const CHOICES = {
  pick_delivery: [
    ["first", { keep: "first" }, "Ang unang delivery ang totoo"],
    ["second", { keep: "second" }, "Ang pangalawang ulat ang totoo"],
  ],
};
const SEVERITY = { critical: ["Kritikal", "bad"], warning: ["Babala", "warn"], info: ["Info", "info"] };
const SEVERITY_ORDER = { critical: 0, warning: 1, info: 2 };
const AGES = [
  [0, "Kahit kailan"],
  [60, "Mahigit 1 oras"],
  [240, "Mahigit 4 na oras"],
  [1440, "Mahigit 1 araw"],
];

// A shop's order number or a code is worth showing; an internal id (a UUID) is not, to a person.
const shortRef = (ref) => Boolean(ref) && String(ref).length <= 24;
const raisedMs = (x) => (x.raised_at ? Date.parse(x.raised_at) : 0);

/** Filtered, most serious and oldest first. */
export function inbox({ kind = "", wh = "", minAge = 0 } = {}, at = Date.now()) {
  return openExceptions()
    .filter((x) => (!kind || x.kind === kind) && (!wh || x.wh === wh) && (!minAge || at - raisedMs(x) >= minAge * 60_000))
    .sort((a, b) => (SEVERITY_ORDER[a.severity] ?? 1) - (SEVERITY_ORDER[b.severity] ?? 1) || raisedMs(a) - raisedMs(b));
}

/** For the home tile: how many are open, how many of them critical. */
export function inboxCounts() {
  const all = openExceptions();
  return { total: all.length, critical: all.filter((x) => x.severity === "critical").length };
}

/** Exception id -> the action this phone recorded for it and whether it has synced yet. */
function useActed() {
  const [acted, setActed] = useState(new Map());
  const v = opsVersion.value;
  useEffect(() => {
    recordedSince(EXCEPTION_ACTED, 0).then((rows) => {
      const m = new Map();
      for (const r of rows) {
        const p = opPayload(r.op);
        if (!m.has(p.exception)) m.set(p.exception, { action: p.action, state: r.st ?? "" });
      }
      setActed(m);
    });
  }, [v]);
  return acted;
}

export function Exceptions() {
  const p = path.value;
  if (p.startsWith("/exceptions/")) return html`<${ExceptionDetail} id=${decodeURIComponent(p.slice("/exceptions/".length))} />`;
  return html`<${Inbox} />`;
}

function NotificationsCard() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  useEffect(() => {
    checkNotifications();
  }, []);
  const st = pushState.value;
  if (st === "on") return html`<p class="hint" data-testid="push-on">✓ Naka-on ang notifications sa phone na ito.</p>`;
  if (st === "unsupported") return html`<p class="hint">Hindi kaya ng browser na ito ang notifications.</p>`;
  if (st === "denied")
    return html`<${Message} kind="warn" title="Naka-block ang notifications">I-allow ang notifications para sa app na ito sa settings ng browser.</${Message}>`;
  return html`<div class="msg msg-info">
    <strong>Abisuhan ako agad</strong>
    <p>Makakatanggap ka ng notification kapag may order na na-hold, kulang na remit, at iba pa.</p>
    <button class="btn btn-primary btn-big" data-testid="enable-push" disabled=${busy} onClick=${async () => {
      setBusy(true);
      setError("");
      try {
        await enableNotifications();
      } catch (exc) {
        setError(exc?.message ?? String(exc));
      } finally {
        setBusy(false);
      }
    }}>I-on ang notifications</button>
    ${error && html`<p class="note" role="alert">Hindi na-on: ${error}</p>`}
  </div>`;
}

function Inbox() {
  version.value; // recompute when the replica changes
  now.value;
  const [kind, setKind] = useState("");
  const [wh, setWh] = useState("");
  const [minAge, setMinAge] = useState(0);
  const acted = useActed();
  const all = openExceptions();
  const kinds = [...new Set(all.map((x) => x.kind))].sort();
  const whs = [...new Set(all.map((x) => x.wh).filter(Boolean))].sort();
  const rows = inbox({ kind, wh, minAge });
  return html`<${Screen} title="Exceptions">
    <${NotificationsCard} />
    <div class="filters">
      <label>Uri (kind)
        <select data-testid="filter-kind" value=${kind} onChange=${(e) => setKind(e.target.value)}>
          <option value="">Lahat (${all.length})</option>
          ${kinds.map((k) => html`<option value=${k}>${kindLabel(k)}</option>`)}
        </select>
      </label>
      <label>Warehouse
        <select data-testid="filter-wh" value=${wh} onChange=${(e) => setWh(e.target.value)}>
          <option value="">Lahat</option>
          ${whs.map((w) => html`<option value=${w}>${w}</option>`)}
        </select>
      </label>
      <label>Tagal (age)
        <select data-testid="filter-age" value=${minAge} onChange=${(e) => setMinAge(Number(e.target.value))}>
          ${AGES.map(([m, label]) => html`<option value=${m}>${label}</option>`)}
        </select>
      </label>
    </div>
    ${rows.length === 0 && html`<p class="lead" data-testid="inbox-empty">Walang exception dito.</p>`}
    <ul class="list" data-testid="inbox">
      ${rows.map((x) => {
        const [sev, tone] = SEVERITY[x.severity] ?? SEVERITY.warning;
        const mine = acted.get(x.id);
        return html`<li>
          <a class=${`card card-${tone} card-link`} data-testid="exception" data-id=${x.id} data-kind=${x.kind} ...${link(`/exceptions/${x.id}`)}>
            <div class="card-top"><b>${kindLabel(x.kind)}</b><small>${sev} · ${x.raised_at ? age(raisedMs(x)) : ""}</small></div>
            <div>${shortRef(x.order) ? html`<b>${x.order}</b> · ` : ""}${x.message}</div>
            <small>${[x.wh, x.ack_by && `nakita ni ${x.ack_by}`, x.assigned_to && `kay ${x.assigned_to}`, x.level ? `escalated ×${x.level}` : ""].filter(Boolean).join(" · ")}</small>
            ${mine && html`<p class="note" data-testid="acted-badge">✓ ${actionLabel(mine.action)} — ${mine.state === "waiting" ? "naghihintay ng sync" : "naitala"}</p>`}
          </a>
        </li>`;
      })}
    </ul>
    <${Backorders} />
    <${NewCountTask} />
  </${Screen}>`;
}

const WAREHOUSES = "bodega.warehouses"; // the seller's warehouses, as last listed online

/** The count tasks this phone asked for, newest first, with whether they have synced. */
function useAskedCounts() {
  const [asked, setAsked] = useState([]);
  const v = opsVersion.value;
  useEffect(() => {
    recordedSince(COUNT_TASK_CREATED, 0).then((rows) =>
      setAsked(rows.map((r) => ({ ...opPayload(r.op), state: r.st ?? "" })).slice(0, 5)),
    );
  }, [v]);
  return asked;
}

const ASKED = { waiting: "naghihintay ng sync", flagged: "hindi nabuksan: tingnan ang exceptions" };

/**
 * A count task for a bin, or a SKU wherever it lies: recorded on the phone (`count_task.created@v1`,
 * with an id the phone makes) and synced like any fact, so it works offline; the server opens it
 * once, through the same writer as the console's POST /api/v1/count-tasks, and the warehouse
 * phones get it in their count list.
 */
function NewCountTask() {
  version.value;
  const [listed, setListed] = useState(() => JSON.parse(localStorage.getItem(WAREHOUSES) ?? "[]"));
  useEffect(() => {
    // The warehouses this phone syncs or its exceptions name, and (online) every one the seller has.
    api("/api/v1/warehouses/?limit=100")
      .then((page) => {
        const codes = page.items.map((w) => w.code);
        localStorage.setItem(WAREHOUSES, JSON.stringify(codes));
        setListed(codes);
      })
      .catch(() => {});
  }, []);
  const named = openExceptions().map((x) => x.wh).filter(Boolean);
  const whs = [...new Set([...warehouseCodes(), ...named, ...listed])].sort();
  const [wh, setWh] = useState("");
  const [bin, setBin] = useState("");
  const [sku, setSku] = useState("");
  const [title, setTitle] = useState("");
  const [said, setSaid] = useState(null);
  const asked = useAskedCounts();
  const at = wh || whs[0] || "";
  const save = async (event) => {
    event.preventDefault();
    setSaid(null);
    try {
      const skus = sku.trim() ? [sku.trim()] : [];
      const p = countTaskCreated({ task: crypto.randomUUID(), wh: at, bin: bin.trim(), skus, title: title.trim() });
      await record(COUNT_TASK_CREATED, p);
      const what = p.bin ? `bin ${p.bin}` : p.skus.join(", ");
      // Whether it has synced is shown in the list below, as it changes.
      setSaid({ kind: "good", text: `Naitala ang count task para sa ${what}; makikita ito ng warehouse pag na-sync.` });
      setBin("");
      setSku("");
      setTitle("");
    } catch (exc) {
      setSaid({ kind: "bad", text: exc?.message ?? String(exc) });
    }
  };
  return html`<form class="card card-info" data-testid="new-count-task" onSubmit=${save}>
    <h2>Magpa-bilang (count task)</h2>
    <div class="filters">
      <label>Warehouse
        <select data-testid="count-wh" value=${at} onChange=${(e) => setWh(e.target.value)}>
          ${whs.map((w) => html`<option value=${w}>${w}</option>`)}
        </select>
      </label>
      <label>Bin
        <input class="input" data-testid="count-bin" list="count-bins" value=${bin} onInput=${(e) => setBin(e.target.value)} />
        <datalist id="count-bins">${binsOf(at).map((b) => html`<option value=${b} />`)}</datalist>
      </label>
      <label>SKU (kung saan man)
        <input class="input" data-testid="count-sku" value=${sku} onInput=${(e) => setSku(e.target.value)} />
      </label>
      <label>Tala (title)
        <input class="input" data-testid="count-title" maxlength="120" value=${title} onInput=${(e) => setTitle(e.target.value)} />
      </label>
    </div>
    <button class="btn btn-big" data-testid="count-create" disabled=${!at}>Itala ang count task</button>
    ${said && html`<p class=${`msg msg-${said.kind}`} data-testid="count-said">${said.text}</p>`}
    ${asked.length > 0 && html`<ul class="list" data-testid="count-asked">
      ${asked.map((t) => html`<li data-state=${t.state}><small>${t.wh} · ${t.bin ? `bin ${t.bin}` : (t.skus ?? []).join(", ")}${t.title ? ` · ${t.title}` : ""} — ${ASKED[t.state] ?? "naipadala"}</small></li>`)}
    </ul>`}
  </form>`;
}

/** Orders a supervisor decided wait for a restock (online: the server's orders list). */
function Backorders() {
  const online = status.value.online;
  const [orders, setOrders] = useState(null);
  useEffect(() => {
    if (!online) return;
    api("/api/v1/orders/?backordered=true&limit=20")
      .then((page) => setOrders(page.items))
      .catch(() => {});
  }, [online, opsVersion.value]);
  if (!orders?.length) return null;
  return html`<section class="card" data-testid="backorders">
    <h2>Naka-backorder (${orders.length})</h2>
    <p class="hint">Naka-hold hanggang dumating ang stock; sila ang unang bibigyan.</p>
    <ul class="list">
      ${orders.map((o) => html`<li data-testid="backorder"><b>${o.external_id}</b> · ${o.shop}<br /><small>${o.hold_reason ?? ""}</small></li>`)}
    </ul>
  </section>`;
}

function Evidence({ id }) {
  const [state, setState] = useState({ loading: true });
  const online = status.value.online;
  useEffect(() => {
    if (!online) return setState({ offline: true });
    let live = true;
    api(`/api/v1/exceptions/${id}/evidence`)
      .then((detail) => live && setState({ detail }))
      // No answer at all (no signal, server away) is offline; an answer that refuses is an error.
      .catch((exc) => live && setState(exc instanceof ApiError ? { error: exc.message } : { offline: true }));
    return () => (live = false);
  }, [id, online]);
  if (state.offline) return html`<p class="hint" data-testid="evidence-offline">Offline: ang ebidensya (photo, movements, op) ay makikita pag may internet. Puwede ka pa ring kumilos.</p>`;
  if (state.loading) return html`<p class="hint">Kinukuha ang ebidensya…</p>`;
  if (state.error) return html`<p class="hint">Hindi makuha ang ebidensya: ${state.error}</p>`;
  const { exception, op, history } = state.detail;
  const details = exception.details ?? {};
  const blobs = [details.blob, ...(Array.isArray(details.blobs) ? details.blobs : [])].filter((b) => typeof b === "string" && b);
  const movements = Array.isArray(details.movements) ? details.movements : [];
  return html`<section class="evidence" data-testid="evidence">
    <h2>Ebidensya</h2>
    ${blobs.map((b) => html`<${BlobPhoto} blob=${b} />`)}
    <dl class="facts">
      ${Object.entries(details)
        .filter(([k, v]) => !["blob", "blobs", "movements"].includes(k) && (typeof v !== "object" || v === null))
        .map(([k, v]) => html`<dt>${k}</dt><dd>${String(v)}</dd>`)}
    </dl>
    ${movements.length > 0 && html`<h3>Movements</h3><ul class="list">${movements.map((m) => html`<li><small>${JSON.stringify(m)}</small></li>`)}</ul>`}
    ${op && html`<h3>Ang op na nag-raise</h3><p data-testid="evidence-op"><b>${op.type ?? ""}</b> · ${op.actor ?? ""} · device ${String(op.device ?? "").slice(0, 8)}</p>`}
    ${history?.length > 0 && html`<h3>Kasaysayan</h3><ul class="list">${history.map((h) => html`<li><small>${h.at ?? ""} · ${h.actor ?? ""} · ${h.action ?? ""}</small></li>`)}</ul>`}
  </section>`;
}

/** A proof photo from the blob store, fetched with the phone's token (an <img> cannot send it). */
function BlobPhoto({ blob }) {
  const [src, setSrc] = useState("");
  useEffect(() => {
    let url = "";
    fetch(`/sync/v1/blobs/${blob}`, { headers: { Authorization: `Bearer ${session.value?.token ?? ""}` } })
      .then((r) => (r.ok ? r.blob() : null))
      .then((b) => b && setSrc((url = URL.createObjectURL(b))))
      .catch(() => {});
    return () => url && URL.revokeObjectURL(url);
  }, [blob]);
  return src ? html`<img class="proof" alt="proof" data-testid="evidence-photo" src=${src} />` : null;
}

function ExceptionDetail({ id }) {
  version.value;
  const x = exceptionById(id);
  const acted = useActed();
  const [note, setNote] = useState("");
  const [saving, setSaving] = useState("");
  const [error, setError] = useState("");
  const mine = acted.get(id);
  if (!x && !mine)
    return html`<${Screen} title="Exception" back="/exceptions">
      <${Message} kind="info" title="Wala na ito sa listahan" testid="exception-gone">Naayos na, o hindi pa dumarating sa phone na ito. Mag-sync para makita.</${Message}>
    </${Screen}>`;
  const [sev, tone] = SEVERITY[x?.severity] ?? SEVERITY.warning;
  const act = async (action, params = {}) => {
    setSaving(action);
    setError("");
    try {
      await record(EXCEPTION_ACTED, exceptionActed({ exception: id, action, note, params }));
    } catch (exc) {
      setError(exc?.message ?? String(exc));
    } finally {
      setSaving("");
    }
  };
  return html`<${Screen} title=${x ? kindLabel(x.kind) : "Exception"} back="/exceptions">
    ${x && html`<section class=${`card card-${tone}`} data-testid="exception-detail" data-id=${id}>
      <div class="card-top"><b>${sev}</b><small>${x.raised_at ? age(raisedMs(x)) : ""}</small></div>
      <p class="lead">${x.message}</p>
      <small>${[shortRef(x.order) && `Order ${x.order}`, x.subject_kind && x.subject_kind !== "order" && shortRef(x.subject_id) && `${x.subject_kind} ${x.subject_id}`, x.wh].filter(Boolean).join(" · ")}</small>
    </section>`}
    ${mine
      ? html`<${Message} kind="good" title=${`✓ ${actionLabel(mine.action)}`} testid="acted">
          ${mine.state === "waiting" ? "Naitala sa phone; masi-sync pag may internet." : "Naitala at na-sync."}
        </${Message}>`
      : html`<section data-testid="actions">
          <h2>Ano ang gagawin?</h2>
          <label>Note (opsyonal)
            <textarea data-testid="act-note" maxlength="400" value=${note} onInput=${(e) => setNote(e.target.value)}></textarea>
          </label>
          ${(x?.actions ?? ["dismiss"]).flatMap((a) =>
            (CHOICES[a] ?? [[null, {}, actionLabel(a)]]).map(
              ([key, params, label]) => html`<button class=${`btn btn-big ${a === "dismiss" ? "" : "btn-primary"}`} data-testid=${key ? `act-${a}-${key}` : `act-${a}`} disabled=${Boolean(saving)} onClick=${() => act(a, params)}>
                ${saving === a ? "Sine-save…" : label}
              </button>`,
            ),
          )}
          ${error && html`<p class="note" role="alert">${error}</p>`}
        </section>`}
    <${Evidence} id=${id} />
    <a class="btn btn-big" ...${link("/exceptions")}>‹ Bumalik sa listahan</a>
  </${Screen}>`;
}

