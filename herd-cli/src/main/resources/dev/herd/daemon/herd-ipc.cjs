// herd's IPC channel for Node.js instances: process.send, process.connected,
// process.disconnect() and process.on('message') as PM2 gives them, over a Unix socket of the
// herd daemon instead of the inherited NODE_CHANNEL_FD that PM2 uses (herd's JDK launcher
// passes no descriptor above 2). herd loads this file into every Node.js process of an instance
// through NODE_OPTIONS; it is written by the daemon, and replaced by each new one.
//
// As Node does with NODE_CHANNEL_FD, the first Node.js process of the instance takes the
// channel and removes it from the environment, so the processes it starts do not get it; a
// process that already has process.send (a child_process.fork child) keeps its own channel.
//
// The wire: one JSON value per line each way; the first line is this process's hello, with the
// token of its run (HERD_IPC_TOKEN), so the daemon knows which instance speaks.
'use strict';

(function herdIpc() {
  let isMainThread = true;
  try {
    isMainThread = require('worker_threads').isMainThread;
  } catch (e) {
    // No worker_threads: a Node.js without threads runs on its main thread.
  }
  if (!isMainThread) {
    return;
  }
  const env = process.env;
  const socketPath = env.HERD_IPC;
  const token = env.HERD_IPC_TOKEN;
  delete env.HERD_IPC;
  delete env.HERD_IPC_TOKEN;
  if (typeof env.NODE_OPTIONS === 'string') {
    // herd appended its --require last: the processes this one starts run without it.
    const own = env.NODE_OPTIONS.replace(/\s*--require (?:"(?:[^"\\]|\\.)*|[^\s"\\]*)herd-ipc\.cjs"?\s*$/, '');
    if (own === '') {
      delete env.NODE_OPTIONS;
    } else {
      env.NODE_OPTIONS = own;
    }
  }
  if (!socketPath || !token || typeof process.send === 'function') {
    return;
  }

  // What the daemon sends is a word; a longer line than this is not from it and is dropped.
  const MAX_LINE = 1024 * 1024;
  let socket = null;
  // As Node's process.connected: true until disconnect(), or until the daemon goes away.
  let connected = true;
  // process.channel.ref() keeps the process alive on the channel, as Node's; by default the
  // channel never does, so the app exits exactly when it would without herd.
  let referenced = false;

  function closedError() {
    const e = new Error('the herd channel is closed');
    e.code = 'ERR_IPC_CHANNEL_CLOSED';
    return e;
  }

  // The daemon went away (a crash; herd update stops the apps first): the app goes on.
  function lost() {
    if (!connected) {
      return;
    }
    connected = false;
    socket = null;
    process.emit('disconnect');
  }

  function deliver(line) {
    let message;
    try {
      message = JSON.parse(line);
    } catch (e) {
      return;
    }
    process.emit('message', message, undefined);
  }

  // Made on first use (a send, or a 'message' or 'disconnect' listener), so a process that never
  // speaks costs the daemon nothing. Writes made before it is up wait in the socket's queue.
  function channel() {
    if (socket !== null || !connected) {
      return socket;
    }
    const net = require('net');
    const s = net.createConnection(socketPath);
    socket = s;
    if (!referenced) {
      s.unref();
    }
    s.setEncoding('utf8');
    // Every failure ends in 'close', where the channel is lost; none may reach the app.
    s.on('error', () => {});
    s.on('close', () => {
      if (socket === s) {
        lost();
      }
    });
    let partial = '';
    s.on('data', (chunk) => {
      partial += chunk;
      let nl;
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        deliver(line);
      }
      if (partial.length > MAX_LINE) {
        partial = '';
      }
    });
    s.write(JSON.stringify({ herd: 1, token: token, pid: process.pid }) + '\n');
    return s;
  }

  function send(message, handle, options, callback) {
    if (typeof handle === 'function') {
      callback = handle;
      handle = undefined;
    } else if (typeof options === 'function') {
      callback = options;
    }
    if (message === undefined) {
      const e = new TypeError('The "message" argument must be specified');
      e.code = 'ERR_MISSING_ARGS';
      throw e;
    }
    // Throws on what JSON cannot hold (a cycle), as Node's channel does.
    const line = JSON.stringify(message) + '\n';
    const done = typeof callback === 'function' ? callback : null;
    if (handle !== undefined && handle !== null) {
      // Sockets and servers cannot travel to herd; PM2's apps never send them to PM2.
      const e = new Error('herd\'s channel carries messages, not handles');
      e.code = 'ERR_INVALID_HANDLE_TYPE';
      if (done) {
        process.nextTick(done, e);
      }
      return false;
    }
    // After the channel is gone Node would emit 'error' (a crash without a listener): a daemon
    // that went away must not end the app, so the message is dropped and only a callback hears.
    const s = connected ? channel() : null;
    if (s === null) {
      if (done) {
        process.nextTick(done, closedError());
      }
      return false;
    }
    s.write(line, done ? (err) => done(err || null) : undefined);
    return true;
  }

  function disconnect() {
    if (!connected) {
      return;
    }
    connected = false;
    if (socket !== null) {
      socket.end();
      socket.unref();
      socket = null;
    }
    process.nextTick(() => process.emit('disconnect'));
  }

  Object.defineProperty(process, 'send', { value: send, writable: true, configurable: true, enumerable: false });
  Object.defineProperty(process, 'disconnect', { value: disconnect, writable: true, configurable: true, enumerable: false });
  Object.defineProperty(process, 'connected', { get: () => connected, configurable: true, enumerable: true });
  Object.defineProperty(process, 'channel', {
    value: {
      ref() {
        referenced = true;
        const s = channel();
        if (s !== null) {
          s.ref();
        }
      },
      unref() {
        referenced = false;
        if (socket !== null) {
          socket.unref();
        }
      },
    },
    writable: true,
    configurable: true,
    enumerable: false,
  });
  // A listener for what herd sends (PM2's 'shutdown') needs the channel up to hear it.
  process.on('newListener', (name) => {
    if (connected && (name === 'message' || name === 'disconnect')) {
      channel();
    }
  });
})();
