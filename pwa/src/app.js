// The app's frame: login, the revoked notice, or the status bar over the current screen.
import { html } from "./html.js";
import { resumeSync, status } from "./engine.js";
import { navigate, path } from "./router.js";
import { revoked, session } from "./session.js";
import { lastFeedback } from "./scan/feedback.js";
import { Home, screenFor } from "./ui/home.js";
import { Login } from "./ui/login.js";
import { Revoked } from "./ui/revoked.js";
import { StatusBar } from "./ui/status-bar.js";
import { UpdatePrompt } from "./ui/update.js";
import { useState } from "preact/hooks";

export function App() {
  const s = session.value;
  const [relogin, setRelogin] = useState(false);
  if (s === undefined) return html`<p class="boot">Bodega…</p>`;
  if (!s) {
    const afterLogin = async () => {
      setRelogin(false);
      await resumeSync();
      navigate("/", { replace: true });
    };
    return html`<${UpdatePrompt} />${revoked.value && !relogin
      ? html`<${Revoked} onLogin=${() => setRelogin(true)} />`
      : html`<${Login} onDone=${afterLogin} />`}`;
  }
  const screen = screenFor(s.user.role, path.value);
  const Screen = screen?.component ?? Home;
  return html`<${Flash} />
    <${StatusBar} />
    <${UpdatePrompt} />
    ${status.value.mustUpdate &&
    html`<div class="msg msg-bad" role="alert">Luma na ang app para sa server: i-update ang app. Naka-save pa rin ang lahat ng naitala.</div>`}
    <${Screen} />`;
}

/** A full-screen green or red flash for each scan: seen from arm's length in sunlight. */
function Flash() {
  const f = lastFeedback.value;
  if (!f.n) return null;
  return html`<div key=${f.n} class=${`flash flash-${f.kind}`} data-testid="feedback" data-kind=${f.kind} data-n=${f.n} aria-hidden="true"></div>`;
}
