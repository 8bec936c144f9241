package dev.herd.hit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ConnectException;

import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.PrematureChannelClosureException;

import org.junit.jupiter.api.Test;

class FailuresTest {

    @Test
    void refusedConnectionsAsTheJdkAndNettysNativeTransportsWordThem() {
        assertThat(Failures.classify(new ConnectException("Connection refused"))).isEqualTo(ErrorKind.REFUSED);
        assertThat(Failures.classify(new IOException("finishConnect(..) failed: Connection refused: /127.0.0.1:9")))
                .isEqualTo(ErrorKind.REFUSED);
    }

    @Test
    void resetsAndBrokenPipes() {
        assertThat(Failures.classify(new IOException("recvAddress(..) failed: Connection reset by peer")))
                .isEqualTo(ErrorKind.RESET);
        assertThat(Failures.classify(new IOException("writev(..) failed: Broken pipe"))).isEqualTo(ErrorKind.RESET);
    }

    @Test
    void timeouts() {
        assertThat(Failures.classify(new ConnectTimeoutException("connection timed out after 10000 ms")))
                .isEqualTo(ErrorKind.TIMEOUT);
        assertThat(Failures.classify(new ConnectException("Connection timed out"))).isEqualTo(ErrorKind.TIMEOUT);
    }

    @Test
    void causesAreLookedThroughAndTheRestIsOther() {
        assertThat(Failures.classify(new DecoderException(new IOException("Connection reset by peer"))))
                .isEqualTo(ErrorKind.RESET);
        assertThat(Failures.classify(new DecoderException("invalid version format: XTTP/1.1"))).isEqualTo(ErrorKind.OTHER);
        assertThat(Failures.classify(new DecoderException(new PrematureChannelClosureException("closed"))))
                .isEqualTo(ErrorKind.RESET);
        assertThat(Failures.classify(new IllegalStateException("no"))).isEqualTo(ErrorKind.OTHER);
        assertThat(Failures.describe(new DecoderException(new IOException("Connection reset by peer"))))
                .isEqualTo("Connection reset by peer");
    }
}
