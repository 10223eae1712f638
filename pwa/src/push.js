// Notifications for the supervisor: asked for only when they tap "I-on ang notifications" (a
// browser refuses, and people learn to refuse, a permission asked for on load). The browser's
// push subscription is bound to the server's VAPID public key and registered for this user and
// this device (POST /api/v1/push/subscriptions); logging out or a revoked phone drops it there.
import { signal } from "@preact/signals";
import { api } from "./session.js";
import { navigate } from "./router.js";

/** "unsupported" | "default" | "granted" | "denied" | "on" (granted and registered). */
export const pushState = signal(initial());

function initial() {
  if (!("serviceWorker" in navigator) || !("PushManager" in self) || !("Notification" in self)) return "unsupported";
  return Notification.permission;
}

function keyBytes(b64url) {
  const pad = "=".repeat((4 - (b64url.length % 4)) % 4);
  const raw = atob((b64url + pad).replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

/** Ask permission, subscribe, register with the server. Resolves to the new pushState. */
export async function enableNotifications() {
  if (pushState.value === "unsupported") return "unsupported";
  const permission = await Notification.requestPermission();
  if (permission !== "granted") return (pushState.value = permission);
  const registration = await navigator.serviceWorker.ready;
  const { public_key } = await api("/api/v1/push/key");
  let subscription = await registration.pushManager.getSubscription();
  const key = keyBytes(public_key);
  const bound = subscription?.options?.applicationServerKey;
  if (subscription && bound && !sameKey(new Uint8Array(bound), key)) {
    await subscription.unsubscribe(); // made for another server's key: it would never get our pushes
    subscription = null;
  }
  subscription ??= await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
  await api("/api/v1/push/subscriptions", { method: "POST", body: subscription.toJSON() });
  return (pushState.value = "on");
}

const sameKey = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Already subscribed in this browser (a reload): say so without asking again. */
export async function checkNotifications() {
  if (pushState.value !== "granted") return pushState.value;
  const registration = await navigator.serviceWorker.getRegistration();
  const subscription = await registration?.pushManager.getSubscription();
  if (subscription) pushState.value = "on";
  return pushState.value;
}

/** A tapped notification asks the open app to show the exception (the service worker posts it). */
export function listenForOpen() {
  navigator.serviceWorker?.addEventListener("message", (event) => {
    if (event.data?.type === "OPEN" && typeof event.data.url === "string") navigate(event.data.url);
  });
}
