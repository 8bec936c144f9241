// The seed's src/apps/cluster_server/server.ts, compiled: one instance of the cluster example.
// It listens on PORT (herd gives each cluster instance its own) and says which process answered.
'use strict';
const http = require('http');

const port = process.env.PORT || 3000;

const server = http.createServer((req, res) => {
  res.writeHead(200);
  res.end(`Hello from process ${process.pid}\n`);
});

server.listen(port, () => {
  console.log(`Server started by process ${process.pid} on port ${port}`);
});

// A stop from herd (SIGTERM): finish the requests in flight, then exit.
process.on('SIGTERM', () => server.close(() => process.exit(0)));
