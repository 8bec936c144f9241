package dev.herd.agent;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** What the kernel says of TCP sockets, from {@code /proc}: which listen on a port, and which descriptor is one. */
final class ProcNet {

    private ProcNet() {
    }

    /** The inodes of every socket in LISTEN state on a local port, IPv4 and IPv6, in any process. */
    static List<String> listening(int port) throws IOException {
        String local = String.format(Locale.ROOT, ":%04X", port);
        List<String> inodes = new ArrayList<>();
        for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
            for (String line : Files.readAllLines(Path.of(table))) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 9 && f[1].endsWith(local) && f[3].equals("0A")) {
                    inodes.add(f[9]);
                }
            }
        }
        return inodes;
    }

    /** Whether a thread of {@code pid} is in {@code accept(2)} or {@code accept4(2)} now (x86_64 and aarch64 numbers). */
    static boolean waitsInAccept(long pid) throws IOException {
        List<String> accepts = System.getProperty("os.arch").equals("aarch64") ? List.of("202", "242") : List.of("43", "288");
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : tasks) {
                try {
                    String call = Files.readString(task.resolve("syscall")).trim().split(" ")[0];
                    if (accepts.contains(call)) {
                        return true;
                    }
                } catch (IOException gone) {
                    // A thread that ended while listed.
                }
            }
        }
        return false;
    }

    /** This process's descriptor of the one socket listening on a port (the JDK does not tell it). */
    static int descriptorOf(int port) throws IOException {
        List<String> inodes = listening(port);
        if (inodes.size() != 1) {
            throw new IOException(inodes.size() + " sockets listen on port " + port + ", not one");
        }
        String target = "socket:[" + inodes.get(0) + "]";
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path fd : fds) {
                try {
                    if (Files.readSymbolicLink(fd).toString().equals(target)) {
                        return Integer.parseInt(fd.getFileName().toString());
                    }
                } catch (IOException e) {
                    // The directory's own descriptor, closed while listed.
                }
            }
        }
        throw new IOException("this process holds no descriptor of " + target);
    }
}
