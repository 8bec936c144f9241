package dev.herd.balancer.netty;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;

/**
 * Fills a listener's accept queue, so the kernel drops new SYNs: a connect to it then neither
 * succeeds nor fails until the connector's timeout, the way a host that went away behaves, and
 * goes through once the listener accepts the fillers (the SYN is retransmitted).
 */
final class AcceptQueue {

    private AcceptQueue() {
    }

    /**
     * Connects to {@code address} (a listener that does not accept) until a connect times out.
     *
     * @return the connected fillers, each in the queue; the caller closes them
     */
    static List<Socket> fill(InetSocketAddress address) throws IOException {
        List<Socket> fillers = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            Socket filler = new Socket();
            try {
                filler.connect(address, 200);
                fillers.add(filler);
            } catch (SocketTimeoutException full) {
                filler.close();
                return fillers;
            }
        }
        for (Socket filler : fillers) {
            filler.close();
        }
        throw new IllegalStateException("the accept queue of " + address + " never filled");
    }
}
