// Start-up: open IndexedDB, restore the session and the replica, draw, then sync and watch for
// app updates. Nothing here needs the network: the app opens the same offline.
import { render } from "preact";
import { App } from "./app.js";
import { resumeSync, startEngine } from "./engine.js";
import { html } from "./html.js";
import { loadReference } from "./reference.js";
import { loadSession, session } from "./session.js";
import { openStore } from "./sync/store.js";
import { startUpdates } from "./ui/update.js";
import { listenForOpen } from "./push.js";
import "./styles.css";

async function boot() {
  const db = await openStore();
  await loadSession(db);
  await startEngine(db);
  await loadReference(db);
  const root = document.getElementById("app");
  root.textContent = ""; // the "Bodega…" placeholder shown while loading
  render(html`<${App} />`, root);
  // The app is interactive: tests and `bodega bench pwa` wait for this, and read when it happened.
  document.documentElement.dataset.readyAt = String(performance.now());
  document.documentElement.dataset.ready = "1";
  startUpdates();
  listenForOpen(); // a tapped push notification opens its exception here
  if (session.value) await resumeSync();
}

boot().catch((exc) => {
  document.getElementById("app").textContent = `Hindi mabuksan ang app: ${exc?.message ?? exc}`;
  throw exc;
});
