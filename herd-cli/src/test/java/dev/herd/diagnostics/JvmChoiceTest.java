package dev.herd.diagnostics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class JvmChoiceTest {

    private static ProcFacts process(long pid, long start, String exe, boolean jvm) {
        return new ProcFacts(pid, start, exe, List.of(exe), Map.of(), 1000, "/srv", jvm);
    }

    @Test
    void theMainProcessWhenItIsAJvm() {
        ProcFacts main = process(100, 1, "/usr/bin/java", true);
        List<ProcFacts> group = List.of(main, process(120, 5, "/usr/bin/java", true));
        assertThat(JvmChoice.choose(Views.instance("api", 0, 3, 100), group, JvmChoice.Purpose.HEAP_DUMP))
                .isEqualTo(new JvmChoice.Jvm(main));
    }

    @Test
    void theOldestJvmBehindAWrapper() {
        ProcFacts jvm = process(110, 2, "/opt/jdk/bin/java", true);
        List<ProcFacts> group = List.of(process(100, 1, "/usr/bin/bash", false), jvm, process(130, 9, "/opt/jdk/bin/java", true));
        assertThat(JvmChoice.choose(Views.instance("api", 0, 3, 100), group, JvmChoice.Purpose.PROFILE))
                .isEqualTo(new JvmChoice.Jvm(jvm));
    }

    @Test
    void aNodeInstanceIsToldAboutHeapSnapshotsAndCpuProfiles() {
        List<ProcFacts> group = List.of(process(100, 1, "/usr/bin/npm", false), process(101, 2, "/usr/bin/node", false));
        assertThat(JvmChoice.choose(Views.instance("web", 1, 4, 100), group, JvmChoice.Purpose.HEAP_DUMP))
                .isEqualTo(new JvmChoice.NoJvm("web[1] (id 4) runs node, not a JVM: add --heapsnapshot-signal=SIGUSR2 to its"
                        + " interpreter_args, restart it, then run herd signal SIGUSR2 web (node writes a .heapsnapshot"
                        + " into its cwd)"));
        assertThat(((JvmChoice.NoJvm) JvmChoice.choose(Views.instance("web", 1, 4, 100), group, JvmChoice.Purpose.PROFILE))
                .message()).contains("--cpu-prof");
    }

    @Test
    void anythingElseNamesItsProcesses() {
        List<ProcFacts> group = List.of(process(100, 1, "/usr/bin/python3", false));
        assertThat(JvmChoice.choose(Views.instance("py", 0, 0, 100), group, JvmChoice.Purpose.HEAP_DUMP))
                .isEqualTo(new JvmChoice.NoJvm("py[0] (id 0) runs no JVM in its process group (100 python3):"
                        + " heapdump and profile attach to Java programs only"));
    }

    @Test
    void aStoppedInstanceIsNotRunning() {
        assertThat(JvmChoice.choose(Views.instance("api", 0, 3, 0), List.of(), JvmChoice.Purpose.HEAP_DUMP))
                .isEqualTo(new JvmChoice.NoJvm("api[0] (id 3) is not running (stopped): start it first"));
    }

    @Test
    void theProgramComesFromTheExecutableElseArgvZero() {
        assertThat(process(1, 1, "/usr/lib/jvm/java-17/bin/java", true).program()).isEqualTo("java");
        assertThat(new ProcFacts(1, 1, "", List.of("/usr/bin/node", "app.js"), Map.of(), 0, "", false).program())
                .isEqualTo("node");
    }
}
