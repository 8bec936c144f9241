package dev.herd.supervisor;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.StringArray;

/**
 * Starts each instance with {@code posix_spawn(3)} itself rather than through the JDK, so that it
 * can hand an instance the listening sockets of a {@link Handover} (the JDK closes every
 * descriptor above 2 in a child) and needs no {@code setsid(1)} in between
 * ({@code POSIX_SPAWN_SETSID}: the instance's pid is the id of a new session and process group,
 * so one {@code kill -- -pgid} reaches everything it forked, and no terminal's signals reach it).
 *
 * <p>In the child: stdin is {@code /dev/null} (or the first handed-over socket), stdout and
 * stderr are pipes read through the returned streams, the sockets are at 3, 4, ... (a message
 * channel, if any, right after them), every other
 * descriptor is closed, no signal is blocked and every signal has its default action (a daemon
 * started from a shell's background job would otherwise pass on an ignored SIGINT). The exit is
 * reaped by {@link ChildReaper}, one thread for all children.
 *
 * <p>{@code LISTEN_PID} must be the instance's own pid, which is known only once it runs; a
 * handover of sockets therefore starts the program through {@code /bin/sh}, which sets it to {@code $$} and
 * execs the program in the same process. As in {@link SetsidLauncher}, an instance that is to run
 * as another user goes through {@code setpriv(1)}.
 */
public final class SpawnLauncher implements ProcessLauncher {

    @Override
    public boolean handsDescriptors() {
        return true;
    }

    private static final int O_RDONLY = 0;
    private static final int O_CLOEXEC = 0x80000;
    private static final int F_DUPFD_CLOEXEC = 1030;
    private static final short POSIX_SPAWN_SETSIGDEF = 0x04;
    private static final short POSIX_SPAWN_SETSIGMASK = 0x08;
    private static final short POSIX_SPAWN_SETSID = 0x80;
    // glibc's posix_spawn_file_actions_t is 80 bytes, posix_spawnattr_t 336 and sigset_t 128 on
    // x86_64 and aarch64; room to spare costs nothing.
    private static final int FILE_ACTIONS_SIZE = 256;
    private static final int ATTR_SIZE = 512;
    private static final int SIGSET_SIZE = 256;
    /** Sets {@code LISTEN_PID} to the pid the program will have, then becomes the program. */
    /** Sets LISTEN_PID to the pid the program will have, as systemd does, since exec keeps it. */
    private static final String LISTEN_PID = "LISTEN_PID=$$; export LISTEN_PID; ";
    /**
     * Moves the shell, whose pid the program keeps, into the cgroup ({@code $0}: its
     * {@code cgroup.procs}) before the program runs; where it may not, the program runs where
     * the daemon is, followed by its mark.
     */
    private static final String ENTER_CGROUP = "{ echo 0 > \"$0\"; } 2>/dev/null; ";
    private static final String SHELL = "/bin/sh";

    private interface LibC extends Library {
        int posix_spawn(int[] pid, String path, Memory fileActions, Memory attr, StringArray argv, StringArray envp);

        int posix_spawn_file_actions_init(Memory fa);

        int posix_spawn_file_actions_destroy(Memory fa);

        int posix_spawn_file_actions_adddup2(Memory fa, int fd, int newfd);

        int posix_spawn_file_actions_addopen(Memory fa, int fd, String path, int oflag, int mode);

        int posix_spawn_file_actions_addchdir_np(Memory fa, String path);

        int posix_spawn_file_actions_addclosefrom_np(Memory fa, int from);

        int posix_spawnattr_init(Memory attr);

        int posix_spawnattr_destroy(Memory attr);

        int posix_spawnattr_setflags(Memory attr, short flags);

        int posix_spawnattr_setsigmask(Memory attr, Memory sigset);

        int posix_spawnattr_setsigdefault(Memory attr, Memory sigset);

        int sigemptyset(Memory set);

        int sigfillset(Memory set);

        int pipe2(int[] fds, int flags) throws LastErrorException;

        int fcntl(int fd, int cmd, int arg) throws LastErrorException;

        int close(int fd) throws LastErrorException;

        String strerror(int errnum);
    }

    private static final LibC LIBC = Native.load("c", LibC.class);

    private final Optional<String> setpriv;
    private final ChildReaper reaper = ChildReaper.shared();

    /**
     * Whether this system has what the launcher needs: glibc 2.34 or later (for
     * {@code posix_spawn_file_actions_addclosefrom_np}) and Linux 5.4 or later (pidfds that
     * {@code waitid} takes).
     */
    public static boolean isAvailable() {
        try {
            NativeLibrary c = NativeLibrary.getInstance("c");
            c.getFunction("posix_spawn_file_actions_addclosefrom_np");
            c.getFunction("posix_spawn_file_actions_addchdir_np");
            c.getFunction("pidfd_open");
            return ChildReaper.supported();
        } catch (LinkageError e) {
            return false;
        }
    }

    /** A launcher; finds {@code setpriv}, if there is one, in the usual places. */
    public SpawnLauncher() {
        this.setpriv = LaunchRules.find("setpriv");
    }

    @Override
    public Launched launch(List<String> command, Path cwd, Map<String, String> env) throws IOException {
        return launch(command, cwd, env, null, null);
    }

    @Override
    public Launched launch(List<String> command, Path cwd, Map<String, String> env, RunAs runAs) throws IOException {
        return launch(command, cwd, env, runAs, null);
    }

    @Override
    public Launched launch(List<String> command, Path cwd, Map<String, String> env, RunAs runAs, Handover handover)
            throws IOException {
        return launch(command, cwd, env, runAs, handover, null);
    }

    @Override
    public boolean entersCgroups() {
        return true;
    }

    @Override
    public Launched launch(List<String> command, Path cwd, Map<String, String> env, RunAs runAs, Handover handover,
                           Path cgroup) throws IOException {
        LaunchRules.check(command, cwd);
        List<String> argv = new ArrayList<>(command.size() + 9);
        boolean sockets = handover != null && handover.hasSockets();
        // One shell does both, then execs: first as root, before setpriv drops to the app's user.
        if (sockets || cgroup != null) {
            String script = (cgroup != null ? ENTER_CGROUP : "") + (sockets ? LISTEN_PID : "") + "exec \"$@\"";
            argv.addAll(List.of(SHELL, "-c", script, cgroup != null ? cgroup.resolve("cgroup.procs").toString()
                    : "herd-launch"));
        }
        if (runAs != null) {
            argv.addAll(LaunchRules.dropTo(runAs, setpriv));
        }
        argv.addAll(command);
        List<String> envp = new ArrayList<>(env.size() + 2);
        env.forEach((k, v) -> {
            // Names of systemd's protocol mean a handover of ours, never one this process got.
            if (!k.equals("LISTEN_FDS") && !k.equals("LISTEN_PID") && !k.equals("LISTEN_FDNAMES")) {
                envp.add(k + "=" + v);
            }
        });
        if (sockets) {
            envp.add("LISTEN_FDS=" + handover.fds().size());
            envp.add("LISTEN_FDNAMES=" + handover.fdNames());
        }
        return spawn(argv, cwd, envp, handover);
    }

    private Launched spawn(List<String> argv, Path cwd, List<String> envp, Handover handover) throws IOException {
        int sockets = handover == null ? 0 : handover.fds().size();
        boolean channel = handover != null && handover.channel() >= 0;
        // Every descriptor the child gets is first copied above the last one it is to get, so no
        // dup2 into 0..2+n can overwrite a source that a later one still needs.
        int above = Handover.FIRST_FD + sockets + (channel ? 1 : 0);
        List<Integer> opened = new ArrayList<>();
        int[] out = null;
        int[] err = null;
        Memory fa = new Memory(FILE_ACTIONS_SIZE);
        Memory attr = new Memory(ATTR_SIZE);
        LIBC.posix_spawn_file_actions_init(fa);
        LIBC.posix_spawnattr_init(attr);
        try {
            out = pipeAbove(above, opened);
            err = pipeAbove(above, opened);
            if (handover != null && handover.asStdin()) {
                check(LIBC.posix_spawn_file_actions_adddup2(fa, dupAbove(handover.fds().get(0), above, opened), 0), "dup2");
            } else {
                check(LIBC.posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0), "open /dev/null");
            }
            check(LIBC.posix_spawn_file_actions_adddup2(fa, out[1], 1), "dup2");
            check(LIBC.posix_spawn_file_actions_adddup2(fa, err[1], 2), "dup2");
            for (int i = 0; i < sockets; i++) {
                check(LIBC.posix_spawn_file_actions_adddup2(fa, dupAbove(handover.fds().get(i), above, opened),
                        Handover.FIRST_FD + i), "dup2");
            }
            if (channel) {
                check(LIBC.posix_spawn_file_actions_adddup2(fa, dupAbove(handover.channel(), above, opened),
                        handover.channelNumber()), "dup2");
            }
            check(LIBC.posix_spawn_file_actions_addclosefrom_np(fa, above), "closefrom");
            check(LIBC.posix_spawn_file_actions_addchdir_np(fa, cwd.toString()), "chdir");
            Memory none = new Memory(SIGSET_SIZE);
            Memory all = new Memory(SIGSET_SIZE);
            LIBC.sigemptyset(none);
            LIBC.sigfillset(all);
            check(LIBC.posix_spawnattr_setsigmask(attr, none), "sigmask");
            check(LIBC.posix_spawnattr_setsigdefault(attr, all), "sigdefault");
            check(LIBC.posix_spawnattr_setflags(attr,
                    (short) (POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)), "flags");
            int[] pid = new int[1];
            int rc = LIBC.posix_spawn(pid, argv.get(0), fa, attr,
                    new StringArray(argv.toArray(String[]::new), "UTF-8"),
                    new StringArray(envp.toArray(String[]::new), "UTF-8"));
            if (rc != 0) {
                throw new IOException("cannot start " + argv.get(0) + ": " + LIBC.strerror(rc));
            }
            CompletableFuture<Integer> exit;
            try {
                exit = reaper.watch(pid[0]);
            } catch (IOException e) {
                // A child nobody could wait for or read must not run on unsupervised.
                Posix.killGroup(pid[0], Signal.SIGKILL);
                Posix.reap(pid[0]);
                throw e;
            }
            // The read ends stay open (the finally closes the rest): the caller's now.
            opened.remove(Integer.valueOf(out[0]));
            opened.remove(Integer.valueOf(err[0]));
            PipeEnd stdout = new PipeEnd(out[0]);
            PipeEnd stderr = new PipeEnd(err[0]);
            return new Launched() {
                @Override
                public long pid() {
                    return pid[0];
                }

                @Override
                public InputStream stdout() {
                    return stdout.stream();
                }

                @Override
                public InputStream stderr() {
                    return stderr.stream();
                }

                @Override
                public int takeStdoutFd() {
                    return stdout.take();
                }

                @Override
                public int takeStderrFd() {
                    return stderr.take();
                }

                @Override
                public CompletableFuture<Integer> exit() {
                    return exit;
                }
            };
        } finally {
            LIBC.posix_spawn_file_actions_destroy(fa);
            LIBC.posix_spawnattr_destroy(attr);
            for (int fd : opened) {
                closeQuietly(fd);
            }
        }
    }

    /** A pipe whose two ends are above {@code min}, both close-on-exec; both ends are in {@code opened}. */
    private static int[] pipeAbove(int min, List<Integer> opened) throws IOException {
        int[] fds = new int[2];
        try {
            LIBC.pipe2(fds, O_CLOEXEC);
        } catch (LastErrorException e) {
            throw new IOException("cannot create a pipe: " + LIBC.strerror(e.getErrorCode()));
        }
        opened.add(fds[0]);
        opened.add(fds[1]);
        return new int[] {dupAbove(fds[0], min, opened), dupAbove(fds[1], min, opened)};
    }

    /** A close-on-exec copy of {@code fd} numbered {@code min} or above, added to {@code opened}. */
    private static int dupAbove(int fd, int min, List<Integer> opened) throws IOException {
        try {
            int copy = LIBC.fcntl(fd, F_DUPFD_CLOEXEC, min);
            opened.add(copy);
            return copy;
        } catch (LastErrorException e) {
            throw new IOException("cannot copy descriptor " + fd + ": " + LIBC.strerror(e.getErrorCode()));
        }
    }


    private static void check(int rc, String what) throws IOException {
        if (rc != 0) {
            throw new IOException("cannot prepare the process (" + what + "): " + LIBC.strerror(rc));
        }
    }

    private static void closeQuietly(int fd) {
        try {
            LIBC.close(fd);
        } catch (LastErrorException e) {
            // Closed already, or never opened: nothing of ours is left open either way.
        }
    }
}
