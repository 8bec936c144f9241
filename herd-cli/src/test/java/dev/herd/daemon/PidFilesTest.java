package dev.herd.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herd.supervisor.AppSpec;
import dev.herd.supervisor.InstanceEvent;
import dev.herd.supervisor.LogPolicy;
import dev.herd.supervisor.ProcessState;
import dev.herd.supervisor.RestartPolicy;
import dev.herd.supervisor.StopPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PidFilesTest {

    @Test
    void aPidNameGetsTheInstancesIdAsPm2NamesIt() {
        assertThat(PidFiles.fileOf(Path.of("/run/api.pid"), 0, 1)).isEqualTo(Path.of("/run/api-0.pid"));
        assertThat(PidFiles.fileOf(Path.of("/run/api.pid"), 7, 4)).isEqualTo(Path.of("/run/api-7.pid"));
    }

    @Test
    void anIdAlreadyInTheNameIsReplacedNotRepeated() {
        assertThat(PidFiles.fileOf(Path.of("/run/api-0.pid"), 3, 2)).isEqualTo(Path.of("/run/api-3.pid"));
    }

    @Test
    void anyOtherNameIsKeptForOneInstanceAndNumberedForSeveral() {
        assertThat(PidFiles.fileOf(Path.of("/run/api"), 5, 1)).isEqualTo(Path.of("/run/api"));
        assertThat(PidFiles.fileOf(Path.of("/run/api"), 5, 2)).isEqualTo(Path.of("/run/api-5"));
        assertThat(PidFiles.fileOf(Path.of("/run/api.pidx"), 1, 2)).isEqualTo(Path.of("/run/api.pidx-1"));
    }

    @Test
    void theFileGoesWhenTheInstanceStopsEvenIfItsAppIsGoneByThen(@TempDir Path dir) throws Exception {
        AppSpec spec = new AppSpec("api", dir.resolve("api.sh"), null, List.of(), List.of(), dir, Map.of(), 1,
                RestartPolicy.DEFAULT, StopPolicy.DEFAULT, new LogPolicy(dir.resolve("o.log"), dir.resolve("e.log"),
                        false, null, 0, 0), null, null, null, null, dir.resolve("run/api.pid"), null, null, null, true,
                null, null);
        AtomicReference<List<AppSpec>> apps = new AtomicReference<>(List.of(spec));
        Path file = dir.resolve("run/api-4.pid");
        try (PidFiles pidFiles = new PidFiles(apps::get)) {
            pidFiles.onEvent(new InstanceEvent(1, 4, "api", 0, ProcessState.STOPPED, ProcessState.ONLINE, 321, "up", 0));
            org.awaitility.Awaitility.await().until(() -> Files.exists(file));
            assertThat(Files.readString(file)).isEqualTo("321\n");

            // herd delete and herd kill forget the app before the writer thread sees the stop.
            apps.set(List.of());
            pidFiles.onEvent(new InstanceEvent(2, 4, "api", 0, ProcessState.STOPPING, ProcessState.STOPPED, 0,
                    "stopped", 0));
        }
        assertThat(file).doesNotExist();
    }
}
