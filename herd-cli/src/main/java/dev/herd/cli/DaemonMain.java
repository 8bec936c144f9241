package dev.herd.cli;

import dev.herd.daemon.Daemon;
import dev.herd.daemon.HerdException;

/**
 * The daemon's entry point, as {@link DaemonClient} starts it: {@code herd daemon} without the
 * command line parser, which a resident process would otherwise keep loaded for nothing (picocli's
 * model and some 170 classes). {@code herd daemon} itself stays, for {@code herd startup}'s unit.
 */
public final class DaemonMain {

    /**
     * The exit code of a daemon that refused to start ({@code EX_CONFIG}): an unusable home or
     * setting. Apart from 1, which a JVM that could not start gives too, and which its guardian
     * starts again.
     */
    static final int REFUSED = 78;

    private DaemonMain() {
    }

    /** Runs the daemon of {@code $HERD_HOME} until {@code kill} or SIGTERM. */
    public static void main(String[] args) {
        try {
            Daemon.run(Main.home());
        } catch (Daemon.AlreadyRunning e) {
            System.err.println("herd: " + e.getMessage());
            System.exit(Daemon.AlreadyRunning.EXIT_CODE);
        } catch (HerdException e) {
            System.err.println("herd: " + e.getMessage());
            System.exit(REFUSED);
        }
        System.exit(0);
    }
}
