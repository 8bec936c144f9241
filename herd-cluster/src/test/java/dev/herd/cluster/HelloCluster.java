package dev.herd.cluster;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

import com.sun.net.httpserver.HttpServer;

/** A cluster API main for {@link HerdClusterIT}: {@code HelloCluster <public port> <workers>}. */
public final class HelloCluster {

    private HelloCluster() {
    }

    public static void main(String[] args) throws Exception {
        HerdCluster.builder().name("hello").host("127.0.0.1").port(Integer.parseInt(args[0]))
                .instances(Integer.parseInt(args[1])).run(port -> {
                    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
                    server.createContext("/", exchange -> {
                        byte[] body = ("Hello from worker " + ProcessHandle.current().pid() + "\n")
                                .getBytes(StandardCharsets.UTF_8);
                        exchange.sendResponseHeaders(200, body.length);
                        exchange.getResponseBody().write(body);
                        exchange.close();
                    });
                    server.start();
                    System.out.println("worker " + ProcessHandle.current().pid() + " listening on " + port);
                });
    }
}
