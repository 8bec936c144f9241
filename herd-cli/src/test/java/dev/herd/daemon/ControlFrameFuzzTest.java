package dev.herd.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;

import org.junit.jupiter.api.Timeout;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Fuzzes the control socket's request decoding, what {@link ControlServer} does with the bytes a
 * client sends: one {@link Protocol} frame (4-byte length, JSON), read into an {@link Envelope}
 * by {@link Protocol#read} and {@link Protocol#request}.
 *
 * <p>Properties: the bytes are either a request or a refusal the server answers, an
 * {@link IOException} that says why (any other exception would end the connection without an
 * answer); a request decoded is written and read back unchanged; and any bytes framed are read
 * back as they were written.
 *
 * <p>A plain test run replays the corpus in {@code ControlFrameFuzzTestInputs}, real frames of
 * every kind of request; CI also fuzzes it for a bounded time (the {@code fuzz} profile).
 */
class ControlFrameFuzzTest {

    // An input that takes longer hangs the daemon's connection thread; Jazzer makes it a finding.
    @Timeout(10)
    @FuzzTest(maxDuration = "30s")
    void anyBytesAreARequestThatRoundTripsOrARefusal(byte[] input) throws IOException {
        byte[] frame;
        try {
            frame = Protocol.read(new ByteArrayInputStream(input));
        } catch (IOException e) {
            assertThat(e.getMessage()).as("a refusal says why").isNotBlank();
            return;
        }
        if (frame == null) {
            assertThat(input).as("no frame: an empty stream").isEmpty();
            return;
        }
        ByteArrayOutputStream reframed = new ByteArrayOutputStream();
        Protocol.writeFrame(reframed, frame);
        assertThat(Protocol.read(new ByteArrayInputStream(reframed.toByteArray()))).isEqualTo(frame);

        Envelope envelope;
        try {
            envelope = Protocol.request(frame);
        } catch (IOException e) {
            assertThat(e.getMessage()).as("a refusal says why").isNotBlank();
            return;
        }
        ByteArrayOutputStream written = new ByteArrayOutputStream();
        Protocol.write(written, envelope);
        assertThat(Protocol.request(Protocol.read(new ByteArrayInputStream(written.toByteArray())))).isEqualTo(envelope);
    }
}
