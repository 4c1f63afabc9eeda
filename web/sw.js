// Offline after the first load: the page, its scripts and the default guest are kept in a
// cache as they are fetched. Network first (a running server's newer build wins), the cache
// when the network fails. Range requests (disks over HTTP) are answered from a cached whole
// response when offline, else passed through untouched.
const CACHE = 'tsqemu-v1';

/** Fetched at install, so the first visit already leaves everything the default guest needs. */
const ASSETS = ['./', 'page.js', 'worker.js', 'tsqemu-web.js', 'xterm.css', 'page.css', 'example.html',
  'images/Image.gz', 'images/initramfs.cpio.gz', 'pc-bios/opensbi-riscv64-generic-fw_dynamic.bin'];

self.addEventListener('install', (e) => e.waitUntil(caches.open(CACHE).then((c) => c.addAll(ASSETS)).then(() => self.skipWaiting())));
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));

function sliceRange(resp, range) {
  const m = /^bytes=(\d+)-(\d*)$/.exec(range);
  if (!m) return undefined;
  return resp.arrayBuffer().then((buf) => {
    const start = Number(m[1]), end = m[2] ? Math.min(Number(m[2]), buf.byteLength - 1) : buf.byteLength - 1;
    if (start > end) return new Response(null, { status: 416, headers: { 'Content-Range': `bytes */${buf.byteLength}` } });
    const headers = new Headers(resp.headers);
    headers.set('Content-Range', `bytes ${start}-${end}/${buf.byteLength}`);
    headers.set('Content-Length', String(end - start + 1));
    return new Response(buf.slice(start, end + 1), { status: 206, headers });
  });
}

self.addEventListener('fetch', (e) => {
  const req = e.request;
  if (req.method !== 'GET' || new URL(req.url).origin !== self.location.origin) return;
  const range = req.headers.get('Range');
  e.respondWith((async () => {
    const cache = await caches.open(CACHE);
    try {
      const resp = await fetch(req);
      if (!range && resp.status === 200) await cache.put(req.url, resp.clone());
      return resp;
    } catch (err) {
      // A page URL carries its command line (?args=...): any of them is the same page.
      const hit = await cache.match(req.mode === 'navigate' ? new URL('./', self.location.href).href : req.url);
      if (!hit) throw err;
      return range ? (await sliceRange(hit, range)) ?? hit : hit;
    }
  })());
});
