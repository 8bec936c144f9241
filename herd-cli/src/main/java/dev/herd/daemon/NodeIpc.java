package dev.herd.daemon;

import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import jdk.net.ExtendedSocketOptions;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.herd.cluster.ClusterApp;
import dev.herd.cluster.SharedPorts;
import dev.herd.supervisor.InstanceChannels;
import dev.herd.supervisor.Supervisor;

/**
 * The daemon's end of the channels that give Node.js instances {@code process.send},
 * {@code process.connected}, {@code process.disconnect()} and {@code process.on('message')} as
 * PM2's IPC channel does. PM2 hands each child an inherited socket ({@code NODE_CHANNEL_FD});
 * the JDK closes every descriptor above 2 in a child it starts, so herd instead preloads a small
 * module into every Node.js process of an instance ({@code NODE_OPTIONS=--require
 * herd-ipc.cjs}, so a script run through its shebang or a shell wrapper gets it too) that, when
 * {@code process.send} is missing, provides it over this Unix socket. Each run gets a token of its
 * own in {@code HERD_IPC_TOKEN}, which its process sends first ({@link IpcWire}), so the daemon
 * knows who speaks. As with {@code NODE_CHANNEL_FD}, the first Node.js process of the instance
 * takes the channel and removes it from the environment, so the Node.js processes it starts in
 * turn (a {@code child_process.fork} child has its own real channel) do not see it.
 *
 * <p>An instance of an app that shares its listens ({@link Supervisor#SHARE_LISTENS_VARIABLE}),
 * when the launcher can hand it a descriptor, gets Node's own channel instead
 * ({@link NodeChannels}): {@code NODE_CHANNEL_FD}, on which herd's listen preload asks for the
 * socket of each port the app listens on and herd sends it ({@link SharedPorts}), and which also
 * carries {@code process.send} both ways, so the preload's channel is not added.
 *
 * <p>The socket is {@code <dir>/<daemon pid>.sock}, so that a daemon and a {@code herd run} on
 * the same {@code HERD_HOME} do not meet; only its owner may connect (checked by the peer's uid,
 * as for the control socket).
 *
 * <p>Thread-safe. One selector thread reads every connection; {@link Run#send} writes from the
 * caller's thread, without blocking.
 */
final class NodeIpc implements InstanceChannels, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(NodeIpc.class);
    /** Where the preload finds the socket. */
    static final String SOCKET_VARIABLE = "HERD_IPC";
    /** Which run a process belongs to. */
    static final String TOKEN_VARIABLE = "HERD_IPC_TOKEN";
    /** The preload's name, as a resource next to this class and as a file in the channel folder. */
    static final String PRELOAD = "herd-ipc.cjs";
    /**
     * The preload that turns an app's listen on its port into a listen on the socket herd hands it
     * (a cluster app in socket mode: {@code HERD_LISTEN_FD} set), as a resource and as a file.
     */
    static final String LISTEN_PRELOAD = "herd-listen.cjs";
    /** How long {@link #close} waits for the selector thread to close the connections. */
    private static final long CLOSE_WAIT_MILLIS = 2000;

    private final Path socket;
    private final Path preload;
    private final String owner;
    private final ServerSocketChannel server;
    private final Selector selector;
    private final Map<String, Run> runs = new ConcurrentHashMap<>();
    private final SharedPorts shared;
    /** Node's own channels, started with the first instance that needs one; guarded by this. */
    private NodeChannels natives;
    private final SecureRandom random = new SecureRandom();
    private final ByteBuffer readBuffer = ByteBuffer.allocate(16 * 1024);
    private volatile boolean closing;
    private Thread thread;

    private NodeIpc(Path socket, Path preload, String owner, ServerSocketChannel server, Selector selector,
            SharedPorts shared) {
        this.shared = shared;
        this.socket = socket;
        this.preload = preload;
        this.owner = owner;
        this.server = server;
        this.selector = selector;
    }

    /**
     * Writes the preload into {@code dir}, binds this process's socket there and starts reading.
     *
     * @param dir    the channel folder, created owner-only if missing; sockets of processes that
     *               are gone are removed from it
     * @param owner  the only user name served
     * @param shared the sockets of apps that share their listens, bound as their instances ask
     */
    static NodeIpc start(Path dir, String owner, SharedPorts shared) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        removeStaleSockets(dir);
        Path preload = writePreload(dir, PRELOAD);
        try {
            writePreload(dir, LISTEN_PRELOAD);
        } catch (IOException e) {
            log.warn("cannot write {}: Node.js apps in socket mode will listen on ports of their own: {}", LISTEN_PRELOAD,
                    e.getMessage());
        }
        Path socket = dir.resolve(ProcessHandle.current().pid() + ".sock");
        Files.deleteIfExists(socket);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        Selector selector;
        try {
            server.bind(UnixDomainSocketAddress.of(socket));
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
            server.configureBlocking(false);
            selector = Selector.open();
            server.register(selector, SelectionKey.OP_ACCEPT);
        } catch (IOException | RuntimeException e) {
            server.close();
            Files.deleteIfExists(socket);
            throw e;
        }
        NodeIpc ipc = new NodeIpc(socket, preload, owner, server, selector, shared);
        ipc.thread = new Thread(ipc::serve, "herd-node-ipc");
        ipc.thread.setDaemon(true);
        ipc.thread.start();
        return ipc;
    }

    /** The socket's path. */
    Path socket() {
        return socket;
    }

    @Override
    public Run open(String app, int index, Runnable ready) {
        byte[] bytes = new byte[16];
        random.nextBytes(bytes);
        Run run = new Run(HexFormat.of().formatHex(bytes), app, index, ready);
        runs.put(run.token, run);
        return run;
    }

    /** Stops reading, ends every connection and removes the socket. */
    @Override
    public void close() throws IOException {
        closing = true;
        selector.wakeup();
        try {
            thread.join(CLOSE_WAIT_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        runs.values().forEach(Run::close);
        synchronized (this) {
            if (natives != null) {
                natives.close();
            }
        }
        Files.deleteIfExists(socket);
    }

    private synchronized NodeChannels natives() throws IOException {
        if (natives == null) {
            natives = new NodeChannels();
        }
        return natives;
    }

    /** Whether the preload {@code name} is there, written again if someone removed it. */
    private synchronized boolean preloadPresent(String name, String without) {
        Path file = preload.resolveSibling(name);
        if (Files.isRegularFile(file)) {
            return true;
        }
        try {
            writePreload(file.getParent(), name);
            return true;
        } catch (IOException e) {
            log.warn("{} is gone and cannot be written again: instances start without {}: {}", file, without,
                    e.getMessage());
            return false;
        }
    }

    /**
     * The {@code NODE_OPTIONS} that preloads {@code preload} after the app's own options; its path
     * quoted only when it must be, as older Node.js releases split the value on spaces alone.
     */
    static String nodeOptions(String own, Path preload) {
        String path = preload.toString();
        String quoted = path.matches("[^\\s\"\\\\]+") ? path
                : "\"" + path.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
        String require = "--require " + quoted;
        return own == null || own.isBlank() ? require : own + " " + require;
    }

    /** One run of an instance: its token, and its process's connection once it has made one. */
    final class Run implements InstanceChannels.Channel {
        final String token;
        final String app;
        final int index;
        final Runnable ready;
        /** Its process's connection; guarded by this. */
        private Connection connection;
        /** Node's own channel, when the run has one instead (guarded by this). */
        private NodeChannels.Link link;
        private boolean closed;

        Run(String token, String app, int index, Runnable ready) {
            this.token = token;
            this.app = app;
            this.index = index;
            this.ready = ready;
        }

        @Override
        public int inherit(Map<String, String> env, int childFd) {
            if (!"1".equals(env.get(Supervisor.SHARE_LISTENS_VARIABLE))) {
                return -1;
            }
            try {
                NodeChannels.Link l = natives().open(toString(), line -> onNativeLine(this, line));
                synchronized (this) {
                    if (closed) {
                        l.close();
                        return -1;
                    }
                    link = l;
                }
                int fd = l.childFd();
                env.put("NODE_CHANNEL_FD", Integer.toString(childFd));
                env.put("NODE_CHANNEL_SERIALIZATION_MODE", "json");
                return fd;
            } catch (IOException e) {
                log.warn("{}: no Node.js channel for this run, so its listens are its own: {}", this, e.getMessage());
                env.remove(Supervisor.SHARE_LISTENS_VARIABLE);
                return -1;
            }
        }

        @Override
        public void spawned() {
            NodeChannels.Link l;
            synchronized (this) {
                l = link;
            }
            if (l != null) {
                l.handedOver();
            }
        }

        @Override
        public void addTo(Map<String, String> env) {
            // Before the channel's: that one takes itself off the end of NODE_OPTIONS for the
            // processes Node starts, and this one must stay for them until one takes the socket.
            if ((env.containsKey(ClusterApp.LISTEN_FD_VARIABLE) || env.containsKey(Supervisor.SHARE_LISTENS_VARIABLE))
                    && preloadPresent(LISTEN_PRELOAD, "the listen on the socket herd hands them")) {
                env.put("NODE_OPTIONS", nodeOptions(env.get("NODE_OPTIONS"), preload.resolveSibling(LISTEN_PRELOAD)));
            }
            synchronized (this) {
                if (link != null) {
                    // Node's own channel gives process.send: the preload's would find it there and stand aside.
                    return;
                }
            }
            // Node refuses to start when a --require is missing: without the file, no channel.
            if (!preloadPresent(PRELOAD, "process.send")) {
                return;
            }
            env.put(SOCKET_VARIABLE, socket.toString());
            env.put(TOKEN_VARIABLE, token);
            env.put("NODE_OPTIONS", nodeOptions(env.get("NODE_OPTIONS"), preload));
        }

        @Override
        public boolean send(String message) {
            Connection c;
            NodeChannels.Link l;
            synchronized (this) {
                c = connection;
                l = link;
            }
            if (l != null) {
                return l.write(IpcWire.line(message), -1);
            }
            return c != null && c.write(IpcWire.line(message));
        }

        @Override
        public void close() {
            Connection c;
            NodeChannels.Link l;
            synchronized (this) {
                closed = true;
                c = connection;
                connection = null;
                l = link;
                link = null;
            }
            runs.remove(token);
            if (c != null) {
                c.close();
            }
            if (l != null) {
                l.close();
            }
        }

        /** Takes a process's connection; false when the run ended or another process has it. */
        synchronized boolean attach(Connection c) {
            if (closed || connection != null) {
                return false;
            }
            connection = c;
            return true;
        }

        synchronized void detach(Connection c) {
            if (connection == c) {
                connection = null;
            }
        }

        @Override
        public String toString() {
            return app + "[" + index + "]";
        }
    }

    /** One process's connection. Read on the selector thread only; written under its lock. */
    final class Connection {
        final SocketChannel channel;
        final IpcWire.Lines lines = new IpcWire.Lines();
        /** Set by its hello. */
        Run run;
        long pid;
        /** A line that is not JSON is worth a warning once per connection, not once per line. */
        boolean warned;

        Connection(SocketChannel channel) {
            this.channel = channel;
        }

        /**
         * Writes a whole line without blocking: what herd sends is a few bytes, which fit a socket
         * buffer unless the app has left it full, and then it is not listening anyway.
         */
        synchronized boolean write(byte[] line) {
            ByteBuffer b = ByteBuffer.wrap(line);
            try {
                channel.write(b);
            } catch (IOException e) {
                return false;
            }
            if (b.hasRemaining()) {
                // Half a line would garble the next: the channel is no use any more.
                log.warn("{} (pid {}): its channel is full, closing it", run, pid);
                close();
                return false;
            }
            return true;
        }

        void close() {
            try {
                channel.close();
            } catch (IOException e) {
                log.debug("closing a channel: {}", e.getMessage());
            }
        }
    }

    private void serve() {
        try {
            while (!closing) {
                selector.select();
                for (SelectionKey key : selector.selectedKeys()) {
                    if (!key.isValid()) {
                        continue;
                    }
                    if (key.isAcceptable()) {
                        accept();
                    } else if (key.isReadable()) {
                        read(key, (Connection) key.attachment());
                    }
                }
                selector.selectedKeys().clear();
            }
        } catch (IOException | RuntimeException e) {
            log.error("the Node.js channel server failed: instances lose process.send", e);
        } finally {
            // Only this thread touches the keys: it closes every connection, then the server.
            for (SelectionKey key : selector.keys()) {
                try {
                    key.channel().close();
                } catch (IOException e) {
                    log.debug("closing a channel: {}", e.getMessage());
                }
            }
            try {
                selector.close();
            } catch (IOException e) {
                log.debug("closing the selector: {}", e.getMessage());
            }
        }
    }

    private void accept() throws IOException {
        SocketChannel ch;
        while ((ch = server.accept()) != null) {
            String peer = ch.getOption(ExtendedSocketOptions.SO_PEERCRED).user().getName();
            if (!peer.equals(owner)) {
                log.warn("refused a channel connection from user {}: this daemon serves {} only", peer, owner);
                ch.close();
                continue;
            }
            ch.configureBlocking(false);
            ch.register(selector, SelectionKey.OP_READ, new Connection(ch));
        }
    }

    private void read(SelectionKey key, Connection c) {
        int n;
        readBuffer.clear();
        try {
            n = c.channel.read(readBuffer);
        } catch (IOException e) {
            n = -1;
        }
        if (n < 0) {
            ended(key, c);
            return;
        }
        readBuffer.flip();
        for (String line : c.lines.feed(readBuffer)) {
            if (!onLine(c, line)) {
                ended(key, c);
                return;
            }
        }
        if (c.run == null && c.lines.dropped() > 0) {
            log.debug("a channel connection sent a hello longer than {} bytes: closed", IpcWire.MAX_LINE);
            ended(key, c);
        }
    }

    /** @return whether the connection stays */
    private boolean onLine(Connection c, String line) {
        if (c.run == null) {
            IpcWire.Hello hello = IpcWire.hello(line);
            Run run = hello == null ? null : runs.get(hello.token());
            if (run == null) {
                // A run that ended, a process of another daemon, or no hello at all: nobody to hear it.
                log.debug("a channel connection with {}: closed", hello == null ? "no hello" : "an unknown token");
                return false;
            }
            if (!run.attach(c)) {
                log.warn("{}: pid {} asked for its channel, which another process of it has: refused", run, hello.pid());
                return false;
            }
            c.run = run;
            c.pid = hello.pid();
            log.debug("{} (pid {}): channel connected", run, c.pid);
            return true;
        }
        IpcWire.Said said = IpcWire.said(line);
        if (said instanceof IpcWire.Ready) {
            c.run.ready.run();
        } else if (said instanceof IpcWire.Bad bad) {
            if (!c.warned) {
                c.warned = true;
                log.warn("{} (pid {}) sent a line that is not JSON, ignored (and any more): {}", c.run, c.pid, bad.why());
            }
        } else if (said instanceof IpcWire.Other other) {
            log.debug("{} (pid {}) sent {}, which herd does not act on", c.run, c.pid, other.what());
        }
        return true;
    }

    /** A line on a run's own Node.js channel; on the channels' thread. */
    private void onNativeLine(Run run, String line) {
        NodeChannels.Link l;
        synchronized (run) {
            l = run.link;
        }
        if (l == null) {
            return;
        }
        IpcWire.Said said = IpcWire.said(line);
        if (said instanceof IpcWire.Ready) {
            run.ready.run();
        } else if (said instanceof IpcWire.Listen ask) {
            SharedPorts.Grant grant = shared.listen(run.app, ask.host(), ask.port());
            if (grant instanceof SharedPorts.Granted g) {
                log.debug("{}: hands it the socket of {}", run, g.address());
                l.write(IpcWire.socketLine(ask.seq(), g.address().getAddress().getHostAddress(), g.address().getPort()),
                        g.fd());
            } else if (grant instanceof SharedPorts.Refused r) {
                log.warn("{}: a listen on port {} is refused: {}", run, ask.port(), r.reason());
                l.write(IpcWire.refusedLine(ask.seq(), r.code(), r.reason()), -1);
            }
        } else if (said instanceof IpcWire.Other other) {
            log.debug("{} sent {}, which herd does not act on", run, other.what());
        } else if (said instanceof IpcWire.Bad bad) {
            log.debug("{} sent a line that is not JSON: {}", run, bad.why());
        }
    }

    private void ended(SelectionKey key, Connection c) {
        key.cancel();
        c.close();
        if (c.run != null) {
            c.run.detach(c);
            log.debug("{} (pid {}): channel closed", c.run, c.pid);
        }
    }

    /** The preload, written afresh by each daemon (atomically, as running processes may be reading it). */
    private static Path writePreload(Path dir, String name) throws IOException {
        byte[] content;
        try (InputStream in = NodeIpc.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException(name + " is missing from herd's jar");
            }
            content = in.readAllBytes();
        }
        Path target = dir.resolve(name);
        if (Files.exists(target) && Arrays.equals(Files.readAllBytes(target), content)) {
            return target;
        }
        Path tmp = Files.createTempFile(dir, name, ".tmp");
        try {
            Files.write(tmp, content);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return target;
    }

    /** Sockets named for processes that are gone: daemons that died without closing theirs. */
    private static void removeStaleSockets(Path dir) throws IOException {
        try (DirectoryStream<Path> sockets = Files.newDirectoryStream(dir, "*.sock")) {
            for (Path s : sockets) {
                String name = s.getFileName().toString();
                try {
                    long pid = Long.parseLong(name.substring(0, name.length() - ".sock".length()));
                    if (ProcessHandle.of(pid).isEmpty()) {
                        Files.deleteIfExists(s);
                    }
                } catch (NumberFormatException notOurs) {
                    // Not a name this class gives: left alone.
                }
            }
        }
    }
}
