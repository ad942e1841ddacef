// peon's service worker: keeps the app shell (WASM, JS, CSS, the start-up
// page) and the pages this browser has seen, so a reload still shows them
// while the server is down. Pages and assets are network-first: the cache is only a fallback.
// Live data (/api/...) is never cached.
// The server fills in every file of the built site (WASM, JS, its snippets,
// CSS) and a version that changes whenever one of them does.
const SHELL_FILES = __SHELL_FILES__;
const VERSION = '__VERSION__';
const SHELL = 'peon-shell-' + VERSION;
const PAGES = 'peon-pages-v1';
// Served for a page not kept here: it starts the app, which renders the
// page from what the browser kept in IndexedDB.
const APP_SHELL = '__APP_SHELL__';

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(SHELL).then((cache) => cache.addAll(SHELL_FILES)).then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  // Take over open tabs at once and keep the pages they show.
  event.waitUntil(
    self.clients.claim().then(async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith('peon-shell-') && name !== SHELL) await caches.delete(name);
      }
      const pages = await caches.open(PAGES);
      const windows = await self.clients.matchAll({ type: 'window' });
      await Promise.all(
        windows.map((w) => fetch(w.url).then((res) => res.ok && pages.put(w.url, res)).catch(() => {})),
      );
    }),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith('/api/')) return;
  const cacheName = request.mode === 'navigate' ? PAGES : SHELL;
  event.respondWith(
    fetch(request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(cacheName).then((cache) => cache.put(request, copy));
        }
        return response;
      })
      .catch(async () => {
        const cached = await caches.match(request, { ignoreSearch: request.mode !== 'navigate' });
        if (cached) return cached;
        const shell = request.mode === 'navigate' && (await caches.match(APP_SHELL));
        if (shell) return shell;
        if (request.mode === 'navigate') {
          return new Response(
            '<!DOCTYPE html><meta charset="utf-8"><title>peon is offline</title>' +
              '<h1>peon is offline</h1><p>The server cannot be reached, and this page was not seen before it went away.</p>',
            { status: 503, headers: { 'content-type': 'text/html; charset=utf-8' } },
          );
        }
        return Response.error();
      }),
  );
});
