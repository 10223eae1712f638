import { html } from "../html.js";

/** A number with big − and + buttons: thumbs in gloves cannot hit a spinner. */
export function QtyInput({ label, value, min = 0, onChange, testid = "qty" }) {
  const set = (n) => onChange(Math.max(min, Math.min(1_000_000, Number.isFinite(n) ? Math.trunc(n) : min)));
  return html`<div class="qty">
    <label for=${testid}>${label}</label>
    <div class="qty-row">
      <button type="button" class="btn btn-step" aria-label="Bawasan" onClick=${() => set(value - 1)}>−</button>
      <input
        id=${testid}
        class=${`input qty-input${String(value).length > 4 ? " qty-long" : ""}`}
        type="number"
        inputmode="numeric"
        min=${min}
        value=${value}
        data-testid=${testid}
        onInput=${(e) => e.currentTarget.value !== "" && set(Number(e.currentTarget.value))}
      />
      <button type="button" class="btn btn-step" aria-label="Dagdagan" onClick=${() => set(value + 1)}>+</button>
    </div>
  </div>`;
}
