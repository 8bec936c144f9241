package dev.herd.cli;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Locale;

import dev.herd.balancer.netty.Balancer;
import dev.herd.config.Durations;
import dev.herd.daemon.HerdException;

/** Parses the address and duration arguments of {@code herd balance}, with messages naming the option. */
final class Addresses {

    private Addresses() {
    }

    /** {@code HOST:PORT} or {@code :PORT} (all interfaces) or {@code PORT} (loopback). */
    static InetSocketAddress listen(String text) throws HerdException {
        if (text.chars().allMatch(Character::isDigit)) {
            return new InetSocketAddress("127.0.0.1", port("--listen", text, text));
        }
        int colon = text.lastIndexOf(':');
        if (colon < 0) {
            throw new HerdException("--listen: expected HOST:PORT, got '" + text + "'");
        }
        String host = colon == 0 ? "0.0.0.0" : unbracket(text.substring(0, colon));
        InetSocketAddress address = new InetSocketAddress(host, port("--listen", text.substring(colon + 1), text));
        if (address.isUnresolved()) {
            throw new HerdException("--listen: cannot resolve host '" + host + "'");
        }
        return address;
    }

    /** {@code HOST:PORT[,weight=N]}. */
    static Balancer.BackendAddress backend(String text) throws HerdException {
        String[] parts = text.split(",");
        int colon = parts[0].lastIndexOf(':');
        if (colon <= 0) {
            throw new HerdException("--backend: expected HOST:PORT[,weight=N], got '" + text + "'");
        }
        int weight = 1;
        for (int i = 1; i < parts.length; i++) {
            String[] kv = parts[i].split("=", 2);
            if (kv.length != 2 || !kv[0].trim().toLowerCase(Locale.ROOT).equals("weight")
                    || !kv[1].trim().matches("[1-9][0-9]{0,5}")) {
                throw new HerdException("--backend " + text + ": expected weight=N (a whole number from 1), got '"
                        + parts[i] + "'");
            }
            weight = Integer.parseInt(kv[1].trim());
        }
        int port = port("--backend", parts[0].substring(colon + 1), text);
        if (port == 0) {
            throw new HerdException("--backend: bad port in '" + text + "' (expected 1-65535)");
        }
        String host = unbracket(parts[0].substring(0, colon));
        try {
            InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new HerdException("--backend " + text + ": cannot resolve host '" + host + "'");
        }
        return new Balancer.BackendAddress(host, port, weight);
    }

    /**
     * A duration option of {@code herd balance}: a number with its unit ({@code 5s}, {@code 500ms});
     * a bare number other than 0 is refused rather than read as milliseconds, since
     * {@code --connect-timeout 5} means 5 seconds to most who type it (HAProxy's {@code timeout
     * connect 5} is 5 ms, nginx's {@code proxy_connect_timeout 5} is 5 s).
     */
    static Duration duration(String option, String text) throws HerdException {
        String t = text.strip();
        if (!t.isEmpty() && t.chars().allMatch(Character::isDigit) && !t.matches("0+")) {
            throw new HerdException(option + ": '" + t + "' has no unit: write " + t + "s for seconds or " + t
                    + "ms for milliseconds");
        }
        return Durations.parse(text).orElseThrow(() ->
                new HerdException(option + ": expected " + Durations.EXPECTED + ", got '" + text + "'"));
    }

    private static int port(String option, String text, String whole) throws HerdException {
        if (!text.matches("[0-9]{1,5}") || Integer.parseInt(text) > 65535) {
            throw new HerdException(option + ": bad port in '" + whole + "' (expected 0-65535)");
        }
        return Integer.parseInt(text);
    }

    private static String unbracket(String host) {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }
}
