// Small pieces every console screen uses: the page frame, a Problem Details box, a form whose
// fields show the server's own field errors, a status chip.
import { useEffect, useState } from "preact/hooks";
import { html } from "../html.js";
import { api, ApiError } from "./api.js";

export function Page({ title, actions, children, testid }) {
  return html`<section class="page" data-testid=${testid}>
    <header class="page-head"><h1>${title}</h1><div class="actions">${actions}</div></header>
    ${children}
  </section>`;
}

export function Problem({ error }) {
  if (!error) return null;
  const detail = error instanceof ApiError ? error.message : "Walang sagot ang server. Subukan ulit.";
  const fields = error instanceof ApiError ? error.body?.errors || [] : [];
  return html`<div class="problem" role="alert" data-testid="problem">
    <strong>${detail}</strong>
    ${fields.length > 0 && html`<ul>${fields.map((f) => html`<li><code>${f.field}</code>: ${f.message}</li>`)}</ul>`}
  </div>`;
}

export const Chip = ({ value, tone }) => html`<span class=${`chip chip-${tone || value}`}>${value}</span>`;

/**
 * A form of plain fields. fields: [{name, label, type?: text|number|password|select|textarea|checkbox,
 * options?: [[v, l]], required?, placeholder?, value?}]. submit(values) may throw an ApiError: its
 * field errors are shown under the fields they name (the last part of "lines[0].qty" too).
 */
export function Form({ fields, submit, label, testid, done, inline = false }) {
  const initial = Object.fromEntries(fields.map((f) => [f.name, f.value ?? (f.type === "checkbox" ? false : "")]));
  const [values, setValues] = useState(initial);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [ok, setOk] = useState("");
  const errs = error instanceof ApiError ? error.fields : {};
  const errorFor = (name) => errs[name] || Object.entries(errs).find(([k]) => k.endsWith(`.${name}`) || k.startsWith(`${name}[`))?.[1];

  const onSubmit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setOk("");
    try {
      const message = await submit(values);
      setOk(typeof message === "string" ? message : "Nai-save.");
      if (done) done();
    } catch (exc) {
      setError(exc);
    } finally {
      setBusy(false);
    }
  };
  const set = (name, value) => setValues({ ...values, [name]: value });

  return html`<form class=${inline ? "form form-inline" : "form"} onSubmit=${onSubmit} data-testid=${testid}>
    ${fields.map((f) => {
      const err = errorFor(f.name);
      let input;
      if (f.type === "select") {
        input = html`<select name=${f.name} value=${values[f.name]} required=${f.required} onChange=${(e) => set(f.name, e.currentTarget.value)}>
          ${!f.required && html`<option value="">—</option>`}
          ${f.options.map(([v, l]) => html`<option value=${v}>${l}</option>`)}
        </select>`;
      } else if (f.type === "textarea") {
        input = html`<textarea name=${f.name} rows="3" required=${f.required} placeholder=${f.placeholder || ""} value=${values[f.name]} onInput=${(e) => set(f.name, e.currentTarget.value)} />`;
      } else if (f.type === "checkbox") {
        input = html`<input name=${f.name} type="checkbox" checked=${values[f.name]} onChange=${(e) => set(f.name, e.currentTarget.checked)} />`;
      } else {
        input = html`<input name=${f.name} type=${f.type || "text"} required=${f.required} placeholder=${f.placeholder || ""} value=${values[f.name]} onInput=${(e) => set(f.name, e.currentTarget.value)} />`;
      }
      const kind = `field${f.type === "checkbox" ? " field-check" : ""}${err ? " field-bad" : ""}`;
      return html`<label class=${kind}><span>${f.label}</span>${input}${err && html`<small class="field-error">${err}</small>`}</label>`;
    })}
    <div class="form-end">
      <button class="btn btn-primary" type="submit" disabled=${busy}>${busy ? "Sandali…" : label}</button>
      ${ok && html`<span class="ok" role="status">${ok}</span>`}
    </div>
    ${error && !(error instanceof ApiError && Object.keys(errs).length && fields.some((f) => errorFor(f.name))) && html`<${Problem} error=${error} />`}
  </form>`;
}

/** A titled box that opens on demand (a form beside a table). */
export function Drawer({ title, open, onClose, children, testid }) {
  if (!open) return null;
  return html`<aside class="drawer" data-testid=${testid} aria-label=${title}>
    <header><h2>${title}</h2><button class="btn btn-link" type="button" onClick=${onClose}>Isara ✕</button></header>
    ${children}
  </aside>`;
}

/** Options for a select from a list endpoint (warehouses, shops): [[value, label]], [] while loading. */
export function useOptions(path, pick, again = 0) {
  const [options, setOptions] = useState([]);
  useEffect(() => {
    api(path).then(
      (out) => setOptions((Array.isArray(out) ? out : out.items).map(pick)),
      () => setOptions([]),
    );
  }, [path, again]);
  return options;
}

export const warehouseOptions = () => useOptions("/api/v1/warehouses?limit=500", (w) => [w.code, `${w.code} — ${w.name}`]);
