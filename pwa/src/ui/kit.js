// Small shared pieces: the screen frame, time formats in Manila time.
import { signal } from "@preact/signals";
import { html } from "../html.js";
import { link } from "../router.js";

/** The current time, ticking every 15 s: enough for "12 min ago" labels. */
export const now = signal(Date.now());
setInterval(() => {
  now.value = Date.now();
}, 15_000);

const clock = new Intl.DateTimeFormat("en-PH", { timeZone: "Asia/Manila", hour: "numeric", minute: "2-digit" });
export const manilaTime = (ms) => clock.format(new Date(ms));

export function age(ms, at = now.value) {
  const s = Math.max(0, Math.round((at - ms) / 1000));
  if (s < 60) return "ngayon lang";
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} oras`;
  return `${Math.floor(s / 86_400)} araw`;
}

/** Midnight today in Manila, as ms: "received today" lists start here. */
export function startOfManilaDay(ms = Date.now()) {
  const manila = ms + 8 * 3_600_000;
  return manila - (manila % 86_400_000) - 8 * 3_600_000;
}

export function Screen({ title, back = "/", children }) {
  return html`<main class="screen">
    <header class="screen-head">
      ${back && html`<a class="back" aria-label="Bumalik" ...${link(back)}>‹</a>`}
      <h1>${title}</h1>
    </header>
    ${children}
  </main>`;
}

export function Message({ kind = "info", title, children, testid }) {
  return html`<div class=${`msg msg-${kind}`} role=${kind === "bad" ? "alert" : "status"} data-testid=${testid}>
    ${title && html`<strong>${title}</strong>`}
    ${children}
  </div>`;
}
