package dev.herd.diagnostics;

import java.util.List;
import java.util.Locale;

import dev.herd.cli.Main;
import dev.herd.daemon.HerdException;
import dev.herd.daemon.InstanceView;

/** The instances a diagnostic command names, from the daemon, and their JVMs, from {@code /proc}. */
final class Targets {

    private Targets() {
    }

    /** The target's instances; an unknown target fails with the daemon's list of known apps and ids. */
    static List<InstanceView> instances(String target) throws HerdException {
        return Main.describe(target);
    }

    /** The instance's JVM; fails saying what it runs instead and what to do. */
    static ProcFacts requireJvm(InstanceView instance, JvmChoice.Purpose purpose) throws HerdException {
        List<ProcFacts> group = instance.pid() > 0 ? ProcFacts.group(ProcFacts.pgidOf(instance.pid())) : List.of();
        JvmChoice.Choice choice = JvmChoice.choose(instance, group, purpose);
        if (choice instanceof JvmChoice.NoJvm none) {
            throw new HerdException(none.message());
        }
        return ((JvmChoice.Jvm) choice).process();
    }

    /** {@code 7.1 MB}: a file's size for a person. */
    static String size(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        if (bytes < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f KB", bytes / 1024.0);
        }
        if (bytes < 1024L * 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f MB", bytes / (1024.0 * 1024));
        }
        return String.format(Locale.ROOT, "%.2f GB", bytes / (1024.0 * 1024 * 1024));
    }
}
