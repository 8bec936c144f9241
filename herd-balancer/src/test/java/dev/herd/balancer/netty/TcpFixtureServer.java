package dev.herd.balancer.netty;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;

/**
 * A blocking loopback server for tests, independent of Netty: each accepted connection is handed
 * to a {@link Handler} on its own thread.
 */
final class TcpFixtureServer implements AutoCloseable {

    /** Serves one accepted connection; the socket is closed afterwards. */
    @FunctionalInterface
    interface Handler {
        void handle(Socket socket) throws IOException, InterruptedException;
    }

    private final ServerSocket server;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    /**
     * @param receiveBuffer SO_RCVBUF of accepted sockets in bytes, or 0 for the system's
     */
    TcpFixtureServer(int receiveBuffer, Handler handler) throws IOException {
        server = new ServerSocket();
        if (receiveBuffer > 0) {
            server.setReceiveBufferSize(receiveBuffer);
        }
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        threads.execute(() -> {
            while (!server.isClosed()) {
                Socket s;
                try {
                    s = server.accept();
                } catch (IOException e) {
                    return;
                }
                sockets.add(s);
                threads.execute(() -> {
                    try (s) {
                        handler.handle(s);
                    } catch (IOException | InterruptedException e) {
                        // The test asserts what it expects from the other side.
                    }
                });
            }
        });
    }

    TcpFixtureServer(Handler handler) throws IOException {
        this(0, handler);
    }

    /** Echoes until EOF, then closes. */
    static TcpFixtureServer echo() throws IOException {
        return new TcpFixtureServer(s -> s.getInputStream().transferTo(s.getOutputStream()));
    }

    InetSocketAddress address() {
        return (InetSocketAddress) server.getLocalSocketAddress();
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : sockets) {
            s.close();
        }
        threads.shutdownNow();
    }

    /** A loopback address where nothing listens (the port was just free). */
    static InetSocketAddress deadAddress() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return (InetSocketAddress) s.getLocalSocketAddress();
        }
    }

    /** Writes {@code total} seeded pseudo-random bytes in 64 KiB chunks; returns their CRC-32. */
    static long writeRandom(OutputStream out, long seed, int total, AtomicLong written)
            throws IOException {
        Random random = new Random(seed);
        CRC32 crc = new CRC32();
        byte[] chunk = new byte[64 * 1024];
        for (int left = total; left > 0; ) {
            int n = Math.min(chunk.length, left);
            random.nextBytes(chunk);
            out.write(chunk, 0, n);
            crc.update(chunk, 0, n);
            left -= n;
            written.addAndGet(n);
        }
        out.flush();
        return crc.getValue();
    }

    /** Reads to EOF; returns the CRC-32 and counts the bytes into {@code count}. */
    static long crcToEof(InputStream in, AtomicLong count) throws IOException {
        CRC32 crc = new CRC32();
        byte[] buf = new byte[64 * 1024];
        for (int n; (n = in.read(buf)) >= 0; ) {
            crc.update(buf, 0, n);
            count.addAndGet(n);
        }
        return crc.getValue();
    }
}
