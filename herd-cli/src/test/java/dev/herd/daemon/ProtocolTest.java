package dev.herd.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

/** A request frame's bytes to the request, or to the one-line reason the daemon answers. */
class ProtocolTest {

    private static final String PING = "{\"v\":1,\"client\":\"dev\",\"request\":{\"cmd\":\"ping\"}}";

    @Test
    void aFrameOfUtf8JsonIsItsRequest() throws IOException {
        assertThat(Protocol.request(PING.getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(new Envelope(1, "dev", new Request.Ping()));
    }

    /**
     * Found by {@link ControlFrameFuzzTest}: Jackson read bytes starting with NULs as UTF-32 and
     * failed with a CharConversionException, no JSON error, so the daemon dropped the connection
     * without an answer instead of saying "bad request".
     */
    @Test
    void bytesThatLookLikeUtf32AreABadRequestWithAReason() {
        byte[] frame = ("\0\0\0/" + PING).getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> Protocol.request(frame)).isExactlyInstanceOf(IOException.class)
                .hasMessageContaining("code 0");
    }

    @Test
    void bytesThatAreNotUtf8AreABadRequestWithAReason() {
        byte[] frame = {'{', (byte) 0xc3, '}'};
        assertThatThrownBy(() -> Protocol.request(frame)).isExactlyInstanceOf(IOException.class)
                .hasMessage("not UTF-8 text");
    }

    /** Jackson reads {@code null} as no object at all, which the daemon then took for a request. */
    @Test
    void nullIsABadRequestWithAReason() {
        assertThatThrownBy(() -> Protocol.request("null".getBytes(StandardCharsets.UTF_8)))
                .isExactlyInstanceOf(IOException.class).hasMessage("null instead of a request");
    }
}
