package dev.herd.daemon;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

/**
 * The wire of the channel that gives Node.js instances {@code process.send} ({@link NodeIpc}):
 * one JSON value per line both ways, as Node's own IPC channel writes them in its default
 * {@code json} serialization. The app's first line is its hello,
 * {@code {"herd":1,"token":"<HERD_IPC_TOKEN>","pid":<pid>}}; every later line is one value it
 * passed to {@code process.send}. herd's lines are the values its {@code 'message'} listeners
 * get ({@code "shutdown"}).
 *
 * <p>Pure: no I/O. {@link Lines} is one connection's state and is not thread-safe; the rest is.
 */
final class IpcWire {

    /** The hello's version: a preload of another herd version speaks it or is refused. */
    static final int VERSION = 1;
    /**
     * The longest line kept. What herd acts on is a word ({@code "ready"}); PM2 apps may send
     * bigger objects for PM2's bus, which herd does not have, so a longer line is dropped rather
     * than buffered without bound.
     */
    static final int MAX_LINE = 64 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper();

    private IpcWire() {
    }

    /** The hello of an app's process: which run it is ({@code token}) and its pid. */
    record Hello(String token, long pid) {
    }

    /** What an app said, as far as herd acts on it. */
    sealed interface Said {
    }

    /** {@code process.send('ready')}: PM2's {@code wait_ready} signal. */
    record Ready() implements Said {
    }

    /**
     * A value herd does not act on (PM2's bus messages, {@code {type, data}}, go to PM2's
     * {@code launchBus} subscribers, which herd has none of).
     *
     * @param what a short description for the daemon's log
     */
    record Other(String what) implements Said {
    }

    /**
     * A line that is not JSON.
     *
     * @param why the parser's message
     */
    record Bad(String why) implements Said {
    }

    /**
     * The shim's request, on Node's own channel, for the socket of a port the app listens on
     * ({@code {"cmd":"NODE_HERD_LISTEN","seq":1,"port":8080,"host":null}}), as a Node cluster
     * worker asks its primary.
     *
     * @param seq  the request's number, given back with the answer
     * @param host the address the app names, or null for every address
     */
    record Listen(long seq, String host, int port) implements Said {
    }

    /** One of Node's own messages on its channel ({@code NODE_HANDLE_ACK}...), nothing to act on. */
    record Internal(String cmd) implements Said {
    }

    /** The hello in {@code line}, or null when it is not one of this version. */
    static Hello hello(String line) {
        JsonNode n;
        try {
            n = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            return null;
        }
        if (n == null || !n.isObject() || n.path("herd").asInt(-1) != VERSION || !n.path("token").isTextual()
                || !n.path("pid").canConvertToLong()) {
            return null;
        }
        return new Hello(n.get("token").asText(), n.get("pid").asLong());
    }

    /** What the value on {@code line} says. */
    static Said said(String line) {
        JsonNode n;
        try {
            n = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            return new Bad(e.getOriginalMessage());
        }
        if (n == null || n.isMissingNode()) {
            return new Bad("an empty line");
        }
        // PM2 compares the raw message with 'ready' (God.js): only the string counts.
        if (n.isTextual() && n.asText().equals("ready")) {
            return new Ready();
        }
        if (n.isObject() && n.path("cmd").isTextual() && n.get("cmd").asText().startsWith("NODE_")) {
            String cmd = n.get("cmd").asText();
            if (cmd.equals(LISTEN_CMD) && n.path("seq").canConvertToLong() && n.path("port").canConvertToInt()) {
                JsonNode host = n.path("host");
                return new Listen(n.get("seq").asLong(), host.isTextual() ? host.asText() : null, n.get("port").asInt());
            }
            return new Internal(cmd);
        }
        if (n.isObject() && n.has("type") && n.has("data")) {
            return new Other("a message for PM2's bus of type " + n.get("type"));
        }
        return new Other("a " + n.getNodeType().name().toLowerCase(java.util.Locale.ROOT));
    }

    /** The line that sends the string {@code message}, with its newline. */
    static byte[] line(String message) {
        return (TextNode.valueOf(message).toString() + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /** The shim's request for a socket. */
    static final String LISTEN_CMD = "NODE_HERD_LISTEN";
    /** herd's answer to it: the message the socket travels with, or the refusal. */
    static final String SOCKET_CMD = "NODE_HERD_SOCKET";

    /**
     * The line a socket travels with: Node's own handle message (a raw TCP handle,
     * {@code net.Native}), which Node acknowledges, and the answer inside it, which Node hands
     * the shim with the handle as an internal message.
     */
    static byte[] socketLine(long seq, String address, int port) {
        ObjectNode msg = JSON.createObjectNode().put("cmd", SOCKET_CMD).put("seq", seq).put("address", address)
                .put("port", port);
        ObjectNode handle = JSON.createObjectNode().put("cmd", "NODE_HANDLE").put("type", "net.Native");
        handle.set("msg", msg);
        return (handle.toString() + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /** The line that refuses a socket, with the errno name the app's listen fails with. */
    static byte[] refusedLine(long seq, String code, String reason) {
        ObjectNode msg = JSON.createObjectNode().put("cmd", SOCKET_CMD).put("seq", seq).put("code", code)
                .put("error", reason);
        return (msg.toString() + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Splits a connection's bytes into lines, each at most {@link #MAX_LINE} bytes: a longer
     * one is dropped up to its newline and counted, so a process cannot make the daemon buffer
     * without bound.
     */
    static final class Lines {
        private final int max;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();
        /** Whether the line being read is too long: its bytes are dropped up to its newline. */
        private boolean dropping;
        private long dropped;

        Lines() {
            this(MAX_LINE);
        }

        /** @param max the longest line kept, in bytes */
        Lines(int max) {
            this.max = max;
        }

        /** Reads every byte left in {@code in}; returns the lines it completed, without their newlines. */
        List<String> feed(ByteBuffer in) {
            List<String> out = new ArrayList<>();
            while (in.hasRemaining()) {
                byte b = in.get();
                if (b == '\n') {
                    if (dropping) {
                        dropping = false;
                    } else {
                        out.add(line.toString(StandardCharsets.UTF_8));
                    }
                    line.reset();
                } else if (!dropping) {
                    if (line.size() == max) {
                        dropping = true;
                        dropped++;
                        line.reset();
                    } else {
                        line.write(b);
                    }
                }
            }
            return out;
        }

        /** How many lines were too long and dropped. */
        long dropped() {
            return dropped;
        }
    }
}
