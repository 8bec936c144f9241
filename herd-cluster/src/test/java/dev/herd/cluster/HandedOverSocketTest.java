package dev.herd.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.herd.balancer.netty.Balancer;

/**
 * A public socket taken over from an earlier daemon ({@code herd update}): a connection made
 * while nobody accepted is answered by the pool that adopts it, and a proxy holds it in the
 * queue until its first instance is admitted instead of answering 503. Real sockets on loopback.
 */
class HandedOverSocketTest {

    private HttpServer backend;

    @AfterEach
    void tearDown() {
        if (backend != null) {
            backend.stop(0);
        }
    }

    @Test
    void aProxyAdoptingASocketAnswersWhatQueuedThereOnlyOnceAnInstanceIsAdmitted() throws Exception {
        int port = freePort();
        ListeningSocket held = ListeningSocket.open("127.0.0.1", port);
        int backendPort = startBackend();
        try (Socket client = new Socket()) {
            // Queued in the kernel: nobody accepts on the socket yet.
            client.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            client.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            BalancerPool pool = BalancerPool.adopt(spec(port), new TreeMap<>(Map.of(0, held.fd())));
            try {
                pool.add(1, backendPort);
                client.setSoTimeout(300);
                assertThatThrownBy(() -> client.getInputStream().read())
                        .as("no answer, not even a 503, before an instance is admitted")
                        .isInstanceOf(SocketTimeoutException.class);

                pool.admit(1);

                client.setSoTimeout(5000);
                assertThat(head(client.getInputStream())).startsWith("HTTP/1.1 200");
                assertThat(pool.address().getPort()).isEqualTo(port);
            } finally {
                pool.close(Duration.ZERO);
            }
        }
    }

    @Test
    void aCopyOfAProxysListenerKeepsTheSocketListeningAfterTheProxyCloses() throws Exception {
        int port = freePort();
        BalancerPool first = BalancerPool.open(spec(port));
        SortedMap<Integer, Integer> copy = first.duplicateListeners();
        assertThat(copy).containsOnlyKeys(0);
        first.close(Duration.ZERO);
        int backendPort = startBackend();
        try (Socket client = new Socket()) {
            client.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            client.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            BalancerPool next = BalancerPool.adopt(spec(port), copy);
            try {
                next.add(1, backendPort);
                next.admit(1);
                client.setSoTimeout(5000);
                assertThat(head(client.getInputStream())).startsWith("HTTP/1.1 200");
            } finally {
                next.close(Duration.ZERO);
            }
        }
    }

    @Test
    void aSocketPoolsCopyOutlivesIt() throws Exception {
        int port = freePort();
        SocketPool pool = SocketPool.open(spec(port).withSharing(PortSharing.SOCKET));
        SortedMap<Integer, Integer> copy = pool.duplicateListeners();
        pool.close(Duration.ZERO);
        try (Socket client = new Socket()) {
            client.connect(new InetSocketAddress("127.0.0.1", port), 2000);
        } finally {
            copy.values().forEach(Descriptors::close);
        }
        assertThatThrownBy(() -> new Socket("127.0.0.1", port).close()).as("refused once the last copy closes")
                .isInstanceOf(java.net.ConnectException.class);
    }

    @Test
    void socketsNoAppTookAreClosed() throws Exception {
        int port = freePort();
        ListeningSocket held = ListeningSocket.open("127.0.0.1", port);
        InheritedListeners inherited = new InheritedListeners();
        inherited.add(List.of(new InheritedListeners.Listener("gone", "127.0.0.1", port, 0, held.fd())));
        assertThat(inherited.take("127.0.0.1", port + 1)).isEmpty();

        inherited.closeRest();

        assertThatThrownBy(() -> new Socket("127.0.0.1", port).close()).isInstanceOf(java.net.ConnectException.class);
        assertThat(inherited.take("127.0.0.1", port)).isEmpty();
    }

    @Test
    void onlyAnEpollBalancerTakesOverASocket() {
        assertThat(Balancer.canListenOn(Balancer.Mode.HTTP)).isEqualTo(io.netty.channel.epoll.Epoll.isAvailable());
        // tcp mode runs on NIO, which cannot wrap a descriptor.
        assertThat(Balancer.canListenOn(Balancer.Mode.TCP)).isFalse();
    }

    private int startBackend() throws IOException {
        backend = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        backend.createContext("/", x -> {
            byte[] body = "hello\n".getBytes(StandardCharsets.US_ASCII);
            x.sendResponseHeaders(200, body.length);
            x.getResponseBody().write(body);
            x.close();
        });
        backend.start();
        return backend.getAddress().getPort();
    }

    private static String head(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            sb.append((char) b);
        }
        return sb.toString();
    }

    private static ClusterSpec spec(int port) {
        return new ClusterSpec("127.0.0.1", port, BalancerSettings.DEFAULT, ClusterSpec.DEFAULT_LISTEN_TIMEOUT,
                ClusterSpec.DEFAULT_DRAIN_TIMEOUT, 1);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
