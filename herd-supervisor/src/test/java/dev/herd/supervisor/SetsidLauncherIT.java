package dev.herd.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link SetsidLauncher}, the fallback where {@link SpawnLauncher} is not available, with real processes. */
class SetsidLauncherIT {

    @TempDir
    Path dir;

    private final SetsidLauncher launcher = new SetsidLauncher();

    private static String read(InputStream in) throws IOException {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void childLeadsItsOwnSessionWithBothStreamsAndItsExitCode() throws Exception {
        ProcessLauncher.Launched p = launcher.launch(List.of("/bin/sh", "-c", "ps -o sid= -p $$; echo err >&2; exit 5"),
                dir, Map.of("PATH", System.getenv("PATH")));
        assertThat(read(p.stdout()).trim()).isEqualTo(Long.toString(p.pid()));
        assertThat(read(p.stderr())).isEqualTo("err\n");
        assertThat(p.exit().get(20, TimeUnit.SECONDS)).isEqualTo(5);
    }

    @Test
    void refusesAHandoverItCannotMake() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> launcher.launch(List.of("/bin/true"), dir, Map.of(), null,
                        Handover.of(0, "web", false)))
                .isInstanceOf(IOException.class).hasMessageContaining("cannot hand listening sockets");
    }
}
