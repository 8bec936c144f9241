package dev.herd.daemon;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.FileDescriptorCast;

import dev.herd.cluster.Descriptors;
import dev.herd.cluster.InheritedListeners.Listener;

/**
 * How {@code herd update} carries the cluster apps' public listening sockets from the old daemon
 * to the new one, as HAProxy's {@code -x} does: the descriptors travel as {@code SCM_RIGHTS} over
 * a Unix socket, so each socket goes on listening, and queueing connections, while no daemon
 * accepts. The two daemons never run at once (they share a lock), so the {@code update} client
 * holds them in between ({@link Relay}): the old daemon connects to it and sends, the new one
 * connects to it and receives.
 *
 * <p>One message each way: a line of JSON naming each socket ({@link Frame}) with the descriptors
 * attached in the same order. The control socket uses the JDK's Unix channels, which cannot pass
 * descriptors; junixsocket is loaded on this path only.
 */
public final class SocketHandoff {

    /** The names of the sockets; the descriptors travel beside them, in this order. */
    record Frame(List<Entry> listeners) {
    }

    /**
     * @param app   the app whose public port it is
     * @param index the instance index it is for (a socket per instance), else 0
     */
    record Entry(String app, String host, int port, int index) {
    }

    private static final int MAX_FRAME = 64 * 1024;
    /** Room for the descriptors of many apps in one message. */
    private static final int ANCILLARY_BUFFER = 64 * 1024;

    private SocketHandoff() {
    }

    /** The old daemon's side: sends these sockets to the relay at {@code socket}. */
    static void send(Path socket, List<Listener> listeners) throws IOException {
        try (AFUNIXSocket s = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(socket.toFile()))) {
            write(s, listeners);
        }
    }

    /**
     * The new daemon's side: takes the sockets the relay at {@code socket} holds; each descriptor
     * is this process's own, to close.
     */
    static List<Listener> receive(Path socket, Duration timeout) throws IOException {
        try (AFUNIXSocket s = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(socket.toFile()))) {
            s.setSoTimeout((int) timeout.toMillis());
            return read(s);
        }
    }

    private static void write(AFUNIXSocket s, List<Listener> listeners) throws IOException {
        FileDescriptor[] fds = new FileDescriptor[listeners.size()];
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; i < fds.length; i++) {
            Listener l = listeners.get(i);
            fds[i] = FileDescriptorCast.unsafeUsing(l.fd()).getFileDescriptor();
            entries.add(new Entry(l.app(), l.host(), l.port(), l.index()));
        }
        byte[] line = (Protocol.json().writeValueAsString(new Frame(entries)) + "\n").getBytes(StandardCharsets.UTF_8);
        // Attached to the next write: the kernel copies them into the peer's table as it receives it.
        s.setOutboundFileDescriptors(fds);
        s.getOutputStream().write(line);
        s.getOutputStream().flush();
    }

    private static List<Listener> read(AFUNIXSocket s) throws IOException {
        s.setAncillaryReceiveBufferSize(ANCILLARY_BUFFER);
        InputStream in = s.getInputStream();
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        List<Integer> fds = new ArrayList<>();
        try {
            int b;
            while ((b = in.read()) != '\n') {
                // The descriptors come with the message's first bytes; take them at once, since
                // junixsocket closes what it received when its socket closes.
                collect(s, fds);
                if (b < 0) {
                    throw new EOFException("the socket handoff ended before its message did");
                }
                if (line.size() >= MAX_FRAME) {
                    throw new IOException("the socket handoff's message is longer than " + MAX_FRAME + " bytes");
                }
                line.write(b);
            }
            collect(s, fds);
            Frame frame = Protocol.json().readValue(line.toByteArray(), Frame.class);
            if (frame.listeners() == null || frame.listeners().size() != fds.size()) {
                throw new IOException("the socket handoff names " + (frame.listeners() == null ? 0 : frame.listeners().size())
                        + " socket(s) but carries " + fds.size());
            }
            List<Listener> listeners = new ArrayList<>();
            for (int i = 0; i < fds.size(); i++) {
                Entry e = frame.listeners().get(i);
                listeners.add(new Listener(e.app(), e.host(), e.port(), e.index(), fds.get(i)));
            }
            return listeners;
        } catch (IOException | RuntimeException e) {
            fds.forEach(Descriptors::close);
            throw e;
        }
    }

    private static void collect(AFUNIXSocket s, List<Integer> into) throws IOException {
        FileDescriptor[] received = s.getReceivedFileDescriptors();
        if (received != null) {
            for (FileDescriptor fd : received) {
                into.add(Descriptors.duplicate(FileDescriptorCast.using(fd).as(Integer.class)));
            }
        }
    }

    /**
     * The {@code update} client's side: a socket in {@code HERD_HOME} the old daemon sends its
     * sockets to and the new daemon takes them from; what it holds in between keeps listening.
     */
    public static final class Relay implements Closeable {

        private final Path path;
        private final AFUNIXServerSocket server;
        private final CompletableFuture<List<Listener>> fromOld = new CompletableFuture<>();
        private List<Listener> held = List.of();

        private Relay(Path path, AFUNIXServerSocket server) {
            this.path = path;
            this.server = server;
        }

        /** Listens at {@code path} and takes the old daemon's message in the background. */
        public static Relay open(Path path) throws IOException {
            Files.deleteIfExists(path);
            AFUNIXServerSocket server = AFUNIXServerSocket.newInstance();
            server.bind(AFUNIXSocketAddress.of(path.toFile()));
            Relay relay = new Relay(path, server);
            Thread t = new Thread(() -> {
                try (AFUNIXSocket s = server.accept()) {
                    s.setSoTimeout(30_000);
                    relay.fromOld.complete(read(s));
                } catch (IOException | RuntimeException e) {
                    relay.fromOld.completeExceptionally(e);
                }
            }, "herd-handoff-relay");
            t.setDaemon(true);
            t.start();
            return relay;
        }

        /** Where the daemons connect to it. */
        public Path path() {
            return path;
        }

        /**
         * The sockets the old daemon sent, waiting at most {@code wait} once it is gone: none when
         * it did not send (a daemon of an earlier version, or one with no cluster app open).
         */
        public List<Listener> takeFromOld(Duration wait) throws IOException {
            try {
                held = fromOld.get(wait.toMillis(), TimeUnit.MILLISECONDS);
                return held;
            } catch (TimeoutException e) {
                return List.of();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return List.of();
            } catch (ExecutionException e) {
                throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
            }
        }

        /** Sends what it holds to the next daemon that connects, in the background. */
        public void giveToNew() {
            Thread t = new Thread(() -> {
                try (AFUNIXSocket s = server.accept()) {
                    write(s, held);
                } catch (SocketTimeoutException e) {
                    // Nobody came: close() releases the sockets.
                } catch (IOException e) {
                    // The new daemon says so in its own answer; close() releases the sockets.
                }
            }, "herd-handoff-relay");
            t.setDaemon(true);
            t.start();
        }

        /** Closes its copies of the sockets and removes its path. */
        @Override
        public void close() throws IOException {
            held.forEach(l -> Descriptors.close(l.fd()));
            held = List.of();
            server.close();
            Files.deleteIfExists(path);
        }
    }
}
