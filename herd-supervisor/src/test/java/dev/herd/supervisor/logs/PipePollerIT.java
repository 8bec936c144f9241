package dev.herd.supervisor.logs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.herd.supervisor.ProcessLauncher;
import dev.herd.supervisor.SpawnLauncher;

/**
 * Output pumps of real children on the one polling thread: many pipes at once, a flooding one
 * beside quiet ones, partial lines, and each pipe's end.
 */
class PipePollerIT {

    @TempDir
    Path dir;

    private static final ProcessLauncher LAUNCHER = new SpawnLauncher();

    private record Pumped(OutputPump pump, LogWriter writer, RecordingSink sink) {
    }

    private Pumped pump(String script, int index) throws Exception {
        ProcessLauncher.Launched p = LAUNCHER.launch(List.of("/bin/sh", "-c", script), dir,
                Map.of("PATH", System.getenv("PATH")), null);
        int fd = p.takeStdoutFd();
        assertThat(fd).as("SpawnLauncher hands the raw read end over").isNotNegative();
        assertThat(p.takeStdoutFd()).as("once").isEqualTo(-1);
        p.stderr().close();
        RecordingSink sink = RecordingSink.open();
        LogWriter writer = new LogWriter("test-" + index, sink, Integer.MAX_VALUE);
        return new Pumped(OutputPump.poll(fd, "app", index, index, Stream.OUT, List.of(writer), () -> 0L), writer, sink);
    }

    @Test
    void fiftyChildrenAndAFloodAreAllReadWholeAndInOrderOnOneThread() throws Exception {
        List<Pumped> all = new ArrayList<>();
        // One writes 200,000 lines as fast as it can; the others a line every 10 ms.
        all.add(pump("i=0; while [ $i -lt 200000 ]; do echo \"flood $i\"; i=$((i+1)); done", 0));
        for (int n = 1; n <= 50; n++) {
            all.add(pump("for i in 1 2 3 4 5 6 7 8 9 10; do echo \"child " + n + " line $i\"; sleep 0.01; done", n));
        }
        long threadsBefore = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("herd-pump")).count();
        for (Pumped p : all) {
            p.pump().done().get(120, TimeUnit.SECONDS);
            p.writer().close(Duration.ofSeconds(30));
        }
        assertThat(threadsBefore).as("no thread per pipe").isZero();
        assertThat(Thread.getAllStackTraces().keySet()).extracting(Thread::getName).contains("herd-output");
        List<String> flood = all.get(0).sink().texts();
        assertThat(flood).hasSize(200_000);
        assertThat(flood.get(0)).isEqualTo("flood 0");
        assertThat(flood.get(199_999)).isEqualTo("flood 199999");
        for (int n = 1; n <= 50; n++) {
            List<String> expected = new ArrayList<>();
            for (int i = 1; i <= 10; i++) {
                expected.add("child " + n + " line " + i);
            }
            assertThat(all.get(n).sink().texts()).isEqualTo(expected);
        }
    }

    @Test
    void aPartialLineIsWrittenAfterAQuietTimeAndTheRestStartsANewLine() throws Exception {
        Pumped p = pump("printf 'Password: '; sleep 1; echo secret", 0);
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(10))
                .until(() -> !p.sink().texts().isEmpty());
        assertThat(p.sink().texts()).as("shown while the app waits").containsExactly("Password: ");
        p.pump().done().get(10, TimeUnit.SECONDS);
        p.writer().close(Duration.ofSeconds(10));
        assertThat(p.sink().texts()).containsExactly("Password: ", "secret");
    }
}
