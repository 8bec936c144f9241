// herd's socket mode for Node.js apps that were never written for it. herd binds an app's public
// port once and hands the same listening socket to every instance as fd 3, as systemd's socket
// activation does (LISTEN_FDS=1, LISTEN_PID, LISTEN_FDNAMES), plus HERD_LISTEN_FD=3 and
// HERD_LISTEN_PORT, the port the app is expected to ask for. The kernel spreads the connections
// over the instances and no byte passes through herd. An app that calls listen(PORT) knows nothing
// of fd 3, so herd loads this file into every Node.js process of the instance through NODE_OPTIONS
// (a script run by npm, a shell wrapper or a shebang gets it too), and it turns that listen into
// listen({fd: 3}), as a Node cluster worker's listen is turned into a handle from its primary.
//
// Without HERD_LISTEN_FD it does nothing at all. Otherwise it replaces net.Server.prototype.listen
// (http, https, tls and express servers all listen through it). A listen takes the socket when it
// is a TCP listen by port, in any form Node accepts — (port[, host][, backlog][, cb]) or
// (options[, cb]), the port a number or a numeric string — on HERD_LISTEN_PORT, or, with
// HERD_LISTEN_ANY=1, on any port but 0 (apps that hard-code their port or read it from a variable
// of their own). Pipes, paths, handles, fds and port 0 are never taken. The host the app names is
// ignored: herd chose the address when it bound the port. The callback and 'listening' work as
// Node's, and server.address() tells the truth: the socket's real address and port, which may not
// be the port the app asked for. The app's backlog goes with it, as Node listens on the fd again
// (with 511 when the app names none), which sets the queue length of the shared socket.
//
// One server in the process tree takes the socket: the first. Then the variables go from
// process.env (and this file from NODE_OPTIONS), so the processes it starts never take it too; the
// listens that come after go through unchanged. LISTEN_PID is not checked, unlike sd_listen_fds:
// under npm or a shell wrapper the server's pid is not the one herd started, and the removal of the
// variables is what keeps a second process from taking the socket. A process that did not inherit
// the socket (a grandchild started with stdio of its own) may have nothing at fd 3, a file, one of
// Node's own descriptors, or a pipe, which Node would close on a failed listen: so the shim first
// checks fd 3 with fstat and /proc's socket tables, and leaves alone anything that is not a socket
// or that /proc shows as a Unix socket or a TCP one that is not listening (a socket /proc does not
// show, as with no /proc or another network namespace, is tried). When fd 3 is not usable, or the
// listen on it fails, the app's listen runs as it was written and one line on stderr, starting
// with [herd], says why.
//
// Shared listens (HERD_LISTEN_SHARE=1: a Node app PM2 would run in cluster mode, with no port herd
// knows, or any port other than HERD_LISTEN_PORT in socket mode). herd then starts the instance with
// Node's own IPC channel (NODE_CHANNEL_FD), as PM2's fork does, and the shim asks herd for the
// socket of each TCP port the app listens on, as a Node cluster worker asks its primary: it sends
// {cmd: 'NODE_HERD_LISTEN', seq, port, host} and herd, which binds each port once for all the
// app's instances, answers with the socket in Node's own handle message (Node acknowledges it and
// hands it over as a TCP handle, whose descriptor the server listens on), or with the errno and the reason (a port held by another
// program: who holds it). The listen is then asynchronous, as a cluster worker's is: 'listening'
// (and the callback) come once herd has answered; a refusal is the server's 'error', with the code
// Node would give (EADDRINUSE...). Only the first Node process gets the channel (Node takes
// NODE_CHANNEL_FD from the environment), so only it asks; a listen asked while the channel is gone
// (the daemon went away) runs as written. Every such listen asks, not only the first: an app may
// listen on several ports. The process is kept alive while an answer is due, and only then.
//
// A cluster worker (an app that uses Node's cluster module itself under herd) is left alone, but
// for the removal of the variables: its fd 3 is its IPC channel to its primary, and its listen goes
// to the primary, whose own listen (the round-robin handle's) is the one the shim turns into fd 3.
// The primary then accepts on the shared socket and hands connections to its workers, as without
// herd. (A primary with cluster.SCHED_NONE binds the port itself, bypassing listen, and gets
// EADDRINUSE.) Worker threads are left alone too: they share the process's fd 3, and one server
// closing it would close it under another.
//
// Graceful drain. Once a server has the socket, the shim listens for SIGTERM and SIGINT, but only
// while the app has no listener of its own for that signal: when the app adds one, the shim's goes
// (so the app decides, and a library that re-raises a signal when it is the only listener, as
// signal-exit does, still sees itself alone); when the app removes its last, the shim's comes back.
// On the signal the shim closes the server, which stops accepting (it closes this process's copy
// of the socket; the socket stays open in herd and in the other instances, so nothing in the
// accept queue is lost), and exits with code 0 once every connection has ended. For an HTTP/1
// server (http or https, Node 18.2 and later) it also ends the keep-alive connections: those idle
// between two requests are kept for a second in which their client's next request is answered with
// Connection: close, then closed (closeIdleConnections); a response still to be written
// carries Connection: close (so its client sends no further request on it), and a connection
// whose response head went out before the signal is closed as idle when that response is done; a
// request that arrives during the drain is answered with Connection: close. An app that closes the
// server itself (its own SIGTERM handler's server.close()) ends its keep-alive connections the same
// way: the shim wraps that server's close(). A connection accepted
// but silent so far is not idle to Node (it waits for its first request's head): its request is
// surely on its way and would be lost on a fresh connection, which no client retries, so it is
// answered with Connection: close, or closed if still silent a second into the drain. Other
// servers (raw TCP, HTTP/2) only stop accepting: their protocols are the app's. A second signal
// during the drain, or a signal when the server no longer listens on its own (a cluster primary
// hands its handle to the round-robin, an app may close it), ends the process at once with the
// signal's default action, as without the shim.
//
// The keep-alive race: a client may send its next request on an idle connection at the moment the
// server closes it, and then gets an end of stream or a reset with no byte of an answer. No server
// can close an idle HTTP/1.1 connection without this window (RFC 9112 section 9.6); RFC 9110
// section 9.2.2 lets clients retry an idempotent request in that case, and they do for a reused
// connection (browsers, curl, the JDK's HttpClient; Node's agent marks it reusedSocket). The shim
// keeps the window to connections that already served a request and then stayed idle for a whole
// second of the drain: a client that keeps sending (a load balancer, a busy API client, wrk) gets
// Connection: close on its next answer and closes the connection itself, so it never races; the
// drain is a second longer.
'use strict';

(function herdListen() {
  const env = process.env;
  if (env.HERD_LISTEN_FD === undefined && env.HERD_LISTEN_SHARE === undefined) {
    return;
  }
  let isMainThread = true;
  try {
    isMainThread = require('worker_threads').isMainThread;
  } catch (e) {
    // No worker_threads: a Node.js without threads runs on its main thread.
  }
  if (!isMainThread) {
    return;
  }

  const VARIABLES = ['LISTEN_FDS', 'LISTEN_PID', 'LISTEN_FDNAMES', 'HERD_LISTEN_FD', 'HERD_LISTEN_PORT', 'HERD_LISTEN_ANY',
    'HERD_LISTEN_SHARE'];
  // A client sends its first request as soon as it has connected; one still silent this long into
  // a drain would only hold it open until herd's kill timeout.
  const FIRST_REQUEST_GRACE_MS = 1000;
  // How long a drain keeps an idle keep-alive connection open for its client's next request (then
  // answered with Connection: close): a busy client sends within it, so it never meets a
  // connection closed under its request; one idle longer is closed.
  const IDLE_GRACE_MS = 1000;
  const TCP_LISTEN = '0A';

  function warn(message) {
    process.stderr.write('[herd] ' + message + '\n');
  }

  // The processes this one starts must never take the socket: it is taken, or not here to take.
  function forget() {
    for (const name of VARIABLES) {
      delete env[name];
    }
    if (typeof env.NODE_OPTIONS === 'string') {
      const own = env.NODE_OPTIONS
        .replace(/(^|\s)(?:--require|-r)(?:\s+|=)(?:"(?:[^"\\]|\\.)*herd-listen\.cjs"|[^\s"]*herd-listen\.cjs)(?=\s|$)/g, '')
        .trim();
      if (own === '') {
        delete env.NODE_OPTIONS;
      } else {
        env.NODE_OPTIONS = own;
      }
    }
  }

  // A port as Node's validatePort takes it (a number, or a string such as "3000"); 0 for anything
  // else, which Node then listens on or rejects itself.
  function portNumber(value) {
    if (typeof value === 'number' || (typeof value === 'string' && value.trim() !== '')) {
      const n = +value;
      if (n === n >>> 0 && n <= 0xffff) {
        return n;
      }
    }
    return 0;
  }

  if (require('cluster').isWorker) {
    forget();
    return;
  }
  // Node took NODE_CHANNEL_FD before this file ran: a channel now is the one herd gave this process.
  const canAsk = env.HERD_LISTEN_SHARE === '1' && typeof process.send === 'function' && process.channel != null;
  if (env.HERD_LISTEN_SHARE === '1' && !canAsk) {
    warn('pid ' + process.pid + ' has no channel to herd (NODE_CHANNEL_FD): its listens are its own, not shared');
  }
  // The processes this one starts have no channel to herd: none of them may ask.
  delete env.HERD_LISTEN_SHARE;
  const text = env.HERD_LISTEN_FD;
  const fd = text === undefined ? -1 : /^\d+$/.test(text) ? Number(text) : -1;
  if (text !== undefined && fd < 0) {
    warn('HERD_LISTEN_FD is "' + text + '", not a descriptor number: the shared socket is not used');
  }
  if (fd < 0) {
    // No socket at fd 3 to keep the variables for: only asks.
    forget();
    if (!canAsk) {
      return;
    }
  }
  const appPort = portNumber(env.HERD_LISTEN_PORT);
  const anyPort = env.HERD_LISTEN_ANY === '1';

  const net = require('net');
  const fs = require('fs');
  const originalListen = net.Server.prototype.listen;
  // Whether fd 3 has been taken (or there is none to take).
  let spent = fd < 0;

  // The port a listen call asks for, read as Node's normalizeArgs and listen read it; 0 when it
  // is not a TCP listen by port (a pipe, a path, a handle, an fd, port 0 or none).
  function requestedPort(args) {
    const first = args[0];
    if (first !== null && typeof first === 'object') {
      if (first._handle || first.handle || (typeof first.fd === 'number' && first.fd >= 0)) {
        return 0;
      }
      return portNumber(first.port);
    }
    return portNumber(first);
  }

  // As Node reads a backlog from the arguments: (port, backlog) or (port, host, backlog).
  function backlogOf(args) {
    const toNumber = (x) => ((x = Number(x)) >= 0 ? x : false);
    return toNumber(args.length > 1 && args[1]) || toNumber(args.length > 2 && args[2]);
  }

  // The fields of the line for this inode in a /proc socket table (one socket a line after a
  // header, the inode at index inodeField), or null when it is not there or cannot be read.
  function socketLine(file, inodeField, inode) {
    let table;
    try {
      table = fs.readFileSync(file, 'latin1');
    } catch (e) {
      return null;
    }
    const lines = table.split('\n');
    for (let i = 1; i < lines.length; i++) {
      const fields = lines[i].trim().split(/\s+/);
      if (fields[inodeField] === inode) {
        return fields;
      }
    }
    return null;
  }

  // What /proc says the socket with this inode is: 'listening' (TCP), 'tcp' (not listening),
  // 'unix', or null when it does not know (no /proc, or a socket of another network namespace).
  function socketKind(inode) {
    for (const file of ['/proc/self/net/tcp', '/proc/self/net/tcp6']) {
      const fields = socketLine(file, 9, inode);
      if (fields !== null) {
        return fields[3] === TCP_LISTEN ? 'listening' : 'tcp';
      }
    }
    return socketLine('/proc/self/net/unix', 6, inode) !== null ? 'unix' : null;
  }

  // Why fd is not the shared socket here, or null when it is.
  function unusable() {
    if (process.channel && process.channel.fd === fd) {
      return 'fd ' + fd + ' is this process\'s IPC channel';
    }
    let stat;
    try {
      stat = fs.fstatSync(fd);
    } catch (e) {
      return 'fd ' + fd + (e.code === 'EBADF' ? ' is not open (EBADF)' : ': ' + e.message);
    }
    if (!stat.isSocket()) {
      // What it is instead (a file, or one of Node's own descriptors when fd 3 was not inherited).
      let what = ' is';
      try {
        what = ' is ' + fs.readlinkSync('/proc/self/fd/' + fd) + ',';
      } catch (e) {
        // No /proc: the code alone says it.
      }
      return 'fd ' + fd + what + ' not a socket (ENOTSOCK)';
    }
    // Node would close a socket that it fails to listen on: one that is surely not herd's is left alone.
    const kind = socketKind(String(stat.ino));
    if (kind === 'unix') {
      return 'fd ' + fd + ' is a Unix socket, not a TCP one';
    }
    if (kind === 'tcp') {
      return 'fd ' + fd + ' is a TCP socket that is not listening';
    }
    return null;
  }

  function take(server, args, port) {
    const itself = '; listening on port ' + port + ' itself';
    const reason = unusable();
    if (reason !== null) {
      warn('pid ' + process.pid + ' does not use the shared socket: ' + reason + itself);
      return originalListen.apply(server, args);
    }
    const last = args[args.length - 1];
    const callback = typeof last === 'function' ? last : null;
    const options = args[0] !== null && typeof args[0] === 'object' ? args[0] : null;
    const backlog = (options !== null && options.backlog) || backlogOf(args);
    const handoff = options !== null && options.signal !== undefined ? { fd: fd, signal: options.signal } : { fd: fd };

    // Node reports a failed listen on an fd with an 'error' event on the next tick: that one is
    // the shim's to handle, before the app's listeners hear of it.
    const ownEmit = Object.prototype.hasOwnProperty.call(server, 'emit');
    const emit = server.emit;
    const restoreEmit = () => {
      if (ownEmit) {
        server.emit = emit;
      } else {
        delete server.emit;
      }
    };
    server.emit = function herdListenEmit(event, ...rest) {
      if (event === 'error') {
        restoreEmit();
        if (callback !== null) {
          server.removeListener('listening', callback);
        }
        warn('pid ' + process.pid + ' does not use the shared socket: listen on fd ' + fd + ' failed: '
          + (rest[0] && rest[0].message) + itself);
        // The attempt already tied the app's abort signal to the server.
        const again = options !== null && options.signal !== undefined
          ? [Object.assign({}, options, { signal: undefined }), ...args.slice(1)] : args;
        originalListen.apply(server, again);
        return true;
      }
      if (event === 'listening') {
        restoreEmit();
        drainOnSignal(server);
      }
      return emit.call(this, event, ...rest);
    };
    if (callback !== null) {
      server.once('listening', callback);
    }
    try {
      if (backlog) {
        originalListen.call(server, handoff, backlog);
      } else {
        originalListen.call(server, handoff);
      }
    } catch (e) {
      restoreEmit();
      if (callback !== null) {
        server.removeListener('listening', callback);
      }
      throw e;
    }
    return server;
  }

  // The listens waiting for herd's answer, by their number.
  const asked = new Map();
  let nextSeq = 1;
  // The handles herd sent, each the owner of the descriptor its server listens on.
  const received = [];

  // Listened for only while an answer is due: Node refs its channel for a 'disconnect' listener,
  // which holds the process up as a pending listen would, and lets it exit once none is due.
  function onDisconnect() {
    for (const [seq, request] of asked) {
      settled(seq);
      itself(request, 'herd\'s channel closed before it answered');
    }
  }

  function settled(seq) {
    asked.delete(seq);
    if (asked.size === 0) {
      process.removeListener('disconnect', onDisconnect);
    }
  }

  function hostOf(args) {
    const first = args[0];
    if (first !== null && typeof first === 'object') {
      return typeof first.host === 'string' ? first.host : null;
    }
    return typeof args[1] === 'string' ? args[1] : null;
  }

  function ask(server, args, port) {
    const last = args[args.length - 1];
    const callback = typeof last === 'function' ? last : null;
    const options = args[0] !== null && typeof args[0] === 'object' ? args[0] : null;
    const request = {
      server: server, args: args, port: port, callback: callback,
      backlog: (options !== null && options.backlog) || backlogOf(args),
    };
    const seq = nextSeq++;
    if (asked.size === 0) {
      process.on('disconnect', onDisconnect);
    }
    asked.set(seq, request);
    if (callback !== null) {
      server.once('listening', callback);
    }
    const host = hostOf(args);
    process.send({ cmd: 'NODE_HERD_LISTEN', seq: seq, port: port, host: host }, (err) => {
      if (err && asked.has(seq)) {
        settled(seq);
        itself(request, 'cannot ask herd for the socket: ' + err.message);
      }
    });
    return server;
  }

  // The app's listen as written, when herd cannot be asked.
  function itself(request, why) {
    warn('pid ' + process.pid + ' does not share port ' + request.port + ' through herd: ' + why
      + '; listening on it itself');
    if (request.callback !== null) {
      request.server.removeListener('listening', request.callback);
    }
    originalListen.apply(request.server, request.args);
  }

  function answered(message, handle) {
    const request = asked.get(message.seq);
    if (request === undefined) {
      if (handle && typeof handle.close === 'function') {
        handle.close();
      }
      return;
    }
    settled(message.seq);
    const server = request.server;
    if (!handle) {
      const e = new Error('listen ' + message.code + ': ' + message.error);
      e.code = message.code;
      e.syscall = 'listen';
      e.port = request.port;
      warn('pid ' + process.pid + ': ' + message.error);
      if (request.callback !== null) {
        server.removeListener('listening', request.callback);
      }
      server.emit('error', e);
      return;
    }
    server.once('listening', () => drainOnSignal(server));
    // Listened on by its descriptor, as the socket at fd 3 is, not as the handle itself: a server
    // listening on the TCP handle Node made of the received descriptor now and then accepted a
    // connection and never read it (1 new connection in a few hundred, right after start, with
    // three instances). The handle is kept, never closed nor collected, since closing it would
    // close the descriptor under the server.
    received.push(handle);
    const target = { fd: handle.fd };
    if (request.backlog) {
      originalListen.call(server, target, request.backlog);
    } else {
      originalListen.call(server, target);
    }
  }

  if (canAsk) {
    process.on('internalMessage', (message, handle) => {
      if (message !== null && typeof message === 'object' && message.cmd === 'NODE_HERD_SOCKET') {
        answered(message, handle);
      }
    });
  }

  function listen(...args) {
    if (!this.listening) {
      const port = requestedPort(args);
      if (!spent && port > 0 && (port === appPort || anyPort)) {
        spent = true;
        if (!canAsk && net.Server.prototype.listen === listen) {
          net.Server.prototype.listen = originalListen;
        }
        forget();
        return take(this, args, port);
      }
      if (canAsk && port > 0 && process.connected) {
        return ask(this, args, port);
      }
    }
    return originalListen.apply(this, args);
  }

  function drainOnSignal(server) {
    // http.Server and https.Server (Node 18.2 and later): the ones whose keep-alive the shim ends.
    const http1 = typeof server.closeIdleConnections === 'function';
    // The open connections, so a drain finds the responses in flight and the silent connections.
    const sockets = new Set();
    let draining = false;

    function untrack() {
      sockets.delete(this);
    }

    function track(socket) {
      sockets.add(socket);
      socket.on('close', untrack);
    }

    function closeAfter(res) {
      if (!res.headersSent) {
        res.setHeader('Connection', 'close');
      } else {
        // Its connection is idle once the response is done: closed then, as the others were.
        res.once('finish', () => setImmediate(() => server.closeIdleConnections()));
      }
    }

    function dropSilent() {
      for (const socket of sockets) {
        if (socket.bytesRead === 0) {
          socket.destroy();
        }
      }
    }

    const handlers = { SIGTERM: () => onSignal('SIGTERM'), SIGINT: () => onSignal('SIGINT') };

    function attachIfAlone(signal) {
      const listeners = process.listeners(signal);
      if (listeners.length === 0) {
        process.on(signal, handlers[signal]);
      } else if (listeners.length > 1 && listeners.includes(handlers[signal])) {
        process.removeListener(signal, handlers[signal]);
      }
    }

    function onNewListener(event, listener) {
      // The app's listener is not in the list yet; no signal is handled before the microtask runs.
      if (handlers[event] !== undefined && listener !== handlers[event]) {
        queueMicrotask(() => attachIfAlone(event));
      }
    }

    function onRemoveListener(event, listener) {
      if (handlers[event] !== undefined && listener !== handlers[event]) {
        attachIfAlone(event);
      }
    }

    function stopWatching() {
      process.removeListener('newListener', onNewListener);
      process.removeListener('removeListener', onRemoveListener);
      for (const signal of Object.keys(handlers)) {
        process.removeListener(signal, handlers[signal]);
      }
    }

    let keepAliveEnding = false;

    // Ends the keep-alive connections without a race: Node 19 and later close the idle ones in
    // close(), held back here for the grace, in which a client that goes on sending gets its
    // answer with Connection: close; then the idle ones left are closed.
    function endKeepAlive() {
      if (keepAliveEnding) {
        return;
      }
      keepAliveEnding = true;
      const closeIdle = server.closeIdleConnections;
      server.closeIdleConnections = () => {};
      setTimeout(() => {
        server.closeIdleConnections = closeIdle;
        server.closeIdleConnections();
      }, IDLE_GRACE_MS).unref();
      server.prependListener('request', (req, res) => closeAfter(res));
      for (const socket of sockets) {
        // The response being written on it, where Node's http server keeps it.
        const res = socket._httpMessage;
        if (res && !res.writableFinished) {
          closeAfter(res);
        }
      }
      setTimeout(dropSilent, FIRST_REQUEST_GRACE_MS).unref();
    }

    function onSignal(signal) {
      if (draining || !server.listening) {
        stopWatching();
        process.kill(process.pid, signal);
        return;
      }
      draining = true;
      server.close(() => process.exit(0));
    }

    if (http1) {
      // The app's own close (its SIGTERM handler's server.close(), say) ends the keep-alive
      // connections the same way as the shim's drain does.
      const close = server.close;
      server.close = function closeAfterKeepAlive(...args) {
        endKeepAlive();
        return close.apply(this, args);
      };
    }

    if (http1) {
      // https's requests come on the TLS socket, not on the TCP one under it.
      server.on(typeof server.setSecureContext === 'function' ? 'secureConnection' : 'connection', track);
    }
    process.on('newListener', onNewListener);
    process.on('removeListener', onRemoveListener);
    for (const signal of Object.keys(handlers)) {
      attachIfAlone(signal);
    }
  }

  net.Server.prototype.listen = listen;
})();
