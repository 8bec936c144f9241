package dev.herd.daemon;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's Unix socket: accepts connections from its owner only (checked by the peer's uid,
 * {@code SO_PEERCRED}, on top of the socket's 0600 mode), reads one {@link Envelope} per connection
 * in {@link Protocol}'s framing, and answers it with one {@link Response} from the {@link Commands},
 * or hands a {@code logs} request to the {@link LogStream} for as long as the client stays.
 *
 * <p>Threading: one thread accepts; each connection has its own thread (a handful of short
 * requests, and the odd long-lived {@code logs} stream). A connection has {@link #REQUEST_DEADLINE}
 * to send its whole request, so one that sends nothing, or a byte now and then, ends there
 * instead of holding its thread for ever; the others are served meanwhile as always.
 */
final class ControlServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ControlServer.class);

    private final Path socket;
    private final ServerSocketChannel server;
    private final String owner;
    private final Commands commands;
    private final LogStream logStream;
    private final Object answerLock = new Object();
    /** How many one-shot answers are being computed or written now; guarded by {@link #answerLock}. */
    private int answering;
    /** How long {@link #close} waits for them. */
    private static final java.time.Duration ANSWER_GRACE = java.time.Duration.ofSeconds(2);
    private final ObjectMapper json = Protocol.json();
    /** How long a client has, from its connection, to send its request. */
    static final java.time.Duration REQUEST_DEADLINE = java.time.Duration.ofSeconds(10);
    /** Ends connections whose request is late; one thread for all of them. */
    private static final java.util.concurrent.ScheduledThreadPoolExecutor DEADLINES = deadlines();

    private static java.util.concurrent.ScheduledThreadPoolExecutor deadlines() {
        java.util.concurrent.ScheduledThreadPoolExecutor e = new java.util.concurrent.ScheduledThreadPoolExecutor(1,
                r -> daemonThread(r, "herd-request-deadline"));
        e.setRemoveOnCancelPolicy(true);
        // No thread while no connection waits for its request.
        e.setKeepAliveTime(10, java.util.concurrent.TimeUnit.SECONDS);
        e.allowCoreThreadTimeOut(true);
        return e;
    }

    private ControlServer(Path socket, ServerSocketChannel server, String owner, Commands commands, LogStream logStream) {
        this.socket = socket;
        this.server = server;
        this.owner = owner;
        this.commands = commands;
        this.logStream = logStream;
    }

    /**
     * Binds the socket, replacing a file left there: the caller holds the daemon's lock, so such a
     * file belongs to a daemon that died. Accepts nothing until {@link #start()}.
     *
     * @param owner the only user name served
     */
    static ControlServer bind(Path socket, String owner, Commands commands, LogStream logStream) throws IOException {
        Files.deleteIfExists(socket);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
        return new ControlServer(socket, server, owner, commands, logStream);
    }

    /** Starts accepting, on a thread of its own. */
    void start() {
        daemonThread(this::accept, "herd-accept").start();
    }

    /**
     * Stops accepting and removes the socket file, then waits (a little) for the answers being
     * written: the answer to {@code kill} itself must reach its client before the daemon exits.
     * Log streams and reloads still running are cut off.
     */
    @Override
    public void close() throws IOException {
        server.close();
        Files.deleteIfExists(socket);
        synchronized (answerLock) {
            long deadline = System.nanoTime() + ANSWER_GRACE.toNanos();
            while (answering > 0 && System.nanoTime() - deadline < 0) {
                try {
                    answerLock.wait(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private static void closeQuietly(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            log.debug("closing a connection: {}", e.getMessage());
        }
    }

    private void accept() {
        while (server.isOpen()) {
            try {
                SocketChannel ch = server.accept();
                daemonThread(() -> serve(ch), "herd-conn").start();
            } catch (IOException e) {
                if (server.isOpen()) {
                    log.error("accept failed", e);
                }
            }
        }
    }

    private void serve(SocketChannel ch) {
        try (ch) {
            InputStream in = Channels.newInputStream(ch);
            OutputStream out = Channels.newOutputStream(ch);
            UnixDomainPrincipal peer = ch.getOption(ExtendedSocketOptions.SO_PEERCRED);
            if (!peer.user().getName().equals(owner)) {
                log.warn("refused a connection from user {}: this daemon serves {} only", peer.user().getName(), owner);
                Protocol.write(out, error("refused: this herd daemon belongs to " + owner + ", and you are " + peer.user().getName()));
                return;
            }
            byte[] frame;
            java.util.concurrent.ScheduledFuture<?> late = DEADLINES.schedule(() -> {
                log.info("a client sent no whole request within {} s: its connection is closed",
                        REQUEST_DEADLINE.toSeconds());
                closeQuietly(ch);
            }, REQUEST_DEADLINE.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            try {
                frame = Protocol.read(in);
            } catch (IOException e) {
                if (ch.isOpen()) {
                    Protocol.write(out, error("bad request: " + e.getMessage()));
                }
                return;
            } finally {
                late.cancel(false);
            }
            if (frame == null) {
                return;
            }
            Envelope envelope;
            try {
                envelope = Protocol.request(frame);
            } catch (IOException e) {
                Protocol.write(out, error("bad request: " + e.getMessage()));
                return;
            }
            if (envelope.v() != Protocol.VERSION || envelope.request() == null) {
                Protocol.write(out, error("this daemon speaks protocol " + Protocol.VERSION + " (herd " + Protocol.herdVersion()
                        + "), the client " + envelope.v() + " (herd " + envelope.client() + "): run 'herd update'"));
                return;
            }
            if (envelope.request() instanceof Request.Logs logs) {
                logStream.serve(logs, ch, out);
                return;
            }
            if (envelope.request() instanceof Request.Reload || envelope.request() instanceof Request.Scale) {
                stream(envelope.request(), out);
                return;
            }
            synchronized (answerLock) {
                answering++;
            }
            try {
                Protocol.write(out, answer(envelope.request()));
            } finally {
                synchronized (answerLock) {
                    answering--;
                    answerLock.notifyAll();
                }
            }
        } catch (IOException e) {
            log.debug("connection ended: {}", e.getMessage());
        } catch (RuntimeException e) {
            log.error("connection failed", e);
        }
    }

    /**
     * A reload or scale: its first answer, then each step as it happens. Writes to a client that
     * went away fail and are dropped: the command itself goes on to its end.
     */
    private void stream(Request request, OutputStream out) throws IOException {
        boolean[] gone = {false};
        Commands.Stream sink = new Commands.Stream() {
            @Override
            public void begin(Object body) {
                send(ok(json.valueToTree(body)));
            }

            @Override
            public void item(StreamItem item) {
                send(item);
            }

            private void send(Object message) {
                if (gone[0]) {
                    return;
                }
                try {
                    Protocol.write(out, message);
                } catch (IOException e) {
                    gone[0] = true;
                    log.info("the client of {} went away; it goes on: {}", request, e.getMessage());
                }
            }
        };
        try {
            commands.stream(request, sink);
        } catch (HerdException e) {
            Protocol.write(out, error(e.getMessage()));
        }
    }

    private Response answer(Request request) {
        try {
            return ok(json.valueToTree(commands.handle(request)));
        } catch (HerdException e) {
            return error(e.getMessage());
        }
    }

    /** A successful answer with {@code body}. */
    static Response ok(JsonNode body) {
        return new Response(Protocol.VERSION, Protocol.herdVersion(), true, null, body);
    }

    /** A failed answer with a one-line message. */
    static Response error(String message) {
        return new Response(Protocol.VERSION, Protocol.herdVersion(), false, message, null);
    }

    static Thread daemonThread(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
