package dev.herd.balancer.netty;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A tiny blocking HTTP/1.1 server for black-box tests: answers with its id, records the exact
 * bytes it received, and misbehaves on request.
 */
final class HttpFixtureBackend implements AutoCloseable {

    /** How it answers each request. */
    enum Behaviour {
        /** {@code 200} with its id as the body, keep-alive. */
        NORMAL,
        /** As NORMAL, then closes the connection without saying so. */
        CLOSE_AFTER_RESPONSE,
        /** Reads the request, then resets the connection. */
        RESET_AFTER_REQUEST,
        /** Reads the request and never answers. */
        SILENT,
        /** As NORMAL for a connection's first request, then as SILENT. */
        SILENT_AFTER_FIRST,
        /** Announces a long body, sends part of it and closes. */
        DIE_MID_RESPONSE,
        /** 20 MB body. */
        BIG,
        /** {@code 101} to an Upgrade request, then echoes bytes; NORMAL otherwise. */
        UPGRADE,
        /** Sends the bytes its script gives for the request head; closes after when told to. */
        SCRIPTED
    }

    /** A scripted answer: the raw bytes to send, and whether to close the connection after them. */
    record Reply(String bytes, boolean close) {
    }

    static final int BIG_SIZE = 20 * 1024 * 1024;

    final String id;
    private final Behaviour behaviour;
    private final Function<String, Reply> script;
    private final ServerSocket server;
    private final ByteArrayOutputStream received = new ByteArrayOutputStream();
    private final AtomicInteger connections = new AtomicInteger();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    HttpFixtureBackend(String id, Behaviour behaviour) throws IOException {
        this(id, behaviour, null);
    }

    /** A SCRIPTED backend: {@code script} maps each request head to the reply. */
    HttpFixtureBackend(String id, Function<String, Reply> script) throws IOException {
        this(id, Behaviour.SCRIPTED, script);
    }

    private HttpFixtureBackend(String id, Behaviour behaviour, Function<String, Reply> script) throws IOException {
        this.id = id;
        this.behaviour = behaviour;
        this.script = script;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::acceptLoop, "fixture-" + id);
        t.setDaemon(true);
        t.start();
    }

    InetSocketAddress address() {
        return new InetSocketAddress("127.0.0.1", server.getLocalPort());
    }

    /** Everything received so far, all connections concatenated. */
    String received() {
        synchronized (received) {
            return received.toString(StandardCharsets.ISO_8859_1);
        }
    }

    int connections() {
        return connections.get();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                connections.incrementAndGet();
                sockets.add(s);
                Thread t = new Thread(() -> serve(s), "fixture-" + id + "-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            boolean first = true;
            while (true) {
                String head = readHead(in);
                if (head == null) {
                    return;
                }
                readBody(in, head);
                String lower = head.toLowerCase();
                Behaviour now = behaviour == Behaviour.SILENT_AFTER_FIRST
                        ? (first ? Behaviour.NORMAL : Behaviour.SILENT) : behaviour;
                first = false;
                switch (now) {
                    case NORMAL -> respond(out, id);
                    case CLOSE_AFTER_RESPONSE -> {
                        respond(out, id);
                        return;
                    }
                    case RESET_AFTER_REQUEST -> {
                        s.setSoLinger(true, 0);
                        return;
                    }
                    case SILENT -> {
                        while (in.read() >= 0) {
                            record(new byte[0], 0);
                        }
                        return;
                    }
                    case DIE_MID_RESPONSE -> {
                        out.write(("HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n" + "x".repeat(1000))
                                .getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                        return;
                    }
                    case BIG -> {
                        out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + BIG_SIZE + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                        byte[] block = new byte[64 * 1024];
                        for (int i = 0; i < block.length; i++) {
                            block[i] = (byte) ('a' + i % 26);
                        }
                        for (int sent = 0; sent < BIG_SIZE; sent += block.length) {
                            out.write(block);
                        }
                        out.flush();
                    }
                    case UPGRADE -> {
                        if (lower.contains("\r\nupgrade: ")) {
                            out.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n"
                                    .getBytes(StandardCharsets.US_ASCII));
                            out.flush();
                            byte[] buf = new byte[1024];
                            int n;
                            while ((n = in.read(buf)) > 0) {
                                record(buf, n);
                                out.write(buf, 0, n);
                                out.flush();
                            }
                            return;
                        }
                        respond(out, id);
                    }
                    case SCRIPTED -> {
                        Reply reply = script.apply(head);
                        out.write(reply.bytes().getBytes(StandardCharsets.ISO_8859_1));
                        out.flush();
                        if (reply.close()) {
                            return;
                        }
                    }
                }
            }
        } catch (IOException e) {
            // The connection ended: what it received is recorded.
        }
    }

    private static void respond(OutputStream out, String body) throws IOException {
        out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    private String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            head.write(b);
            record(new byte[] {(byte) b}, 1);
            byte[] h = head.toByteArray();
            int n = h.length;
            if (n >= 4 && h[n - 4] == '\r' && h[n - 3] == '\n' && h[n - 2] == '\r' && h[n - 1] == '\n') {
                return head.toString(StandardCharsets.ISO_8859_1);
            }
        }
        return null;
    }

    private void readBody(InputStream in, String head) throws IOException {
        String lower = head.toLowerCase();
        if (lower.contains("\r\ntransfer-encoding: chunked\r\n")) {
            while (true) {
                String line = readLine(in);
                int size = Integer.parseInt(line.split(";")[0].strip(), 16);
                if (size == 0) {
                    while (!readLine(in).isEmpty()) {
                        // trailers
                    }
                    return;
                }
                readExactly(in, size + 2);
            }
        }
        int at = lower.indexOf("\r\ncontent-length: ");
        if (at >= 0) {
            int end = lower.indexOf("\r\n", at + 2);
            readExactly(in, Integer.parseInt(lower.substring(at + 18, end).strip()));
        }
    }

    private String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0) {
            record(new byte[] {(byte) b}, 1);
            if (b == '\n') {
                return sb.toString().strip();
            }
            sb.append((char) b);
        }
        throw new IOException("eof");
    }

    private void readExactly(InputStream in, int n) throws IOException {
        byte[] buf = in.readNBytes(n);
        record(buf, buf.length);
        if (buf.length < n) {
            throw new IOException("eof");
        }
    }

    private void record(byte[] b, int n) {
        synchronized (received) {
            received.write(b, 0, n);
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : sockets) {
            s.close();
        }
    }
}
