package dev.herd.daemon;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The wire format between {@code herd} and its daemon: frames of a 4-byte big-endian length and
 * that many bytes of UTF-8 JSON. A request frame holds an {@link Envelope}, a response frame a
 * {@link Response}; a streaming command then sends {@link StreamItem} frames until either side
 * closes.
 */
public final class Protocol {

    /** Bumped on any incompatible change of the messages. */
    public static final int VERSION = 1;
    /** No frame may be larger: a request carries at most an environment and some paths. */
    public static final int MAX_FRAME = 1 << 20;

    private Protocol() {
    }

    /**
     * Made on first use, not with this class: framing and the version are wanted by commands that
     * never start databind ({@link RecordJson}).
     */
    private static final class Mapper {
        // Plain: the CLI pays for every class this loads.
        static final ObjectMapper JSON = new ObjectMapper()
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    }

    /** The shared, configured JSON mapper (thread-safe). */
    public static ObjectMapper json() {
        return Mapper.JSON;
    }

    /** Writes one frame and flushes. */
    public static void write(OutputStream out, Object message) throws IOException {
        byte[] bytes = Mapper.JSON.writeValueAsBytes(message);
        writeFrame(out, bytes);
    }

    /** Writes one frame of JSON bytes made elsewhere, and flushes. */
    public static void writeFrame(OutputStream out, byte[] bytes) throws IOException {
        if (bytes.length > MAX_FRAME) {
            throw new IOException("message of " + bytes.length + " bytes exceeds the limit of " + MAX_FRAME);
        }
        DataOutputStream data = new DataOutputStream(out);
        data.writeInt(bytes.length);
        data.write(bytes);
        data.flush();
    }

    /**
     * Reads one frame.
     *
     * @return the frame's bytes, or null at a clean end of stream before a frame
     * @throws IOException for a frame that is empty, too large or cut short
     */
    public static byte[] read(InputStream in) throws IOException {
        DataInputStream data = new DataInputStream(in);
        int first = data.read();
        if (first < 0) {
            return null;
        }
        int length;
        try {
            length = (first << 24) | (data.readUnsignedByte() << 16) | (data.readUnsignedByte() << 8) | data.readUnsignedByte();
        } catch (EOFException e) {
            throw new IOException("truncated frame header");
        }
        if (length <= 0 || length > MAX_FRAME) {
            throw new IOException("bad frame length " + Integer.toUnsignedString(length) + " (limit " + MAX_FRAME + ")");
        }
        byte[] bytes = new byte[length];
        try {
            data.readFully(bytes);
        } catch (EOFException e) {
            throw new IOException("frame cut short");
        }
        return bytes;
    }

    /**
     * A request frame's bytes as the {@link Envelope} they hold.
     *
     * <p>Decoded as UTF-8 here rather than by Jackson, which would take bytes that look like
     * UTF-16 or UTF-32 for those and then fail outside its {@link JsonProcessingException}s.
     *
     * @throws IOException for bytes that are no request (not UTF-8, not JSON, {@code null}, a
     *                     command not in {@link Request}'s list), saying why in one line
     */
    public static Envelope request(byte[] frame) throws IOException {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(frame)).toString();
        } catch (CharacterCodingException e) {
            throw new IOException("not UTF-8 text");
        }
        Envelope envelope;
        try {
            envelope = Mapper.JSON.readValue(text, Envelope.class);
        } catch (JsonProcessingException e) {
            throw new IOException(e.getOriginalMessage());
        }
        if (envelope == null) {
            throw new IOException("null instead of a request");
        }
        return envelope;
    }

    /** The version of herd in this jar ("dev" when run from classes). */
    public static String herdVersion() {
        String v = Protocol.class.getPackage().getImplementationVersion();
        return v != null ? v : "dev";
    }
}
