package dev.herd.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;

import org.junit.jupiter.api.Test;

/** {@link PortOwner} on real sockets of this process, read from {@code /proc}. */
class PortOwnerTest {

    @Test
    void aPortThisProcessHoldsIsSaidToBeHerdsOwn() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            assertThat(PortOwner.of(s.getLocalPort())).hasValue("this herd process (pid " + ProcessHandle.current().pid()
                    + "): another app's public port, or the metrics port (herd list, herd metrics)");
        }
    }

    @Test
    void aPortNobodyListensOnHasNoOwner() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        assertThat(PortOwner.of(port)).isEmpty();
    }
}
