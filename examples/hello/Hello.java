import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * The example server: answers every request with "Hello from worker <pid>" on PORT (default 3000).
 * Runs through Java's source launcher, so it needs no build: java Hello.java.
 */
public final class Hello {

    public static void main(String[] args) throws IOException {
        // Without TCP_NODELAY every small response waits for the peer's delayed ACK: 40 ms each.
        // The JDK's server reads this property once, when its configuration class loads.
        System.setProperty("sun.net.httpserver.nodelay", "true");
        int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "3000"));
        long pid = ProcessHandle.current().pid();
        byte[] body = ("Hello from worker " + pid + "\n").getBytes(StandardCharsets.UTF_8);
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 1024);
        server.createContext("/", exchange -> {
            exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.setExecutor(Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors())));
        server.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> server.stop(1)));
        System.out.println("worker " + pid + " listening on http://127.0.0.1:" + port);
    }
}
