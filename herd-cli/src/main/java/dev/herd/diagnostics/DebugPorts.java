package dev.herd.diagnostics;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.herd.daemon.InstanceView;
import dev.herd.supervisor.ProcessTree;

/**
 * The debug port {@code describe} shows: the address an instance's command line configures
 * ({@link DebugAddress}), and whether it really listens there, from the TCP sockets its process
 * group holds in {@code /proc}. A port chosen at start is read from the debuggee's banner in the
 * instance's log ({@code Listening for transport dt_socket at address: N}, Node's
 * {@code Debugger listening on ws://host:N/...}) and kept only when one of its sockets listens on it,
 * so that a banner of an earlier run is never shown.
 */
public final class DebugPorts {

    private static final Pattern JDWP_BANNER = Pattern.compile("Listening for transport dt_socket at address: (\\d+)");
    private static final Pattern NODE_BANNER = Pattern.compile("Debugger listening on ws://[^\\s/]*:(\\d+)/");
    private static final Pattern SOCKET = Pattern.compile("socket:\\[(\\d+)]");
    private static final int LOG_TAIL = 256 * 1024;
    private static final String LISTEN = "0A";

    private DebugPorts() {
    }

    /** The instance's debug address and state, for describe; empty when its command line asks for none. */
    public static Optional<String> describe(InstanceView instance) {
        Optional<DebugAddress> configured = DebugAddress.of(instance.command());
        if (configured.isEmpty()) {
            return Optional.empty();
        }
        DebugAddress a = configured.get();
        String text = a.kind() + " " + (a.listens() ? "" : "connects to ") + a.address()
                + (a.suspended() ? ", waits for a debugger before the program runs" : "");
        if (!a.listens() || instance.pid() <= 0) {
            return Optional.of(text);
        }
        Set<Integer> listening = listeningPorts(instance.pid());
        if (a.port() != 0) {
            return Optional.of(text + (listening.contains(a.port()) ? " (listening)" : " (not listening)"));
        }
        boolean jdwp = a.kind().equals(DebugAddress.JDWP);
        Optional<Integer> chosen = lastBanner(tail(Path.of(jdwp ? instance.outLog() : instance.errLog())),
                jdwp ? JDWP_BANNER : NODE_BANNER).filter(listening::contains);
        return Optional.of(chosen.map(p -> a.kind() + " " + a.host() + ":" + p + " (chosen at start, listening)"
                + (a.suspended() ? ", waits for a debugger before the program runs" : ""))
                .orElse(text + " (not listening yet)"));
    }

    /** The port of the last banner in {@code log}. */
    static Optional<Integer> lastBanner(String log, Pattern banner) {
        Matcher m = banner.matcher(log);
        Integer port = null;
        while (m.find()) {
            port = Integer.parseInt(m.group(1));
        }
        return Optional.ofNullable(port);
    }

    /** The listening ports of {@code /proc/net/tcp}-format lines, by socket inode. */
    static Map<Long, Integer> listeningByInode(List<String> lines) {
        Map<Long, Integer> out = new HashMap<>();
        for (String line : lines) {
            String[] f = line.trim().split("\\s+");
            // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
            if (f.length < 10 || !f[3].equals(LISTEN) || !f[1].contains(":")) {
                continue;
            }
            try {
                out.put(Long.parseLong(f[9]), Integer.parseInt(f[1].substring(f[1].indexOf(':') + 1), 16));
            } catch (NumberFormatException e) {
                // The header line, or a format this code does not know: not a listening socket.
            }
        }
        return out;
    }

    /** The TCP ports that the processes of {@code pid}'s group listen on. */
    static Set<Integer> listeningPorts(long pid) {
        Set<Integer> ports = new HashSet<>();
        long pgid = ProcFacts.pgidOf(pid);
        for (ProcessTree.Stat member : ProcessTree.groupMembers(pgid)) {
            Path proc = Path.of("/proc", Long.toString(member.pid()));
            Set<Long> inodes = socketInodes(proc.resolve("fd"));
            if (inodes.isEmpty()) {
                continue;
            }
            for (String table : List.of("tcp", "tcp6")) {
                try {
                    listeningByInode(Files.readAllLines(proc.resolve("net").resolve(table), StandardCharsets.ISO_8859_1))
                            .forEach((inode, port) -> {
                                if (inodes.contains(inode)) {
                                    ports.add(port);
                                }
                            });
                } catch (IOException e) {
                    // No IPv6 here, or the process is gone.
                }
            }
        }
        return ports;
    }

    private static Set<Long> socketInodes(Path fdDir) {
        Set<Long> inodes = new HashSet<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(fdDir)) {
            for (Path fd : fds) {
                try {
                    Matcher m = SOCKET.matcher(Files.readSymbolicLink(fd).toString());
                    if (m.matches()) {
                        inodes.add(Long.parseLong(m.group(1)));
                    }
                } catch (IOException e) {
                    // Closed while listed.
                }
            }
        } catch (IOException e) {
            // Gone, or not ours.
        }
        return inodes;
    }

    private static String tail(Path log) {
        try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
            long length = f.length();
            byte[] bytes = new byte[(int) Math.min(LOG_TAIL, length)];
            f.seek(length - bytes.length);
            f.readFully(bytes);
            return new String(bytes, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
