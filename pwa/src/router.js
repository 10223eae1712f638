// Client routes on the History API; the server answers every such path with the app shell.
import { signal } from "@preact/signals";

export const path = signal(location.pathname);

addEventListener("popstate", () => {
  path.value = location.pathname;
});

export function navigate(to, { replace = false } = {}) {
  if (to === location.pathname) return;
  history[replace ? "replaceState" : "pushState"](null, "", to);
  path.value = to;
  scrollTo(0, 0);
}

/** Props for an <a> that navigates without reloading. */
export const link = (to) => ({
  href: to,
  onClick: (event) => {
    if (event.button || event.metaKey || event.ctrlKey) return;
    event.preventDefault();
    navigate(to);
  },
});
