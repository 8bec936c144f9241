package dev.herd.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Set;

/**
 * herd's state directory, {@code $HERD_HOME} or {@code ~/.herd}: the daemon's socket, pid file
 * and lock, the log files and the saved process list. Only its owner may enter it (0700), since
 * whoever reaches the socket can run programs as that user.
 *
 * @param dir the directory, absolute
 */
public record HerdHome(Path dir) {

    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");

    /** The directory named by {@code HERD_HOME}, else {@code ~/.herd}. */
    public static HerdHome of(Map<String, String> env) {
        String configured = env.get("HERD_HOME");
        Path dir = configured != null && !configured.isBlank()
                ? Path.of(configured)
                : Path.of(System.getProperty("user.home"), ".herd");
        return new HerdHome(dir.toAbsolutePath().normalize());
    }

    /**
     * Creates the directory (0700) if missing, and refuses one that others can enter or that
     * belongs to someone else.
     */
    public HerdHome ensure() throws HerdException {
        try {
            if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectories(dir.getParent());
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            }
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                throw new HerdException("HERD_HOME " + dir + " is not a directory");
            }
            String owner = Files.getOwner(dir, LinkOption.NOFOLLOW_LINKS).getName();
            String me = System.getProperty("user.name");
            if (!owner.equals(me)) {
                throw new HerdException("HERD_HOME " + dir + " belongs to " + owner + ", not to " + me);
            }
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS);
            if (!perms.equals(OWNER_ONLY)) {
                throw new HerdException("HERD_HOME " + dir + " has mode " + PosixFilePermissions.toString(perms)
                        + "; it must be rwx------ so no one else can reach the daemon (chmod 700 " + dir + ")");
            }
            Files.createDirectories(logs());
            return this;
        } catch (IOException e) {
            throw new HerdException("cannot prepare HERD_HOME " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The daemon's Unix socket. */
    public Path socket() {
        return dir.resolve("herd.sock");
    }

    /** Where the {@code update} client of that pid holds the public sockets between two daemons. */
    public Path handoffSocket(long pid) {
        return dir.resolve("handoff-" + pid + ".sock");
    }

    /** The daemon's pid. */
    public Path pidFile() {
        return dir.resolve("daemon.pid");
    }

    /** Held locked by the running daemon, so that two never run. */
    public Path lockFile() {
        return dir.resolve("daemon.lock");
    }

    /** The daemon's own log (its stdout and stderr). */
    public Path daemonLog() {
        return dir.resolve("daemon.log");
    }

    /** Default folder of the apps' log files. */
    public Path logs() {
        return dir.resolve("logs");
    }

    /** The process list written by {@code save} and read by {@code resurrect}. */
    public Path dumpFile() {
        return dir.resolve("dump.json");
    }

    /**
     * What runs right now, kept current by the daemon and removed when it stops cleanly: if it is
     * there when a daemon starts, the previous one died and left its apps unsupervised.
     */
    public Path runningFile() {
        return dir.resolve("running.json");
    }

    /**
     * The trace token of the last daemon started here ({@code Supervisor.traceToken()}), which
     * every process it started carries, removed when it stops cleanly: the next daemon stops
     * those a dead one left behind.
     */
    public Path traceFile() {
        return dir.resolve("daemon.trace");
    }

    /** Where cluster instances that say when they are ready ({@code wait_ready}) get their notify sockets. */
    public Path notifyDir() {
        return dir.resolve("notify");
    }

    /**
     * Where Node.js instances' {@code process.send} channel lives: the preload module and a socket
     * per daemon or {@code herd run} ({@link NodeIpc}).
     */
    public Path ipcDir() {
        return dir.resolve("ipc");
    }

    /** The process list carried over by {@code update}, apart from the user's saved one. */
    public Path updateDumpFile() {
        return dir.resolve("update-dump.json");
    }

    /** The daemon settings file (metrics port, host and token), read by each new daemon. */
    public Path settingsFile() {
        return dir.resolve("daemon.conf");
    }
}
