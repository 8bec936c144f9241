package dev.herd.diagnostics;

import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

import dev.herd.daemon.InstanceView;

/**
 * Which process of an instance is its JVM. The instance's main process may be a wrapper (a shell
 * script that runs java without exec, {@code npm start}, {@code mvn exec:java}), so the JVM is
 * looked for in the instance's whole process group: the main process when it is a JVM, else the
 * group's oldest JVM (the one the wrapper started; JVMs that one forks come later).
 */
final class JvmChoice {

    /** What a diagnostic command is after: names the Node alternative in the message. */
    enum Purpose {
        HEAP_DUMP, PROFILE
    }

    /** The outcome for one instance: a JVM to attach to, or why there is none. */
    sealed interface Choice {
    }

    /** @param process the JVM */
    record Jvm(ProcFacts process) implements Choice {
    }

    /** @param message one line for the user: what the instance runs and what to do instead */
    record NoJvm(String message) implements Choice {
    }

    private JvmChoice() {
    }

    /** The instance's JVM among {@code group} (its process group, oldest first). */
    static Choice choose(InstanceView instance, List<ProcFacts> group, Purpose purpose) {
        String who = label(instance);
        if (instance.pid() <= 0) {
            return new NoJvm(who + " is not running (" + instance.status() + "): start it first");
        }
        Optional<ProcFacts> main = group.stream().filter(p -> p.pid() == instance.pid() && p.jvm()).findFirst();
        Optional<ProcFacts> jvm = main.isPresent() ? main : group.stream().filter(ProcFacts::jvm).findFirst();
        if (jvm.isPresent()) {
            return new Jvm(jvm.get());
        }
        if (group.stream().anyMatch(p -> p.program().startsWith("node"))) {
            return new NoJvm(who + " runs node, not a JVM: " + nodeAdvice(instance, purpose));
        }
        String processes = group.stream().map(p -> p.pid() + " " + p.program()).collect(Collectors.joining(", "));
        return new NoJvm(who + " runs no JVM in its process group (" + (processes.isEmpty() ? "no live process" : processes)
                + "): heapdump and profile attach to Java programs only");
    }

    /** {@code name[index] (id N)}, as describe heads an instance. */
    static String label(InstanceView instance) {
        return instance.name() + "[" + instance.index() + "] (id " + instance.id() + ")";
    }

    private static String nodeAdvice(InstanceView instance, Purpose purpose) {
        return switch (purpose) {
            case HEAP_DUMP -> "add --heapsnapshot-signal=SIGUSR2 to its interpreter_args, restart it, then run"
                    + " herd signal SIGUSR2 " + instance.name() + " (node writes a .heapsnapshot into its cwd)";
            case PROFILE -> "add --cpu-prof (writes a .cpuprofile into its cwd at exit) or --inspect to its"
                    + " interpreter_args and profile with Chrome DevTools";
        };
    }
}
