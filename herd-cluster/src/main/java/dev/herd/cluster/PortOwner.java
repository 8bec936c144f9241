package dev.herd.cluster;

import java.io.IOException;
import java.net.BindException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Who listens on a TCP port, from {@code /proc/net/tcp*} and {@code /proc/<pid>/fd}, so that
 * "address in use" can name the process that holds it.
 */
public final class PortOwner {

    private static final String LISTEN = "0A";

    private PortOwner() {
    }

    /**
     * The one line for a listener that could not bind {@code host:port}: the balancer's own words,
     * and for a port in use, who holds it when this machine shows it.
     */
    public static String bindFailure(String host, int port, BindException e) {
        String said = String.valueOf(e.getMessage());
        if (!said.endsWith("the address is in use")) {
            return said;
        }
        return of(port).map(owner -> "cannot listen on " + host + ":" + port + ": the port is held by " + owner)
                .orElse(said);
    }

    /** "pid 1234 (node)" (or this process, said so), or empty when the listener is not visible to us. */
    public static Optional<String> of(int port) {
        for (Listener l : listeners()) {
            if (l.port() == port) {
                Optional<String> owner = ownerOfInode(Long.toString(l.inode()));
                if (owner.isPresent()) {
                    return owner;
                }
            }
        }
        return Optional.empty();
    }

    /** A TCP socket in LISTEN state: its local port and its inode, as {@code /proc/net/tcp*} give them. */
    public record Listener(int port, long inode) {
    }

    /** Every listening TCP socket of this network namespace, IPv4 and IPv6. */
    public static List<Listener> listeners() {
        List<Listener> all = new ArrayList<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            try {
                all.addAll(listeners(Files.readString(Path.of(table))));
            } catch (IOException e) {
                // No such table (no IPv6): the other has them all.
            }
        }
        return all;
    }

    /**
     * The LISTEN lines ({@code 0A}) of one {@code /proc/net/tcp} table: {@code sl local_address
     * rem_address st ... inode}, the local port in hex after the address.
     */
    static List<Listener> listeners(String table) {
        List<Listener> found = new ArrayList<>();
        for (String line : table.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length <= 9 || !LISTEN.equals(f[3])) {
                continue;
            }
            try {
                String local = f[1];
                found.add(new Listener(Integer.parseInt(local.substring(local.lastIndexOf(':') + 1), 16),
                        Long.parseLong(f[9])));
            } catch (NumberFormatException e) {
                // The header line.
            }
        }
        return found;
    }

    private static Optional<String> ownerOfInode(String inode) {
        String target = "socket:[" + inode + "]";
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"),
                p -> p.getFileName().toString().chars().allMatch(Character::isDigit))) {
            for (Path proc : procs) {
                try (DirectoryStream<Path> fds = Files.newDirectoryStream(proc.resolve("fd"))) {
                    for (Path fd : fds) {
                        if (target.equals(Files.readSymbolicLink(fd).toString())) {
                            if (Long.parseLong(proc.getFileName().toString()) == ProcessHandle.current().pid()) {
                                // The herd daemon itself: another cluster app's public port, or its metrics.
                                return Optional.of("this herd process (pid " + proc.getFileName()
                                        + "): another app's public port, or the metrics port (herd list, herd metrics)");
                            }
                            String comm = Files.readString(proc.resolve("comm")).trim();
                            return Optional.of("pid " + proc.getFileName() + " (" + comm + ")");
                        }
                    }
                } catch (IOException e) {
                    // Gone, or not ours to read: keep looking.
                }
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }
}
