// The console's routes: History API paths under /console, with the query string as the state of a
// screen's table (filters, sort, page), so reload, back and a pasted link all show the same rows.
import { signal } from "@preact/signals";

const here = () => ({ path: location.pathname.replace(/^\/console/, "") || "/", query: new URLSearchParams(location.search) });
export const route = signal(here());

addEventListener("popstate", () => {
  route.value = here();
});

export function navigate(to, { replace = false } = {}) {
  const url = to.startsWith("/console") ? to : `/console${to === "/" ? "" : to}`;
  if (url === location.pathname + location.search) return;
  history[replace ? "replaceState" : "pushState"](null, "", url);
  route.value = here();
}

/** Replace some query parameters of the current screen (empty values are dropped). */
export function setQuery(changes, { replace = true } = {}) {
  const next = new URLSearchParams(location.search);
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined || v === null || v === "") next.delete(k);
    else next.set(k, String(v));
  }
  const text = next.toString();
  navigate(location.pathname + (text ? `?${text}` : ""), { replace });
}

/** Props for an <a> that navigates within the console without reloading. */
export const link = (to) => ({
  href: to.startsWith("/console") ? to : `/console${to}`,
  onClick: (event) => {
    if (event.button || event.metaKey || event.ctrlKey || event.shiftKey) return;
    event.preventDefault();
    navigate(to);
  },
});
