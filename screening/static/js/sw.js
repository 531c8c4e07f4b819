/* Trivselsspor's service worker: keeps the offline app's shell (its page, style, scripts
   and icons) in a cache named by the app version, so the app opens with no network.

   Page and scripts are always of one version: the page loads its modules from the
   version's own path (/offline/app/<version>/…, so their imports are of that version too),
   and the page is kept only in the cache of the version it names (X-Offline-App-Version).
   A newer page from the network runs with its own, newer modules; the kept page with the
   kept modules.

   It never keeps personal data: children, forms and unsent items live in IndexedDB,
   encrypted (see js/offline/store.js). That is why a new version may replace the caches at
   once: nothing saved offline is in them. The server writes VERSION and PRECACHE in. */
"use strict";

const VERSION = "__VERSION__";
const PRECACHE = ["__PRECACHE__"];
const PREFIX = "trivselsspor-shell-";
const CACHE = PREFIX + VERSION;
const SHELL = PRECACHE[0];
const NETWORK_TIMEOUT_MS = 4000;
const VERSION_HEADER = "X-Offline-App-Version";

// Whether a page from the network is of this worker's version (only such a page is kept).
function ofThisVersion(response) {
  return response.ok && !response.redirected && response.headers.get(VERSION_HEADER) === VERSION;
}

async function install() {
  const cache = await caches.open(CACHE);
  await cache.addAll(PRECACHE.map((url) => new Request(url, { cache: "reload" })));
  // The server moved on to another version meanwhile: this one is not installed.
  if (!ofThisVersion(await cache.match(SHELL))) {
    await caches.delete(CACHE);
    throw new Error("another version");
  }
}

self.addEventListener("install", (event) => {
  event.waitUntil(install().then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) =>
        Promise.all(keys.filter((k) => k.startsWith(PREFIX) && k !== CACHE).map((k) => caches.delete(k)))
      )
      .then(() => self.clients.claim())
  );
});

self.addEventListener("message", (event) => {
  if (event.data === "version" && event.ports[0]) event.ports[0].postMessage(VERSION);
  // A page that was loading while this worker was installed, and so was missed by the
  // claim at activation, asks to be taken over (sw-register.js).
  if (event.data === "claim") event.waitUntil(self.clients.claim());
});

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then(
      (value) => { clearTimeout(timer); resolve(value); },
      (error) => { clearTimeout(timer); reject(error); }
    );
  });
}

async function shellFromCache() {
  const cache = await caches.open(CACHE);
  return cache.match(SHELL);
}

// The offline app's page: the network first (a slow network gives up after a few seconds),
// the kept copy when there is none. Any other page that cannot load at all (no network)
// gets the offline app instead of the browser's error page; a slow page is waited for.
async function navigate(request) {
  const url = new URL(request.url);
  const isShell = url.pathname === SHELL;
  try {
    const response = isShell ? await withTimeout(fetch(request), NETWORK_TIMEOUT_MS) : await fetch(request);
    if (isShell && ofThisVersion(response)) {
      const cache = await caches.open(CACHE);
      await cache.put(SHELL, response.clone());
    } else if (isShell && !response.ok) {
      // A proxy's error page while the server is down must not hide the app and its data.
      const kept = await shellFromCache();
      if (kept) return kept;
    }
    return response;
  } catch (error) {
    const kept = await shellFromCache();
    if (kept) return kept;
    throw error;
  }
}

// Static files: the version's copy first (they change only with the version).
async function staticFile(request) {
  const cache = await caches.open(CACHE);
  const kept = await cache.match(request, { ignoreSearch: true });
  return kept || fetch(request);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(navigate(request));
  } else if (PRECACHE.includes(url.pathname) && url.pathname !== SHELL) {
    event.respondWith(staticFile(request));
  }
  // Everything else (the API above all) goes to the network untouched.
});
