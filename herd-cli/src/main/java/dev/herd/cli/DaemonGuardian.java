package dev.herd.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.herd.daemon.Daemon;
import dev.herd.daemon.HerdException;
import dev.herd.supervisor.Posix;
import dev.herd.supervisor.Signal;

/**
 * What runs the background daemon and starts it again when it dies: a small {@code /bin/sh} loop
 * (about a megabyte, where a second JVM would cost tens), the daemon's parent. Without it a
 * daemon killed by the OOM killer, a JVM crash or a stray {@code kill -9} would leave its apps
 * running unsupervised (nothing restarts a crashed one, nothing reads their output) until the
 * next {@code herd} command; with it the next daemon is up within a second or two, stops what the
 * dead one left and brings its apps back from the running file, as systemd's
 * {@code Restart=on-failure} does for a service.
 *
 * <p>Like systemd it starts the daemon again only after a failure (a signal such as SIGKILL or
 * SIGSEGV, out of memory, any other exit code, a JVM that could not start included): not after a
 * clean exit ({@code herd kill}, {@code herd update}), a refusal to start
 * ({@value DaemonMain#REFUSED}: an unusable home or setting, which starting again would not mend;
 * {@value Daemon.AlreadyRunning#EXIT_CODE}: another daemon holds the home, as when a command
 * started one first), a signal that asks a process to end (SIGHUP, SIGINT, SIGTERM: someone meant
 * it), or when the home is gone. And like systemd's start limit it gives up when the daemon dies
 * too often in a window, saying so in {@code daemon.log}; the next command then starts a daemon
 * as ever. {@code herd startup}'s unit sets {@value #VARIABLE}{@code =off}:
 * systemd restarts it there ({@code Restart=on-failure}), and two restarters would race.
 */
final class DaemonGuardian {

    /** The guardian's name in {@code ps}: its {@code $0}. */
    static final String NAME = "herd-guardian";

    /** {@code off} starts the daemon with no guardian, {@code on} (the default) with one. */
    static final String VARIABLE = "HERD_GUARDIAN";

    /** Whether the environment wants a guardian ({@value #VARIABLE}). */
    static boolean wanted(Map<String, String> env) throws HerdException {
        String value = env.getOrDefault(VARIABLE, "on").strip();
        if (value.equalsIgnoreCase("on") || value.isEmpty()) {
            return true;
        }
        if (value.equalsIgnoreCase("off")) {
            return false;
        }
        throw new HerdException(VARIABLE + " must be 'on' or 'off', not '" + value + "'");
    }

    /**
     * {@code $1} the delay before a restart in seconds, {@code $2} the restarts allowed in a
     * window, {@code $3} the window in seconds, {@code $4} the herd home (for {@code ps}, and for
     * finding the guardian of a home), then the daemon's command line. Its lines go where the
     * daemon's output goes, {@code daemon.log}, shaped like the daemon's own.
     */
    private static final String SCRIPT = """
            delay=$1 burst=$2 window=$3 home=$4; shift 4
            since=$(date +%s) deaths=0
            # The daemon's stderr goes to the log, the shell's complaints ("Killed") do not: run in
            # a subshell, whose death by a signal the shell does not report.
            exec 3>&2 2>/dev/null
            while :; do
              (exec "$@" 2>&3 3>&-)
              rc=$?
              case $rc in 0|75|78|129|130|143) exit "$rc" ;; esac
              # A home deleted meanwhile (a test's, a user's rm -r) is not made again by a restart.
              [ -d "$home" ] || exit "$rc"
              if [ "$rc" -gt 128 ] && name=$(kill -l "$rc"); then why="killed by SIG$name"; else why="exit code $rc"; fi
              [ "$rc" -eq 3 ] && why="$why: out of memory"
              now=$(date +%s)
              if [ $((now - since)) -ge "$window" ]; then since=$now deaths=0; fi
              deaths=$((deaths + 1))
              stamp=$(date '+%Y-%m-%d %H:%M:%S.%3N')
              if [ "$deaths" -gt "$burst" ]; then
                echo "$stamp ERROR DaemonGuardian - the daemon died ($why), $deaths times within ${window} s: not starting it again; the next herd command starts one"
                exit "$rc"
              fi
              echo "$stamp WARN  DaemonGuardian - the daemon died ($why): starting it again in ${delay} s, which stops what it left running and brings its apps back"
              sleep "$delay"
            done
            """;

    private final Duration delay;
    private final int burst;
    private final Duration window;

    /**
     * @param delay  how long after a death the daemon is started again (whole seconds)
     * @param burst  how many restarts a window allows before the guardian gives up
     * @param window the window the restarts are counted in (whole seconds)
     */
    DaemonGuardian(Duration delay, int burst, Duration window) {
        if (delay.isNegative() || burst < 0 || window.isNegative()) {
            throw new IllegalArgumentException("delay, burst and window must not be negative");
        }
        this.delay = delay;
        this.burst = burst;
        this.window = window;
    }

    /** One second's pause, and five restarts in five minutes (systemd's burst, a longer window). */
    static DaemonGuardian standard() {
        return new DaemonGuardian(Duration.ofSeconds(1), 5, Duration.ofMinutes(5));
    }

    /** The command line that runs {@code daemon} (a command line) of {@code home} under this guardian. */
    List<String> wrap(Path home, List<String> daemon) {
        List<String> argv = new ArrayList<>(List.of("/bin/sh", "-c", SCRIPT, NAME,
                Long.toString(delay.toSeconds()), Integer.toString(burst), Long.toString(window.toSeconds()),
                home.toString()));
        argv.addAll(daemon);
        return List.copyOf(argv);
    }

    /**
     * Ends the guardian of {@code home}, if one is alive: {@code herd kill} when no daemon
     * answers, so that one that waits to start a dead daemon again does not start it after the
     * kill. It is frozen first, so that it forks nothing while its children are looked at; its
     * pause ({@code sleep}) ends with it.
     *
     * @return empty when no guardian was alive
     */
    static Optional<Stopped> stop(Path home) {
        List<ProcessHandle> guardians = of(home);
        if (guardians.isEmpty()) {
            return Optional.empty();
        }
        guardians.forEach(g -> Posix.kill(g.pid(), Signal.SIGSTOP));
        List<ProcessHandle> children = guardians.stream().flatMap(ProcessHandle::children).toList();
        guardians.forEach(g -> Posix.kill(g.pid(), Signal.SIGKILL));
        Optional<ProcessHandle> daemon = Optional.empty();
        for (ProcessHandle c : children) {
            if (c.info().command().map(command -> command.endsWith("/java")).orElse(false)) {
                daemon = Optional.of(c);
            } else {
                c.destroy();
            }
        }
        return Optional.of(new Stopped(daemon));
    }

    /** @param starting the daemon the guardian had just started, which may not answer yet, if it had */
    record Stopped(Optional<ProcessHandle> starting) {
    }

    /**
     * The guardians of {@code home} alive now: found by their arguments, which are read from
     * {@code /proc} whole (the JDK's {@code ProcessHandle.Info} gives none past a page). Usually
     * one; two for a moment when a command started a daemon while a guardian paused, or a guardian's
     * own short-lived subshell.
     */
    static List<ProcessHandle> of(Path home) {
        return ProcessHandle.allProcesses().filter(p -> guards(arguments(p.pid()), home)).toList();
    }

    private static List<String> arguments(long pid) {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
            List<String> all = new ArrayList<>(Arrays.asList(new String(raw, StandardCharsets.UTF_8).split("\0")));
            return all.isEmpty() ? all : all.subList(1, all.size());
        } catch (IOException | RuntimeException gone) {
            return List.of();
        }
    }

    /**
     * Whether {@code arguments} (a process's, after its command) are those of the guardian of
     * {@code home}, of this version of herd or another: {@code -c <script> herd-guardian <delay>
     * <burst> <window> <home>}.
     */
    static boolean guards(List<String> arguments, Path home) {
        return arguments.size() > 6 && arguments.get(0).equals("-c") && arguments.get(2).equals(NAME)
                && arguments.get(6).equals(home.toString());
    }
}
