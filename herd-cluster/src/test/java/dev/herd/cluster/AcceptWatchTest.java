package dev.herd.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.OptionalInt;
import java.util.Set;

import org.junit.jupiter.api.Test;

import static org.awaitility.Awaitility.await;

/** How {@link AcceptWatch} reads {@code /proc}: its parsers on real shapes, and this very JVM as the instance. */
class AcceptWatchTest {

    private static final long SELF = ProcessHandle.current().pid();

    @Test
    void epollTargetsAreTheHexInodesOfItsTfdLines() {
        String fdinfo = """
                pos:	0
                flags:	02000002
                mnt_id:	15
                ino:	1057
                tfd:        3 events:       19 data:                3  pos:0 ino:4f2a sdev:8
                tfd:       11 events: 80000019 data:       7f00000000 pos:0 ino:1b3 sdev:9
                """;
        assertThat(AcceptWatch.epollTargets(fdinfo)).containsExactlyInAnyOrder(0x4f2aL, 0x1b3L);
        assertThat(AcceptWatch.epollTargets("pos:\t0\nflags:\t02\n")).isEmpty();
    }

    @Test
    void acceptFdIsTheFirstArgumentOfAcceptAndAccept4Only() {
        assertThat(AcceptWatch.acceptFd("288 0x3 0x7ffc1c2a0e50 0x7ffc1c2a0e4c 0x80800 0x0 0x0 0x7ffc1c2a0e28 0x7f1e"))
                .isEqualTo(OptionalInt.of(3));
        assertThat(AcceptWatch.acceptFd("43 0xb 0x0 0x0 0x0 0x0 0x0 0x7ffc 0x7f1e")).isEqualTo(OptionalInt.of(11));
        assertThat(AcceptWatch.acceptFd("232 0x4 0x7f 0x400 0xffffffff 0x0 0x0 0x7ffc 0x7f1e")).isEmpty();
        assertThat(AcceptWatch.acceptFd("running")).isEmpty();
    }

    @Test
    void pollAndSelectSetsAreReadAsTheKernelLaysThemOut() {
        ByteBuffer pollfds = ByteBuffer.allocate(24).order(ByteOrder.nativeOrder());
        pollfds.putInt(0, 3).putShort(4, (short) 1);
        pollfds.putInt(8, 7).putShort(12, (short) 4);
        pollfds.putInt(16, 9).putShort(20, (short) 0x41);
        assertThat(AcceptWatch.pollFds(pollfds.array())).containsExactlyInAnyOrder(3, 9);

        byte[] set = new byte[2];
        set[0] = (byte) 0b0000_1000;
        set[1] = (byte) 0b0000_0010;
        assertThat(AcceptWatch.selectFds(set, 16)).containsExactlyInAnyOrder(3, 9);
        assertThat(AcceptWatch.selectFds(set, 4)).containsExactly(3);
    }

    @Test
    void listeningPortsAreThoseOfListenLinesWithTheGivenInodes() {
        String table = """
                  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
                   0: 0100007F:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5011 1
                   1: 0100007F:1F41 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5012 1
                   2: 0100007F:1F40 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 5011 1
                """;
        assertThat(AcceptWatch.listeningPorts(table, Set.of(5011L))).containsExactly(8000);
        assertThat(AcceptWatch.listeningPorts(table, Set.of(9L))).isEmpty();
        assertThat(AcceptWatch.socketInode("socket:[5011]")).isEqualTo(5011);
        assertThat(AcceptWatch.socketInode("pipe:[5011]")).isZero();
    }

    @Test
    void aThreadBlockedInAcceptOnTheSocketIsAccepting() throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0))) {
            long inode = inodeOf(server);
            assertThat(AcceptWatch.look(SELF, inode).accepting()).as("nobody accepts yet").isFalse();
            Thread t = new Thread(() -> {
                try (SocketChannel c = server.accept()) {
                    // Accepted the test's connection: done.
                } catch (Exception e) {
                    // Closed by the test.
                }
            });
            t.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> AcceptWatch.look(SELF, inode).accepting());
            assertThat(AcceptWatch.look(SELF, inode).how()).contains("accept");
            SocketChannel.open(server.getLocalAddress()).close();
            t.join(10_000);
        }
    }

    @Test
    void aSelectorWatchingTheSocketIsAcceptingAndAPortOfItsOwnIsFound() throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
             ServerSocket own = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
             Selector selector = Selector.open()) {
            long inode = inodeOf(server);
            server.configureBlocking(false);
            server.register(selector, SelectionKey.OP_ACCEPT);
            // The JDK's selector adds what was registered to its epoll set when it next selects.
            Thread t = new Thread(() -> {
                try {
                    selector.select();
                } catch (Exception e) {
                    // Closed by the test.
                }
            });
            t.start();

            await().atMost(Duration.ofSeconds(10)).until(() -> AcceptWatch.look(SELF, inode).accepting());
            AcceptWatch.Look look = AcceptWatch.look(SELF, inode);

            assertThat(look.how()).contains("epoll");
            assertThat(look.ownPorts()).contains(own.getLocalPort())
                    .doesNotContain(((InetSocketAddress) server.getLocalAddress()).getPort());
            selector.wakeup();
            t.join(10_000);
        }
    }

    private static long inodeOf(ServerSocketChannel server) throws Exception {
        int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
        for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of(table))) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 9 && f[1].endsWith(String.format(":%04X", port)) && f[3].equals("0A")) {
                    return Long.parseLong(f[9]);
                }
            }
        }
        throw new AssertionError("no listener on " + port);
    }
}
