package dev.herd.balancer.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.BindException;
import java.net.InetSocketAddress;
import java.time.Duration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What an embedding program is told when it configures a {@link Balancer} wrongly. */
class BalancerInputTest {

    private static final String NOWHERE = "no-such-host.invalid";

    private Balancer balancer;

    @AfterEach
    void tearDown() {
        if (balancer != null) {
            balancer.close();
        }
    }

    private Balancer start() throws Exception {
        balancer = Balancer.builder().listen(new InetSocketAddress("127.0.0.1", 0)).mode(Balancer.Mode.TCP)
                .threads(1).backend(new Balancer.BackendAddress("127.0.0.1", 9, 1)).start();
        return balancer;
    }

    @Test
    void theSameBackendTwiceInABuilderIsRejected() {
        // Two backends with one id: drain and removeBackend would reach only the first.
        Balancer.Builder b = Balancer.builder().backend(new Balancer.BackendAddress("127.0.0.1", 9001, 1));

        assertThatThrownBy(() -> b.backend(new Balancer.BackendAddress("127.0.0.1", 9001, 2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("backend 127.0.0.1:9001 is given twice");
    }

    @Test
    void anUnresolvableBackendIsRejectedWhenAdded() throws Exception {
        Balancer running = start();

        assertThatThrownBy(() -> running.addBackend(new Balancer.BackendAddress(NOWHERE, 80, 1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("backend " + NOWHERE + ":80: cannot resolve host '" + NOWHERE + "'");
        assertThat(running.backends()).hasSize(1);
    }

    @Test
    void anUnresolvableBackendIsRejectedAtStart() {
        Balancer.Builder b = Balancer.builder().listen(new InetSocketAddress("127.0.0.1", 0))
                .backend(new Balancer.BackendAddress(NOWHERE, 80, 1));

        assertThatThrownBy(b::start).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("backend " + NOWHERE + ":80: cannot resolve host '" + NOWHERE + "'");
    }

    @Test
    void anUnresolvableListenAddressIsRejected() {
        assertThatThrownBy(() -> Balancer.builder().listen(new InetSocketAddress(NOWHERE, 8000)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("listen address " + NOWHERE + ":8000: cannot resolve host '" + NOWHERE + "'");
    }

    @Test
    void aClosedBalancerTakesNoBackend() throws Exception {
        Balancer running = start();
        running.close();

        assertThatThrownBy(() -> running.addBackend(new Balancer.BackendAddress("127.0.0.1", 9002, 1)))
                .isInstanceOf(IllegalStateException.class).hasMessage("the balancer is closed");
    }

    @Test
    void anUnknownIdIsNamed() throws Exception {
        Balancer running = start();

        assertThatThrownBy(() -> running.drain("127.0.0.1:1")).hasMessage("no backend 127.0.0.1:1");
        assertThatThrownBy(() -> running.removeBackend("127.0.0.1:1")).hasMessage("no backend 127.0.0.1:1");
    }

    @Test
    void aTakenPortIsACheckedBindExceptionNamingTheAddressAndLeavesNoThreads() throws Exception {
        int port = start().localAddress().getPort();
        long loopsBefore = eventLoopThreads();
        Balancer.Builder second = Balancer.builder().listen(new InetSocketAddress("127.0.0.1", port)).threads(1)
                .backend(new Balancer.BackendAddress("127.0.0.1", 9, 1));

        assertThatThrownBy(second::start).isInstanceOf(BindException.class)
                .hasMessage("cannot listen on 127.0.0.1:" + port + ": the address is in use");
        await().atMost(Duration.ofSeconds(10)).until(() -> eventLoopThreads() <= loopsBefore);
    }

    private static long eventLoopThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("multiThreadIoEventLoopGroup")).count();
    }
}
