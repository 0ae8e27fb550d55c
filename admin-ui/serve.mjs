// Serves the built UI (dist/admin-ui/browser) with the same /api routing as nginx in compose:
// used by `make run` and the end-to-end tests where nginx is not available.
//   PORT (4200) HOST (127.0.0.1) ADMIN_URL INGESTER_URL QUERY_URL UI_DIST
import { createReadStream, promises as fs } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const { targets, upstreamFor } = require('./server/routes.cjs');
const { forward } = require('./server/forward.cjs');

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(process.env.UI_DIST || path.join(here, 'dist', 'admin-ui', 'browser'));
const port = Number(process.env.PORT || 4200);
const host = process.env.HOST || '127.0.0.1';
const upstreams = targets();

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.ico': 'image/x-icon', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.woff2': 'font/woff2', '.txt': 'text/plain; charset=utf-8', '.map': 'application/json',
};

// The same headers nginx sends (admin-ui/nginx.conf), so the e2e tests run under the real CSP.
const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'strict-origin-when-cross-origin',
  'cross-origin-opener-policy': 'same-origin',
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; " +
    "frame-ancestors 'none'",
};

async function sendFile(res, file, method) {
  const stat = await fs.stat(file);
  const isIndex = path.basename(file) === 'index.html';
  res.writeHead(200, {
    'content-type': TYPES[path.extname(file)] || 'application/octet-stream',
    'content-length': stat.size,
    // Hashed bundles never change; index.html must always be revalidated.
    'cache-control': isIndex ? 'no-cache' : 'public, max-age=31536000, immutable',
    ...(isIndex ? SECURITY_HEADERS : { 'x-content-type-options': 'nosniff' }),
  });
  if (method === 'HEAD') return res.end();
  createReadStream(file).pipe(res);
}

async function serveStatic(req, res) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' });
    return res.end();
  }
  let rel;
  try {
    rel = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  } catch {
    res.writeHead(400);
    return res.end();
  }
  const file = path.join(root, path.normalize(rel));
  if (file.startsWith(root + path.sep)) {
    try {
      if ((await fs.stat(file)).isFile()) return await sendFile(res, file, req.method);
    } catch {
      /* not a file: fall back to the SPA entry */
    }
  }
  // Unknown asset-looking paths are 404s; everything else is a client-side route.
  if (path.extname(rel)) {
    res.writeHead(404);
    return res.end();
  }
  return sendFile(res, path.join(root, 'index.html'), req.method);
}

const server = http.createServer((req, res) => {
  const up = upstreamFor(req.method, req.url);
  const done = up ? forward(req, res, upstreams[up]) : serveStatic(req, res);
  Promise.resolve(done).catch((err) => {
    console.error('admin-ui serve error', err);
    if (!res.headersSent) res.writeHead(500);
    res.end();
  });
});
server.requestTimeout = 0; // long uploads and downloads
server.listen(port, host, () => {
  console.log(`admin-ui serving ${root} on http://${host}:${port} (admin ${upstreams.admin}, ingester ${upstreams.ingester}, query ${upstreams.query})`);
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.close(() => process.exit(0)));
