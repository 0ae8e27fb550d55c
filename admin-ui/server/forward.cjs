// A minimal streaming reverse proxy on node's http module: bodies are piped both ways, never
// buffered, so uploads of large files stay flat in memory.
'use strict';

const http = require('node:http');
const https = require('node:https');

const HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer'];

function forward(req, res, base) {
  return new Promise((resolve) => {
    const target = new URL(req.url, base + '/');
    const headers = { ...req.headers, host: target.host };
    for (const h of HOP) delete headers[h];
    if (req.headers['transfer-encoding']) headers['transfer-encoding'] = req.headers['transfer-encoding'];
    const prior = req.headers['x-forwarded-for'];
    const addr = req.socket.remoteAddress || '';
    headers['x-forwarded-for'] = prior ? `${prior}, ${addr}` : addr;
    headers['x-forwarded-proto'] = req.socket.encrypted ? 'https' : 'http';

    const lib = target.protocol === 'https:' ? https : http;
    const upstream = lib.request(target, { method: req.method, headers }, (up) => {
      const out = { ...up.headers };
      for (const h of HOP) delete out[h];
      res.writeHead(up.statusCode || 502, out);
      up.pipe(res);
      up.on('end', resolve);
      up.on('error', () => {
        res.destroy();
        resolve();
      });
    });
    upstream.on('error', (err) => {
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'BAD_GATEWAY', message: `upstream unreachable: ${err.code || err.message}`, details: {} } }));
      } else {
        res.destroy();
      }
      resolve();
    });
    req.on('aborted', () => upstream.destroy());
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
      resolve();
    });
    req.pipe(upstream);
  });
}

module.exports = { forward };
