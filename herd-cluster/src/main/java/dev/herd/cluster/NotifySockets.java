package dev.herd.cluster;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.newsclub.net.unix.AFUNIXDatagramSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * systemd's notify protocol for instances that say themselves when they are ready
 * ({@code wait_ready: true}): each gets a datagram socket of its own, named by
 * {@code NOTIFY_SOCKET}, and is ready once a datagram holding the line {@code READY=1} arrives,
 * as for a {@code Type=notify} service ({@code sd_notify(3)}; libraries exist for Java, Node,
 * Python and Go). Other assignments ({@code STATUS=}, {@code WATCHDOG=1}) are read and ignored.
 *
 * <p>A socket belongs to an instance's internal port (unique among live instances) and lives as
 * long as the instance: its readiness is cleared when a run ends, so a restart waits afresh.
 *
 * <p>Thread-safe. One reader thread per open socket.
 */
public final class NotifySockets implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(NotifySockets.class);
    /** sd_notify messages are small; systemd itself reads at most a page or so per datagram. */
    private static final int MAX_DATAGRAM = 4096;

    private final Path dir;
    private final Map<Integer, Entry> open = new ConcurrentHashMap<>();

    private static final class Entry {
        final AFUNIXDatagramSocket socket;
        final Path path;
        volatile boolean ready;

        Entry(AFUNIXDatagramSocket socket, Path path) {
            this.socket = socket;
            this.path = path;
        }
    }

    /** @param dir where the sockets are made (mode 0700 like {@code $HERD_HOME}); created if missing */
    public NotifySockets(Path dir) {
        this.dir = dir;
    }

    /**
     * The socket of the instance on {@code port}, bound and read from now on; made once.
     *
     * @return its path, for the instance's {@code NOTIFY_SOCKET}
     */
    public Path open(int port) throws IOException {
        Entry e = open.get(port);
        if (e != null) {
            return e.path;
        }
        Files.createDirectories(dir);
        Path path = dir.resolve(port + ".sock");
        Files.deleteIfExists(path);
        AFUNIXDatagramSocket socket = AFUNIXDatagramSocket.newInstance();
        socket.bind(AFUNIXSocketAddress.of(path.toFile()));
        Entry entry = new Entry(socket, path);
        open.put(port, entry);
        Thread reader = new Thread(() -> read(entry), "herd-notify-" + port);
        reader.setDaemon(true);
        reader.start();
        return path;
    }

    /** Whether the instance on {@code port} said {@code READY=1} since its run began. */
    public boolean isReady(int port) {
        Entry e = open.get(port);
        return e != null && e.ready;
    }

    /** The instance's run ended: its next run must say it again. */
    public void reset(int port) {
        Entry e = open.get(port);
        if (e != null) {
            e.ready = false;
        }
    }

    /** The instance is gone: closes its socket and removes its file. */
    public void close(int port) {
        Entry e = open.remove(port);
        if (e != null) {
            e.socket.close();
            try {
                Files.deleteIfExists(e.path);
            } catch (IOException ex) {
                log.warn("cannot remove {}: {}", e.path, ex.getMessage());
            }
        }
    }

    @Override
    public void close() {
        open.keySet().forEach(this::close);
    }

    private static void read(Entry e) {
        byte[] buf = new byte[MAX_DATAGRAM];
        while (!e.socket.isClosed()) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                e.socket.receive(p);
            } catch (SocketException closed) {
                return;
            } catch (IOException ex) {
                if (!e.socket.isClosed()) {
                    log.warn("reading {} failed: {}", e.path, ex.getMessage());
                }
                return;
            }
            if (saysReady(new String(p.getData(), p.getOffset(), p.getLength(), StandardCharsets.UTF_8))) {
                e.ready = true;
            }
        }
    }

    /** Whether a notify message holds the assignment {@code READY=1} on a line of its own. */
    static boolean saysReady(String message) {
        for (String line : message.split("\n")) {
            if (line.equals("READY=1")) {
                return true;
            }
        }
        return false;
    }
}
