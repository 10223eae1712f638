// A screen loaded on first use (its own chunk, outside the app shell's size budget). The chunk is
// precached by the service worker like the shell, so it opens offline too.
import { useEffect, useState } from "preact/hooks";
import { html } from "../html.js";

export function lazyScreen(load) {
  let Loaded = null;
  let loading = null;
  return function LazyScreen(props) {
    const [, setReady] = useState(Boolean(Loaded));
    const [error, setError] = useState("");
    useEffect(() => {
      if (Loaded) return;
      loading ??= load();
      loading.then((c) => ((Loaded = c), setReady(true))).catch((e) => ((loading = null), setError(String(e?.message ?? e))));
    }, []);
    if (Loaded) return html`<${Loaded} ...${props} />`;
    return html`<p class="boot">${error ? `Hindi mabuksan: ${error}` : "Sandali…"}</p>`;
  };
}
