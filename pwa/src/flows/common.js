import { useEffect, useState } from "preact/hooks";
import { record } from "../engine.js";
import { html } from "../html.js";
import { findSku, hasCatalog, version, warehouseCodes } from "../reference.js";
import { api, chooseWarehouse, session } from "../session.js";
import { Message } from "../ui/kit.js";

/** The warehouse this phone works in: the user's own (or the one chosen), else the one its sync scope names. */
export function currentWarehouse() {
  void version.value; // re-read when reference data changes
  return session.value?.wh || warehouseCodes()[0] || "";
}

/** Admins and supervisors have no warehouse of their own: they choose one (warehouse staff cannot). */
export const mayChooseWarehouse = () => ["admin", "supervisor"].includes(session.value?.user?.role);

/** Said before a flow that needs reference data the phone has not downloaded yet. */
export function NeedsData({ wh }) {
  if (!wh) {
    if (mayChooseWarehouse()) return html`<${ChooseWarehouse} />`;
    return html`<${Message} kind="warn" title="Walang warehouse ang account mo">
      Sabihan ang admin na i-assign ka sa isang warehouse, tapos mag-login ulit.
    </${Message}>`;
  }
  if (!hasCatalog()) {
    return html`<${Message} kind="warn" title="Wala pang listahan ng SKU">
      Hindi pa nada-download ang mga SKU. Pwede pa ring mag-type ng SKU code; i-sync kapag may signal.
    </${Message}>`;
  }
  return null;
}

/** The warehouse in the context line, with "Palitan" for those who may choose another. */
export function WarehouseLine({ wh }) {
  if (!wh || !mayChooseWarehouse()) return null;
  return html`<div class="context"><span>Warehouse: <b data-testid="wh">${wh}</b></span>
    <button class="btn btn-link" data-testid="wh-change" onClick=${() => chooseWarehouse("")}>Palitan</button></div>`;
}

/** A list of warehouses to work in: from the server (online), else those the phone's data names. */
export function ChooseWarehouse() {
  const [codes, setCodes] = useState(null);
  const [error, setError] = useState("");
  const load = () => {
    setError("");
    api("/api/v1/warehouses/?limit=100")
      .then((page) => setCodes(page.items.filter((w) => w.active !== false).map((w) => [w.code, w.name])))
      .catch(() => {
        const known = warehouseCodes();
        if (known.length) setCodes(known.map((code) => [code, ""]));
        else setError("Kailangan ng internet para makuha ang listahan ng warehouse.");
      });
  };
  useEffect(load, []);
  return html`<${Message} kind="info" title="Saang warehouse ka magtatrabaho?" testid="choose-wh">
    ${codes === null && !error && html`<p>Kinukuha ang listahan…</p>`}
    ${error && html`<p>${error}</p><button class="btn" onClick=${load}>Subukan ulit</button>`}
    ${codes?.length === 0 && html`<p>Wala pang warehouse. Gumawa muna sa console.</p>`}
    ${codes?.map(([code, name]) => html`<button class="btn btn-big" data-testid="choose-wh-option" data-code=${code} onClick=${() => chooseWarehouse(code)}>${code}${name ? ` · ${name}` : ""}</button>`)}
  </${Message}>`;
}

/**
 * The SKU a code stands for. A phone without the catalog (a supervisor's: its sync scopes carry
 * none) cannot tell, so a typed code is taken as the SKU code once the person confirms (`sure`);
 * the server checks it and flags an unknown one. Returns the SKU, or null with `ask` called.
 */
export function skuOrTyped(code, { sure = false, ask }) {
  const sku = findSku(code);
  if (sku) return sku;
  const typed = code.trim();
  if (sure) return { code: typed, name: typed, barcodes: [] };
  if (!hasCatalog()) {
    ask({
      kind: "warn",
      title: "Walang listahan ng SKU sa phone",
      text: html`Gamitin ang <code>${typed}</code> bilang SKU code? Kung mali, itatala ito ng server bilang problema.`,
    });
  }
  return null;
}

/** Save one op for the line `id` on the phone, once: a double tap or a second scan while the first
 * is still being written records nothing more. If saving fails, the next tap may try again. */
export async function recordOnce(recorded, id, type, payload) {
  if (recorded.current === id) return false;
  recorded.current = id;
  try {
    await record(type, payload);
  } catch (exc) {
    recorded.current = null;
    throw exc;
  }
  return true;
}

/** A question or a warning over a scanning screen: "yes" runs `prompt.confirm`, the other closes it. */
export function Prompt({ prompt, onClose, no = "Hindi, ayusin" }) {
  if (!prompt) return null;
  return html`<${Message} kind=${prompt.kind} title=${prompt.title} testid="prompt">
    <p>${prompt.text}</p>
    ${prompt.confirm && html`<button class="btn btn-primary" data-testid="prompt-yes" onClick=${prompt.confirm}>${prompt.yes ?? "Oo, gamitin"}</button>`}
    <button class="btn" data-testid="prompt-dismiss" onClick=${onClose}>${prompt.confirm ? no : "Sige"}</button>
  </${Message}>`;
}
