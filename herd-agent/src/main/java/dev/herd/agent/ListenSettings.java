package dev.herd.agent;

import java.util.Map;

/**
 * What herd tells an instance in socket mode, read from its environment: {@code HERD_LISTEN_FD}
 * (where the socket is, systemd's fd 3) and {@code HERD_LISTEN_PORT} (the app's public port, whose
 * bind becomes the socket).
 *
 * @param fd   the descriptor herd names, at least 0
 * @param port the public port, 1 to 65535
 */
record ListenSettings(int fd, int port) {

    static final String FD_VARIABLE = "HERD_LISTEN_FD";
    static final String PORT_VARIABLE = "HERD_LISTEN_PORT";

    ListenSettings {
        if (fd < 0) {
            throw new IllegalArgumentException(FD_VARIABLE + "=" + fd + " is not a descriptor");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(PORT_VARIABLE + "=" + port + " is not a port (1 to 65535)");
        }
    }

    /**
     * The settings in {@code env}, or null when either variable is missing: the instance is not
     * in socket mode and the agent must do nothing.
     *
     * @throws IllegalArgumentException naming the variable whose value is not a number in range
     */
    static ListenSettings from(Map<String, String> env) {
        String fd = env.get(FD_VARIABLE);
        String port = env.get(PORT_VARIABLE);
        if (fd == null || port == null) {
            return null;
        }
        return new ListenSettings(number(FD_VARIABLE, fd), number(PORT_VARIABLE, port));
    }

    private static int number(String name, String value) {
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + "='" + value + "' is not a number");
        }
    }
}
