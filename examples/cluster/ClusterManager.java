import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

import com.sun.net.httpserver.HttpServer;

import dev.herd.cluster.HerdCluster;

/**
 * The seed's clusterManager.ts on herd's cluster API: the primary starts one worker per core (the
 * same JVM, relaunched), restarts any that dies, and balances port 8000 over them; each worker
 * answers with its pid. Run it with herd's jar on the class path, no build needed:
 *
 *   java -cp herd-cli/target/herd.jar examples/cluster/ClusterManager.java
 *   curl http://127.0.0.1:8000/
 *
 * Ctrl-C (or SIGTERM) stops the workers, then the primary; a SIGKILL of the primary leaves none.
 */
public final class ClusterManager {

    public static void main(String[] args) throws Exception {
        if (!HerdCluster.isWorker()) {
            System.out.println("Primary " + ProcessHandle.current().pid() + " is running");
        }
        try {
            run();
        } catch (BindException e) {
            // A taken port is the user's to fix: one line, no stack trace.
            System.err.println("ClusterManager: " + e.getMessage());
            System.exit(1);
        }
    }

    private static void run() throws Exception {
        HerdCluster.builder()
                .instances(Runtime.getRuntime().availableProcessors())
                .port(8000)
                .run(port -> {
                    long pid = ProcessHandle.current().pid();
                    byte[] body = ("Hello from worker " + pid + "\n").getBytes(StandardCharsets.UTF_8);
                    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 1024);
                    server.createContext("/", exchange -> {
                        exchange.sendResponseHeaders(200, body.length);
                        try (OutputStream out = exchange.getResponseBody()) {
                            out.write(body);
                        }
                    });
                    server.start();
                    System.out.println("Worker " + pid + " started");
                });
    }
}
