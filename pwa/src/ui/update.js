// App updates: a new version downloads in the background and waits. The user is asked, and the
// page reloads only when they tap "I-update", never by itself in the middle of a count.
import { signal } from "@preact/signals";
import { registerSW } from "virtual:pwa-register";
import { html } from "../html.js";

export const needRefresh = signal(false);
let updateSW = null;

export function startUpdates() {
  if (!("serviceWorker" in navigator)) return;
  updateSW = registerSW({
    immediate: true,
    onNeedRefresh: () => {
      needRefresh.value = true;
    },
    onRegisteredSW(_url, registration) {
      if (!registration) return;
      // Look for a new version when the app comes back to the foreground, and hourly.
      const check = () => navigator.onLine && registration.update().catch(() => {});
      document.addEventListener("visibilitychange", () => document.visibilityState === "visible" && check());
      setInterval(check, 3_600_000);
    },
  });
}

export function UpdatePrompt() {
  if (!needRefresh.value) return null;
  return html`<div class="update" role="alert" data-testid="update-prompt">
    <span>May bagong version ng Bodega.</span>
    <button class="btn btn-primary" data-testid="update-now" onClick=${() => updateSW?.(true)}>I-update</button>
    <button class="btn" data-testid="update-later" onClick=${() => (needRefresh.value = false)}>Mamaya</button>
  </div>`;
}
