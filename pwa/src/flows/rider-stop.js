// One stop: who gets it, where, what is in the parcel and how much to collect, with one-tap call,
// text and map (the phone's own apps do the rest), then Delivered or Failed.
import { html } from "../html.js";
import { link } from "../router.js";
import { RiderIcon } from "../rider/icons.js";
import { itemLines } from "../rider/items.js";
import { peso } from "../rider/money.js";
import { reasonLabel } from "../sync/rider-ops.js";
import { Message, Screen } from "../ui/kit.js";
import { useRun } from "./rider-day.js";

/** The stop for this order on the phone's run, or a message saying why there is none. */
export function useStop(order) {
  const run = useRun();
  return { run, stop: run?.stops.find((s) => s.order === order) ?? null };
}

export function NoStop({ run }) {
  return html`<${Screen} title="Stop" back="/runs">
    ${run ? html`<${Message} kind="warn" title="Wala na ang stop na ito">Wala na ito sa run mo (sarado na o inilipat).</${Message}>` : html`<p class="hint">Sandali…</p>`}
  </${Screen}>`;
}

const digits = (phone) => String(phone ?? "").replace(/[^\d+]/g, "");
export const mapUrl = (address) => `https://www.google.com/maps/search/?api=1&query=${encodeURIComponent(address)}`;
const smsText = "Magandang araw po! Rider po ito ng inyong order, papunta na po ako. Salamat po!";

export function StopDetail({ order }) {
  const { run, stop } = useStop(order);
  if (!stop) return html`<${NoStop} run=${run} />`;
  const tel = digits(stop.phone);
  const items = itemLines(stop.items);
  const notes = stop.notes || stop.note || "";
  const at = `/runs/${encodeURIComponent(order)}`;
  return html`<${Screen} title=${`Stop #${stop.pos}`} back="/runs">
    <section class="card stop-card" data-testid="stop-detail">
      <h2 class="who" data-testid="stop-name">${stop.name}</h2>
      <p class="addr" data-testid="stop-address">${stop.address}</p>
      <div class="due"><small>COD na kokolektahin</small><b data-testid="stop-cod">${stop.cod ? peso(stop.cod) : "Bayad na (walang COD)"}</b></div>
      ${stop.waybill && html`<small>Waybill <code>${stop.waybill}</code></small>`}
    </section>
    <div class="contact">
      <a class="btn btn-contact" data-testid="call" href=${`tel:${tel}`} aria-disabled=${!tel}><${RiderIcon} name="phone" /> Tawag</a>
      <a class="btn btn-contact" data-testid="sms" href=${`sms:${tel}?body=${encodeURIComponent(smsText)}`}><${RiderIcon} name="text" /> Text</a>
      <a class="btn btn-contact" data-testid="map" href=${mapUrl(stop.address)} target="_blank" rel="noopener"><${RiderIcon} name="map" /> Mapa</a>
    </div>
    ${items.length > 0 && html`<section><h2>Laman</h2><ul class="items" data-testid="stop-items">${items.map((t) => html`<li>${t}</li>`)}</ul></section>`}
    ${notes && html`<${Message} kind="warn" title="Paalala sa delivery" testid="stop-notes">${notes}</${Message}>`}
    ${stop.state === "cancelled" &&
    html`<${Message} kind="bad" title="Kinansela ang order" testid="stop-cancelled">Huwag i-deliver. Ibalik ang parcel sa warehouse.</${Message}>`}
    ${stop.state === "delivered" &&
    html`<${Message} kind="good" title="Na-deliver na ✓" testid="stop-done">
      ${stop.mine?.cash ? `Nakolekta: ${peso(stop.mine.cash)}. ` : ""}
      ${stop.mine?.receivedBy && html`Tinanggap ni <b data-testid="stop-received-by">${stop.mine.receivedBy}</b>. `}${stop.mine?.note ?? ""}
    </${Message}>`}
    ${stop.state === "failed" &&
    html`<${Message} kind="warn" title="Bigo ang huling subok" testid="stop-failed">
      ${reasonLabel(stop.mine?.reason)}${stop.mine?.note ? ` · ${stop.mine.note}` : ""}.
      ${stop.mine?.rescheduleOn ? html` Babalikan sa <b data-testid="stop-reschedule-on">${stop.mine.rescheduleOn}</b>.` : " Pwedeng subukan ulit."}
    </${Message}>`}
    ${(stop.state === "todo" || stop.state === "failed") &&
    html`<a class="btn btn-primary btn-big btn-huge" data-testid="deliver" ...${link(`${at}/deliver`)}>✓ Na-deliver</a>
      <a class="btn btn-bad btn-big" data-testid="fail" ...${link(`${at}/fail`)}>✗ Hindi na-deliver</a>`}
  </${Screen}>`;
}
