/* Service worker for the patient's pages. Served from /sw.js by patients.views.pwa, which
   puts VERSION, SHELL (static files) and OFFLINE_URL in front of this file.
   Pages are never cached: they hold personal data and must not outlive a sign-out or reach
   another user of the phone. Only the static shell and a page without data are cached. */
/* global VERSION, SHELL, OFFLINE_URL */
const CACHE = "shell-" + VERSION;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) => cache.addAll([...SHELL, OFFLINE_URL])).then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    // Network only for pages; the offline page when there is no network.
    event.respondWith(fetch(request).catch(() => caches.match(OFFLINE_URL)));
    return;
  }
  if (SHELL.includes(new URL(request.url).pathname)) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
  }
});
