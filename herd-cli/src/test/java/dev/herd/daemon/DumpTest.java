package dev.herd.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.herd.cluster.ClusterSpec;
import dev.herd.supervisor.AppSpec;
import dev.herd.supervisor.LogPolicy;
import dev.herd.supervisor.RestartPolicy;
import dev.herd.supervisor.RunAs;
import dev.herd.supervisor.Signal;
import dev.herd.supervisor.StopPolicy;

class DumpTest {

    private static AppSpec app(String name, String script) {
        return new AppSpec(name, Path.of("/srv/" + script), null, List.of(), List.of(), Path.of("/srv"), Map.of(), 1,
                RestartPolicy.DEFAULT, StopPolicy.DEFAULT,
                new LogPolicy(Path.of("/srv/" + name + ".out"), Path.of("/srv/" + name + ".err"), false, null, 0, 0));
    }

    @Test
    void anOlderListAddsOnlyTheAppsThisOneLacksWithTheirStoppedMark() {
        StateStore.Dump now = new StateStore.Dump(1, List.of(app("a", "new.sh"), app("b", "b.sh")), List.of("b"),
                Map.of("a", ClusterSpec.onPort(8000)));
        StateStore.Dump older = new StateStore.Dump(1, List.of(app("a", "old.sh"), app("c", "c.sh"), app("d", "d.sh")),
                List.of("a", "d"), Map.of("a", ClusterSpec.onPort(9000), "c", ClusterSpec.onPort(9001)));

        StateStore.Dump merged = now.plus(older);

        assertThat(merged.apps()).extracting(s -> s.name() + " " + s.script().getFileName())
                .containsExactly("a new.sh", "b b.sh", "c c.sh", "d d.sh");
        assertThat(merged.stopped()).containsExactly("b", "d");
        assertThat(merged.clusters()).containsOnly(Map.entry("a", ClusterSpec.onPort(8000)),
                Map.entry("c", ClusterSpec.onPort(9001)));
    }

    @Test
    void aSavedListKeepsTheCombinedLogAndJsonLinesAndAnOlderOneReadsWithout(@TempDir Path dir) throws Exception {
        AppSpec base = app("a", "a.sh");
        LogPolicy p = base.logs();
        AppSpec logged = new AppSpec("a", base.script(), null, List.of(), List.of(), base.cwd(), Map.of(), 1,
                RestartPolicy.DEFAULT, StopPolicy.DEFAULT, new LogPolicy(p.outFile(), p.errorFile(), false, "HH:mm",
                        0, 0, Path.of("/srv/a.log"), true));
        StateStore store = new StateStore(new HerdHome(dir), () -> null);
        Path file = dir.resolve("dump.json");
        store.writeDump(file, new StateStore.Dump(1, List.of(logged), List.of(), Map.of()));

        assertThat(store.readDump(file).orElseThrow().apps()).containsExactly(logged);
        String older = Files.readString(file).replaceAll(",\\s*\"logFile\"\\s*:\\s*\"[^\"]*\"", "")
                .replaceAll(",\\s*\"json\"\\s*:\\s*true", "");
        assertThat(older).doesNotContain("logFile").doesNotContain("\"json\"");
        Files.writeString(file, older);
        assertThat(store.readDump(file).orElseThrow().apps().get(0).logs())
                .isEqualTo(new LogPolicy(p.outFile(), p.errorFile(), false, "HH:mm", 0, 0));
    }

    @Test
    void olderDumpsWithoutAStoppedListMerge() {
        StateStore.Dump merged = new StateStore.Dump(1, List.of(app("a", "a.sh")), null, null)
                .plus(new StateStore.Dump(1, List.of(app("c", "c.sh")), null, null));
        assertThat(merged.apps()).extracting(AppSpec::name).containsExactly("a", "c");
        assertThat(merged.stopped()).isEmpty();
    }

    @Test
    void aSavedListKeepsWhoAnAppRunsAsAndPm2sInstanceSettings(@TempDir Path dir) throws Exception {
        AppSpec plain = app("a", "a.sh");
        AppSpec spec = new AppSpec("a", plain.script(), null, List.of(), List.of(), plain.cwd(), Map.of("PORT", "3000"),
                2, RestartPolicy.DEFAULT, new StopPolicy(Signal.SIGINT, Duration.ofSeconds(3), true, false), plain.logs(), null,
                "INSTANCE_ID", "PORT", new RunAs(65534, 65534, true), dir.resolve("pids/a.pid"), Duration.ofSeconds(7),
                null, null, true, null, null);
        try (StateStore store = new StateStore(new HerdHome(dir), () -> null)) {
            Path file = dir.resolve("dump.json");
            store.writeDump(file, new StateStore.Dump(1, List.of(spec, plain), List.of(), Map.of()));

            assertThat(store.readDump(file).orElseThrow().apps()).containsExactly(spec, plain);
        }
    }
}
