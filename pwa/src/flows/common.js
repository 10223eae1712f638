import { html } from "../html.js";
import { hasCatalog, version, warehouseCodes } from "../reference.js";
import { session } from "../session.js";
import { Message } from "../ui/kit.js";

/** The warehouse this phone works in: the user's own, else the one its sync scope names. */
export function currentWarehouse() {
  void version.value; // re-read when reference data changes
  return session.value?.wh || warehouseCodes()[0] || "";
}

/** Said before a flow that needs reference data the phone has not downloaded yet. */
export function NeedsData({ wh }) {
  if (!wh) {
    return html`<${Message} kind="warn" title="Hindi pa alam ang warehouse">
      I-sync muna (kailangan ng internet minsan) para makuha ang listahan ng SKU at bin.
    </${Message}>`;
  }
  if (!hasCatalog()) {
    return html`<${Message} kind="warn" title="Wala pang listahan ng SKU">
      Hindi pa nada-download ang mga SKU. Pwede pa ring mag-type ng SKU code; i-sync kapag may signal.
    </${Message}>`;
  }
  return null;
}
