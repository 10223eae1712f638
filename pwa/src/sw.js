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

// The office's web console (/console) is its own page and never the phone app's shell.
const SERVER_PATHS = [/^\/api\//, /^\/sync\//, /^\/schema/, /^\/health$/, /^\/ready$/, /^\/console(\/|$)/];
registerRoute(new NavigationRoute(createHandlerBoundToURL("/index.html"), { denylist: SERVER_PATHS }));

self.addEventListener("message", (event) => {
  if (event.data?.type === "SKIP_WAITING") self.skipWaiting();
});

// The first install controls the open page at once, so it works offline without a reload. A later
// version only gets here after SKIP_WAITING, i.e. after the user asked for the update.
clientsClaim();

// Web push (server/push/): an exception for this supervisor. The server encrypts the message for
// this browser and signs it (VAPID); here it is shown at once, with the exception's id as its tag so
// a newer alert about the same exception replaces the older one instead of piling up.
self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = { body: event.data?.text() ?? "" };
  }
  if (data.close) {
    // Someone else acknowledged, took or resolved it (server/push/alerts.py): its notification
    // goes, nothing new is shown. Same tag as the alert it settles.
    event.waitUntil(closeTagged(data.tag));
    return;
  }
  const title = data.title || "Bodega: may dapat tingnan";
  event.waitUntil(
    self.registration.showNotification(title, {
      body: data.body || "",
      tag: data.tag || undefined,
      renotify: Boolean(data.tag), // a repeat (escalation) buzzes again
      requireInteraction: data.severity === "critical",
      icon: "/icons/icon-192.png",
      badge: "/icons/icon-192.png",
      data: { url: data.url || "/exceptions", exception: data.exception || "" },
    }),
  );
});

async function closeTagged(tag) {
  if (!tag) return;
  for (const shown of await self.registration.getNotifications({ tag })) shown.close();
}

/** The page to open for a tapped notification: the exception's screen, served offline by the shell. */
function notificationTarget(notification) {
  const url = notification?.data?.url || "/exceptions";
  return new URL(url, self.location.origin).href;
}

// A tap opens the exception in the app: an open window goes there (and comes to the front), else a
// new one opens. The app shell is precached, so this works with no network too.
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = notificationTarget(event.notification);
  event.waitUntil(openAt(target));
});

async function openAt(target) {
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  for (const client of windows) {
    if (new URL(client.url).origin !== self.location.origin) continue;
    // The app moves to the exception itself (no reload, so offline too), then comes to the front.
    client.postMessage({ type: "OPEN", url: new URL(target).pathname });
    try {
      return await client.focus();
    } catch {
      return client; // focusing needs a real tap on the notification; the app has moved anyway
    }
  }
  return self.clients.openWindow(target);
}
