// Which backend serves an /api path. Shared by the dev-server proxy (proxy.conf.js) and the
// static server (serve.mjs) so both route exactly like admin-ui/nginx.conf in compose.
'use strict';

const DEFAULTS = {
  admin: 'http://127.0.0.1:8000',
  ingester: 'http://127.0.0.1:8020',
  query: 'http://127.0.0.1:8030',
};

function targets(env = process.env) {
  const strip = (u) => u.replace(/\/+$/, '');
  return {
    admin: strip(env.ADMIN_URL || DEFAULTS.admin),
    ingester: strip(env.INGESTER_URL || DEFAULTS.ingester),
    query: strip(env.QUERY_URL || DEFAULTS.query),
  };
}

/** 'admin' | 'ingester' | 'query' | null (not an API path). */
function upstreamFor(method, url) {
  const path = url.split('?')[0];
  if (!path.startsWith('/api/v1/') && path !== '/.well-known/jwks.json') return null;
  if (/^\/api\/v1\/files\/[^/]+\/finalize\/?$/.test(path)) return 'admin';
  if (/^\/api\/v1\/files\/[^/]+\/history\/?$/.test(path)) return 'admin'; // the file's audit entries
  if (/^\/api\/v1\/files\/[^/]+\/(retain-until|retention-class|retention-event|verify|expires-at)\/?$/.test(path)) return 'admin'; // records (issue 15), file-page actions (issue 16)
  if (path === '/api/v1/files' || path === '/api/v1/files/') return method === 'POST' ? 'ingester' : 'query';
  if (path === '/api/v1/files/batch') return 'ingester';
  // One file: read through the query module, changed (PATCH, DELETE) through the admin module.
  if (/^\/api\/v1\/files\/[^/]+\/?$/.test(path) && (method === 'PATCH' || method === 'DELETE')) return 'admin';
  if (path.startsWith('/api/v1/files/') || path.startsWith('/api/v1/search') || path.startsWith('/api/v1/admin/reindex')) {
    return 'query';
  }
  return 'admin';
}

module.exports = { targets, upstreamFor };
