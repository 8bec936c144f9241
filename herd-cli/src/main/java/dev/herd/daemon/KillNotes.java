package dev.herd.daemon;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.herd.supervisor.ExitRecord;
import dev.herd.supervisor.InstanceInfo;
import dev.herd.supervisor.Signal;
import dev.herd.supervisor.StopPolicy;

/**
 * Which instances a {@code stop}, {@code restart} or {@code delete} had to kill: those whose stop
 * signal did not end them within {@code kill_timeout}, so that the command says so as
 * {@code reload} and {@code scale} do, instead of a plain "stopped" over an app that may have
 * lost its shutdown work. Pure: it compares each instance's newest exit before and after.
 */
final class KillNotes {

    private KillNotes() {
    }

    /** Each instance's newest exit (absent when it never exited), to compare with after the command. */
    static Map<Integer, ExitRecord> newestExits(List<InstanceInfo> instances) {
        Map<Integer, ExitRecord> newest = new HashMap<>();
        for (InstanceInfo i : instances) {
            if (!i.lastExits().isEmpty()) {
                newest.put(i.id(), i.lastExits().get(0));
            }
        }
        return newest;
    }

    /**
     * One line per instance of {@code after} whose exit since {@code before} was herd's SIGKILL
     * at the end of {@code kill_timeout}: {@code api[0] (id 3) killed: SIGTERM did not end it
     * within kill_timeout (1.00 s)}.
     */
    static List<String> lines(Map<Integer, ExitRecord> before, List<InstanceInfo> after) {
        List<String> lines = new ArrayList<>();
        for (InstanceInfo i : after) {
            if (i.lastExits().isEmpty()) {
                continue;
            }
            ExitRecord exit = i.lastExits().get(0);
            if (exit.equals(before.get(i.id())) || !killedAtTimeout(exit, i.spec().stop())) {
                continue;
            }
            StopPolicy stop = i.spec().stop();
            lines.add(i.app() + "[" + i.index() + "] (id " + i.id() + ") killed: "
                    + (stop.shutdownMessage() ? "the 'shutdown' message" : stop.killSignal().name())
                    + " did not end it within kill_timeout ("
                    + String.format(Locale.ROOT, "%.2f s", stop.killTimeout().toNanos() / 1e9) + ")");
        }
        return lines;
    }

    /** An exit herd asked for that came by SIGKILL when the stop asks with something else first. */
    private static boolean killedAtTimeout(ExitRecord exit, StopPolicy stop) {
        return exit.requested() && exit.signal() == Signal.SIGKILL
                && (stop.shutdownMessage() || stop.killSignal() != Signal.SIGKILL);
    }
}
