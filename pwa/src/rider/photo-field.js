// "Take a photo" for proofs: the phone's camera app through a file input (works offline, on every
// phone, and in tests with a file), compressed here, kept by `keep` (resolves its id) before the
// form shows it as taken.
import { useState } from "preact/hooks";
import { html } from "../html.js";
import { RiderIcon } from "./icons.js";
import { compressPhoto } from "./photo.js";

export function PhotoField({ label, keep, value, onChange, testid = "photo", required = false }) {
  const [busy, setBusy] = useState(false);
  const [info, setInfo] = useState(null); // {url, kb, width, height}
  const [error, setError] = useState("");
  const take = async (e) => {
    const file = e.currentTarget.files?.[0];
    e.currentTarget.value = ""; // the same picture again must fire a change too
    if (!file) return;
    setBusy(true);
    setError("");
    try {
      const started = performance.now();
      const out = await compressPhoto(file);
      const ms = Math.round(performance.now() - started); // shown to tests and `data-ms`, not to riders
      const sha = await keep(out.blob);
      setInfo({ url: URL.createObjectURL(out.blob), kb: Math.round(out.blob.size / 1024), width: out.width, height: out.height, ms, quality: out.quality, from: file.size });
      onChange(sha);
    } catch (exc) {
      setError(`Hindi mabasa ang litrato: ${exc?.message ?? exc}. Kumuha ulit.`);
    } finally {
      setBusy(false);
    }
  };
  return html`<div class="photo-field">
    <label class=${`btn btn-big btn-camera ${value ? "btn-done" : ""}`}>
      ${!busy && !value && html`<${RiderIcon} name="camera" />`}
      ${busy ? "Pinoproseso…" : value ? "✓ May litrato · kumuha ulit" : label}${required && !value ? " *" : ""}
      <input type="file" accept="image/*" capture="environment" class="photo-input" data-testid=${testid} onChange=${take} />
    </label>
    ${info && value && html`<div class="thumb"><img src=${info.url} alt="Litrato ng proof" /><small data-testid=${`${testid}-size`} data-kb=${info.kb} data-ms=${info.ms} data-quality=${info.quality} data-from=${info.from}>${info.width}×${info.height} · ${info.kb} KB</small></div>`}
    ${error && html`<p class="msg msg-bad" role="alert">${error}</p>`}
  </div>`;
}
