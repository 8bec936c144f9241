package dev.herd.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.DatagramPacket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXDatagramSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/** systemd's notify protocol over real AF_UNIX datagram sockets, as sd_notify(3) sends it. */
class NotifySocketsTest {

    @TempDir
    Path dir;

    private NotifySockets sockets;

    @BeforeEach
    void setUp() {
        sockets = new NotifySockets(dir.resolve("notify"));
    }

    @AfterEach
    void tearDown() {
        sockets.close();
    }

    private static void send(Path socket, String message) throws IOException {
        try (AFUNIXDatagramSocket client = AFUNIXDatagramSocket.newInstance()) {
            byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
            // Connected first: the JDK's DatagramPacket takes no AF_UNIX address of its own.
            client.connect(AFUNIXSocketAddress.of(socket.toFile()));
            client.send(new DatagramPacket(bytes, bytes.length));
        }
    }

    @Test
    void anInstanceIsReadyOnceItSendsReady() throws Exception {
        Path socket = sockets.open(30001);
        assertThat(socket).exists();

        send(socket, "STATUS=warming the caches");
        send(socket, "MAINPID=4312");
        assertThat(sockets.isReady(30001)).isFalse();
        send(socket, "STATUS=serving\nREADY=1\n");

        await().atMost(Duration.ofSeconds(5)).until(() -> sockets.isReady(30001));
        assertThat(sockets.isReady(30002)).isFalse();
    }

    @Test
    void aNewRunMustSayItAgain() throws Exception {
        Path socket = sockets.open(30001);
        send(socket, "READY=1");
        await().atMost(Duration.ofSeconds(5)).until(() -> sockets.isReady(30001));

        sockets.reset(30001);

        assertThat(sockets.isReady(30001)).isFalse();
        assertThat(sockets.open(30001)).isEqualTo(socket);
        send(socket, "READY=1");
        await().atMost(Duration.ofSeconds(5)).until(() -> sockets.isReady(30001));
    }

    @Test
    void closingRemovesTheSocketFile() throws Exception {
        Path socket = sockets.open(30001);

        sockets.close(30001);

        assertThat(Files.exists(socket)).isFalse();
        assertThat(sockets.isReady(30001)).isFalse();
    }

    @Test
    void onlyAReadyLineOfItsOwnCounts() {
        assertThat(NotifySockets.saysReady("READY=1")).isTrue();
        assertThat(NotifySockets.saysReady("STATUS=x\nREADY=1")).isTrue();
        assertThat(NotifySockets.saysReady("READY=0")).isFalse();
        assertThat(NotifySockets.saysReady("STATUS=READY=1")).isFalse();
        assertThat(NotifySockets.saysReady("")).isFalse();
    }
}
