// The Node.js peer for bench/server.sh's fan-in: GET /N answers after N ms, like loadlab's
// delay route. Node runs on the same libuv; this measures what the runtime adds.
'use strict';
const http = require('http');
const port = Number(process.argv[2] || 8090);
const server = http.createServer((req, res) => {
  const match = /^\/(\d+)\/?(\?.*)?$/.exec(req.url);
  if (!match) {
    res.writeHead(404, { 'Content-Type': 'application/json' });
    res.end('{"error":"not found"}\n');
    return;
  }
  const delay = Number(match[1]);
  const start = process.hrtime.bigint();
  setTimeout(() => {
    const waited = Number(process.hrtime.bigint() - start) / 1e6;
    const body = `{"delay_ms":${delay},"waited_ms":${waited.toFixed(3)}}\n`;
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  }, delay);
});
server.keepAliveTimeout = 60000;
server.maxHeadersCount = 100;
server.listen(port, '127.0.0.1');
