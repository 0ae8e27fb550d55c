// Dev-server proxy (`ng serve --proxy-config proxy.conf.js`): same routing as nginx in compose.
// Targets come from ADMIN_URL, INGESTER_URL and QUERY_URL (defaults: ports 8000, 8020, 8030).
// One entry takes all of /api: its bypass streams each request to the right service with the
// shared router and resolves when the response is finished, so Vite's own proxy never runs.
const { targets, upstreamFor } = require('./server/routes.cjs');
const { forward } = require('./server/forward.cjs');

const upstreams = targets();

module.exports = {
  '/api': {
    target: upstreams.admin,
    changeOrigin: true,
    bypass: async (req, res) => {
      const up = upstreamFor(req.method, req.url);
      if (!up) return undefined;
      await forward(req, res, upstreams[up]);
      return req.url;
    },
  },
};
