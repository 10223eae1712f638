// The service worker: precaches the app shell (and the scanner's WebAssembly) so the app opens
// with no network at all, and answers every in-app navigation with the shell.
//
// Updates wait: with registerType "prompt" a new version installs in the background and only takes
// over when the user taps "I-update" (the page posts SKIP_WAITING), never in the middle of a form.
// API and sync requests are never touched: they must reach the server or fail, never be cached.
import { clientsClaim } from "workbox-core";
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from "workbox-precaching";
import { NavigationRoute, registerRoute } from "workbox-routing";

precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();

const SERVER_PATHS = [/^\/api\//, /^\/sync\//, /^\/schema/, /^\/health$/, /^\/ready$/];
registerRoute(new NavigationRoute(createHandlerBoundToURL("/index.html"), { denylist: SERVER_PATHS }));

self.addEventListener("message", (event) => {
  if (event.data?.type === "SKIP_WAITING") self.skipWaiting();
});

// The first install controls the open page at once, so it works offline without a reload. A later
// version only gets here after SKIP_WAITING, i.e. after the user asked for the update.
clientsClaim();
