// An app that is its own cluster, as Node's docs show: the primary forks two workers, each of which
// listens on process.env.PORT and answers with its pid (also in x-pid).
'use strict';
const cluster = require('cluster');
const http = require('http');

if (cluster.isPrimary) {
  for (let i = 0; i < 2; i++) {
    cluster.fork();
  }
} else {
  const server = http.createServer((req, res) => {
    res.setHeader('x-pid', String(process.pid));
    res.end('worker ' + process.pid + '\n');
  });
  server.listen(process.env.PORT, () => {
    process.stdout.write(JSON.stringify({ pid: process.pid, event: 'listening', address: server.address() }) + '\n');
  });
}
