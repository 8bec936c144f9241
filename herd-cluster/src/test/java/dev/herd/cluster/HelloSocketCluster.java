package dev.herd.cluster;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A cluster API main whose workers share the public port's socket ({@link HerdCluster#serve}):
 * {@code HelloSocketCluster <public port> <workers>}; each answer closes its connection.
 */
public final class HelloSocketCluster {

    private HelloSocketCluster() {
    }

    public static void main(String[] args) throws Exception {
        HerdCluster.builder().name("hello").host("127.0.0.1").port(Integer.parseInt(args[0]))
                .instances(Integer.parseInt(args[1])).serve(socket -> {
                    Thread acceptor = new Thread(() -> {
                        while (true) {
                            try (Socket c = socket.accept().socket()) {
                                InputStream in = c.getInputStream();
                                // The request head ends at an empty line.
                                int state = 0;
                                while (state < 4) {
                                    int b = in.read();
                                    if (b < 0) {
                                        break;
                                    }
                                    state = (b == '\r' && state % 2 == 0) || (b == '\n' && state % 2 == 1) ? state + 1 : 0;
                                }
                                byte[] body = ("Hello from worker " + ProcessHandle.current().pid() + "\n")
                                        .getBytes(StandardCharsets.UTF_8);
                                OutputStream out = c.getOutputStream();
                                out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + body.length
                                        + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                                out.write(body);
                                out.flush();
                            } catch (Exception e) {
                                return;
                            }
                        }
                    }, "acceptor");
                    acceptor.start();
                    System.out.println("worker " + ProcessHandle.current().pid() + " accepting on the shared socket");
                });
    }
}
