package dev.herd.supervisor;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Finds this process's descriptor of a socket, which the JDK does not tell: by its inode in {@code /proc}. */
final class TestFds {

    private TestFds() {
    }

    /** The descriptor of this process's socket listening on a TCP port (the JDK's are IPv6 sockets). */
    static int ofListeningPort(int port) throws IOException {
        String local = String.format(Locale.ROOT, ":%04X", port);
        String inode = null;
        for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
            for (String line : Files.readAllLines(Path.of(table))) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 9 && f[1].endsWith(local) && f[3].equals("0A")) {
                    inode = f[9];
                }
            }
        }
        if (inode == null) {
            throw new IOException("no socket listens on port " + port);
        }
        String target = "socket:[" + inode + "]";
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
