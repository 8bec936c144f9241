// An app that listens on every port its arguments name (a port, or host:port), each with its own
// HTTP server, as a PM2 user's app does with a port of its own variable or a hard-coded one. It
// prints one JSON line per server's 'listening' (with the port it asked for) or 'error' (code and
// message). With SEND_READY set, it says process.send('ready') once every server listens. An
// argument "fork:<port>" forks a child (child_process.fork, a channel of its own to this process)
// that listens on that port.
'use strict';
const http = require('http');
const childProcess = require('child_process');

function say(what) {
  process.stdout.write(JSON.stringify(Object.assign({ pid: process.pid }, what)) + '\n');
}

const specs = process.argv.slice(2);
let waiting = 0;
for (const spec of specs) {
  if (spec.startsWith('fork:')) {
    childProcess.fork(__filename, [spec.slice('fork:'.length)], { stdio: 'inherit' });
    continue;
  }
  const colon = spec.lastIndexOf(':');
  const host = colon < 0 ? undefined : spec.slice(0, colon);
  const port = Number(colon < 0 ? spec : spec.slice(colon + 1));
  const server = http.createServer((req, res) => res.end('hello from ' + process.pid + '\n'));
  waiting++;
  server.on('error', (e) => say({ event: 'error', asked: port, code: e.code, message: e.message }));
  const listening = () => {
    say({ event: 'listening', asked: port, address: server.address(),
      share: process.env.HERD_LISTEN_SHARE === undefined ? null : process.env.HERD_LISTEN_SHARE });
    if (--waiting === 0 && process.env.SEND_READY) {
      process.send('ready');
    }
  };
  if (host === undefined) {
    server.listen(port, listening);
  } else {
    server.listen(port, host, listening);
  }
}
