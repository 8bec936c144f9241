// An HTTP server as apps write it, listening in the form its first argument names (see below) on
// the port its second argument gives, or process.env.PORT. It prints one JSON line for its
// 'listening' event and one for the listen callback. GET / answers its pid (also in x-pid),
// /slow answers after 1.5 s, /stream sends its head and half its body at once and the rest 1 s
// later, /child-env answers the environment of a child process.
'use strict';
const http = require('http');
const childProcess = require('child_process');

const form = process.argv[2] || 'port';
const port = process.argv[3] || process.env.PORT;

function say(what) {
  process.stdout.write(JSON.stringify(Object.assign({ pid: process.pid }, what)) + '\n');
}

const server = http.createServer((req, res) => {
  res.setHeader('x-pid', String(process.pid));
  if (req.url === '/slow') {
    say({ event: 'slow' });
    setTimeout(() => res.end('slow done ' + process.pid + '\n'), 1500);
  } else if (req.url === '/stream') {
    say({ event: 'stream' });
    const first = 'first half\n';
    const second = 'second half\n';
    res.writeHead(200, { 'content-length': Buffer.byteLength(first + second) });
    res.write(first);
    setTimeout(() => res.end(second), 1000);
  } else if (req.url === '/child-env') {
    res.end(childProcess.execSync('env', { encoding: 'utf8' }));
  } else {
    res.end('hello from ' + process.pid + '\n');
  }
});
server.on('listening', () => say({ event: 'listening', address: server.address() }));
const callback = () => say({ event: 'callback' });

const forms = {
  'port': () => server.listen(Number(port), callback),
  'port-string': () => server.listen(String(port), callback),
  'port-host': () => { server.listen(Number(port), '127.0.0.1'); server.once('listening', callback); },
  'port-host-backlog-callback': () => server.listen(Number(port), '127.0.0.1', 64, callback),
  'port-backlog-callback': () => server.listen(Number(port), 64, callback),
  'options': () => server.listen({ port: Number(port), host: '127.0.0.1' }, callback),
  'options-string': () => server.listen({ port: String(port) }, callback),
};
if (!forms[form]) {
  throw new Error('no listen form ' + form + '; forms: ' + Object.keys(forms).join(', '));
}
forms[form]();
