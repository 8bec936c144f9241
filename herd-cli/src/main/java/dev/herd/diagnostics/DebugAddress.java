package dev.herd.diagnostics;

import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The debug address an instance's command line asks for: a JDWP agent in its JVM options
 * ({@code -agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=127.0.0.1:5005}), or
 * Node's inspector ({@code --inspect[=[host:]port]}, {@code --inspect-brk}, {@code --inspect-wait}).
 * Port 0 (or JDWP without an address) lets the debuggee choose a free port when it starts: the
 * way to debug several instances at once, whose fixed port would clash.
 *
 * @param kind      {@code jdwp} or {@code node inspector}
 * @param host      the address it listens on ({@code *} for every interface)
 * @param port      the port, 0 when chosen at start
 * @param listens   false for a JDWP agent with {@code server=n}, which connects out to a debugger
 * @param suspended whether it waits for a debugger before running the program
 */
record DebugAddress(String kind, String host, int port, boolean listens, boolean suspended) {

    /** The kind of a JDWP agent. */
    static final String JDWP = "jdwp";
    /** The kind of Node's inspector. */
    static final String NODE = "node inspector";

    private static final Pattern NODE_FLAG = Pattern.compile("--inspect(-brk|-wait)?(?:=(.*))?");

    /** The first debug option of {@code command}, if it has one. */
    static Optional<DebugAddress> of(List<String> command) {
        for (String arg : command) {
            if (arg.startsWith("-agentlib:jdwp=") || arg.startsWith("-Xrunjdwp:")) {
                return jdwp(arg.substring(arg.indexOf(arg.startsWith("-X") ? ':' : '=') + 1));
            }
            Matcher m = NODE_FLAG.matcher(arg);
            if (m.matches()) {
                return Optional.of(node(m.group(2), m.group(1) != null));
            }
        }
        return Optional.empty();
    }

    /** {@code host:port}, with {@code chosen at start} for port 0. */
    String address() {
        return host + ":" + (port == 0 ? "<chosen at start>" : Integer.toString(port));
    }

    private static Optional<DebugAddress> jdwp(String options) {
        String transport = null;
        String address = null;
        boolean server = false;
        boolean suspend = true;
        for (String option : options.split(",")) {
            int eq = option.indexOf('=');
            String key = eq < 0 ? option : option.substring(0, eq);
            String value = eq < 0 ? "" : option.substring(eq + 1);
            switch (key) {
                case "transport" -> transport = value;
                case "address" -> address = value;
                case "server" -> server = value.equals("y");
                case "suspend" -> suspend = value.equals("y");
                default -> {
                    // Other JDWP options (timeout, onthrow, launch, ...) do not change the address.
                }
            }
        }
        if (!"dt_socket".equals(transport)) {
            return Optional.empty();
        }
        String host = "127.0.0.1";
        int port = 0;
        if (address != null && !address.isEmpty()) {
            int colon = address.lastIndexOf(':');
            // Since JDK 9 a bare port listens on the loopback interface only.
            host = colon < 0 ? host : address.substring(0, colon);
            port = parsePort(colon < 0 ? address : address.substring(colon + 1));
            if (port < 0) {
                return Optional.empty();
            }
        }
        return Optional.of(new DebugAddress(JDWP, host, port, server, suspend));
    }

    private static DebugAddress node(String value, boolean waits) {
        String host = "127.0.0.1";
        int port = 9229;
        if (value != null && !value.isEmpty()) {
            int colon = value.lastIndexOf(':');
            int p = parsePort(colon < 0 ? value : value.substring(colon + 1));
            if (colon >= 0) {
                host = value.substring(0, colon);
            }
            if (p >= 0) {
                port = p;
            } else if (colon < 0) {
                host = value;
            }
        }
        return new DebugAddress(NODE, host, port, true, waits);
    }

    private static int parsePort(String text) {
        if (text.isEmpty() || text.length() > 5 || !text.chars().allMatch(Character::isDigit)) {
            return -1;
        }
        int p = Integer.parseInt(text);
        return p <= 65535 ? p : -1;
    }
}
