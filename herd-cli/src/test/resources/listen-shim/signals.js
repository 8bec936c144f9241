// An HTTP server on process.env.PORT with a SIGTERM listener of its own, in one of two ways:
//   own:     added once it listens; it prints {"event":"sigterm"} and the server goes on
//            answering "terminating" until GET /exit, which exits with code 3.
//   reraise: added before it listens, as signal-exit does: when it is the only listener it prints
//            {"event":"cleanup"}, removes itself and sends the signal again, expecting to die of it.
'use strict';
const http = require('http');

const mode = process.argv[2];
let terminating = false;

function say(what) {
  process.stdout.write(JSON.stringify(Object.assign({ pid: process.pid }, what)) + '\n');
}

function onTerm() {
  if (mode === 'own') {
    terminating = true;
    say({ event: 'sigterm' });
  } else if (process.listeners('SIGTERM').length === 1) {
    say({ event: 'cleanup' });
    process.removeListener('SIGTERM', onTerm);
    process.kill(process.pid, 'SIGTERM');
  } else {
    say({ event: 'not alone' });
  }
}

if (mode === 'reraise') {
  process.on('SIGTERM', onTerm);
} else if (mode !== 'own') {
  throw new Error('mode own or reraise, not ' + mode);
}
const server = http.createServer((req, res) => {
  if (req.url === '/exit') {
    res.end('bye\n', () => process.exit(3));
  } else {
    res.end(terminating ? 'terminating\n' : 'serving\n');
  }
});
server.listen(process.env.PORT, () => {
  if (mode === 'own') {
    process.on('SIGTERM', onTerm);
  }
  say({ event: 'listening', address: server.address() });
});
