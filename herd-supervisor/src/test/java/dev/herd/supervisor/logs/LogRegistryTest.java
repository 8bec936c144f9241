package dev.herd.supervisor.logs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogRegistryTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private static LogLine line(int instance, String text) {
        return new LogLine("api", instance, instance, Stream.OUT, 0, text);
    }

    private static String read(Path file) throws IOException {
        return Files.readString(file, StandardCharsets.UTF_8);
    }

    @Test
    void instancesWritingToTheSamePathShareOneWriter() throws IOException {
        Path log = dir.resolve("api-out.log");
        try (LogRegistry registry = new LogRegistry()) {
            LogWriter first = registry.acquire(log, LogFormat.plain(), 0, 0);
            LogWriter second = registry.acquire(dir.resolve("sub/../api-out.log"),
                    LogFormat.of(LogDateFormat.parse("YYYY"), false), 10, 3);

            assertThat(second).isSameAs(first);
            assertThat(registry.open()).containsOnlyKeys(log.toAbsolutePath().normalize());

            first.offer(line(0, "from 0"));
            second.offer(line(1, "from 1"));
            await().atMost(WAIT).until(() -> read(log).equals("from 0\nfrom 1\n"));
        }
    }

    @Test
    void aRegistryListenerSeesTheFirstLineOfFilesOpenedLater() throws IOException {
        java.util.List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (LogRegistry registry = new LogRegistry()) {
            LogWriter before = registry.acquire(dir.resolve("before.log"), LogFormat.plain(), 0, 0);
            registry.addListener(l -> seen.add(l.text()));
            LogWriter after = registry.acquire(dir.resolve("after.log"), LogFormat.plain(), 0, 0);

            before.offer(line(0, "old file"));
            after.offer(line(0, "first line of a new file"));
            await().atMost(WAIT).until(() -> seen.size() == 2);
            assertThat(seen).containsExactlyInAnyOrder("old file", "first line of a new file");
        }
    }

    @Test
    void releaseClosesTheWriterAfterTheLastUser() throws IOException {
        Path log = dir.resolve("api-out.log");
        try (LogRegistry registry = new LogRegistry()) {
            LogWriter writer = registry.acquire(log, LogFormat.plain(), 0, 0);
            registry.acquire(log, LogFormat.plain(), 0, 0);
            writer.offer(line(0, "kept"));

            registry.release(log);
            assertThat(registry.open()).containsOnlyKeys(log);
            assertThat(writer.offer(line(0, "still open"))).isTrue();

            registry.release(log);
            assertThat(registry.open()).isEmpty();
            assertThat(read(log)).isEqualTo("kept\nstill open\n");
            assertThat(writer.offer(line(0, "closed"))).isFalse();

            assertThatThrownBy(() -> registry.release(log))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("is not open");
        }
    }

    @Test
    void acquireAfterTheLastReleaseOpensAFreshWriterThatAppends() throws IOException {
        Path log = dir.resolve("api-out.log");
        try (LogRegistry registry = new LogRegistry()) {
            LogWriter first = registry.acquire(log, LogFormat.plain(), 0, 0);
            first.offer(line(0, "one"));
            registry.release(log);

            LogWriter second = registry.acquire(log, LogFormat.plain(), 0, 0);
            assertThat(second).isNotSameAs(first);
            second.offer(line(0, "two"));
            registry.release(log);
        }

        assertThat(read(log)).isEqualTo("one\ntwo\n");
    }

    @Test
    void flushTruncatesAnOpenFileAndDeletesItsRotatedFiles() throws IOException {
        Path log = dir.resolve("api-out.log");
        try (LogRegistry registry = new LogRegistry()) {
            LogWriter writer = registry.acquire(log, LogFormat.plain(), 5, 2);
            for (String text : new String[] {"aaaa", "bbbb", "cccc", "dddd"}) {
                writer.offer(line(0, text));
            }
            await().atMost(WAIT).until(() -> read(log).equals("dddd\n"));
            assertThat(dir.resolve("api-out.log.2")).exists();

            registry.flush(log);

            assertThat(log).isEmptyFile();
            assertThat(dir.resolve("api-out.log.1")).doesNotExist();
            assertThat(dir.resolve("api-out.log.2")).doesNotExist();
            writer.offer(line(0, "after"));
            await().atMost(WAIT).until(() -> read(log).equals("after\n"));
        }
    }

    @Test
    void flushTruncatesAFileThatIsNotOpen() throws IOException {
        Path log = Files.writeString(dir.resolve("api-out.log"), "old\n");
        Files.writeString(dir.resolve("api-out.log.1"), "older\n");
        Files.writeString(dir.resolve("api-out.log.12"), "oldest\n");
        Files.writeString(dir.resolve("api-out.log.bak"), "not ours\n");
        Files.writeString(dir.resolve("api-err.log"), "other file\n");

        try (LogRegistry registry = new LogRegistry()) {
            registry.flush(log);
            registry.flush(dir.resolve("missing.log"));
        }

        assertThat(log).isEmptyFile();
        assertThat(dir.resolve("api-out.log.1")).doesNotExist();
        assertThat(dir.resolve("api-out.log.12")).doesNotExist();
        assertThat(dir.resolve("api-out.log.bak")).hasContent("not ours");
        assertThat(dir.resolve("api-err.log")).hasContent("other file");
        assertThat(dir.resolve("missing.log")).doesNotExist();
    }

    @Test
    void timestampsFollowTheFirstAcquiresFormat() throws IOException {
        Path log = dir.resolve("api-out.log");
        try (LogRegistry registry = new LogRegistry()) {
            LogWriter writer = registry.acquire(log, LogFormat.of(LogDateFormat.parse("[at] YYYY"), false), 0, 0);
            // Mid-year, so that the year is the same in every zone the test may run in.
            long midYear = Instant.parse("2024-06-15T12:00:00Z").toEpochMilli();
            writer.offer(new LogLine("api", 0, 0, Stream.OUT, midYear, "stamped"));
            registry.release(log);
        }

        assertThat(read(log)).isEqualTo("at 2024: stamped\n");
    }

    @Test
    void aCombinedLogGetsTheLinesOfBothStreamsWhileRegistryListenersSeeEachLineOnce() throws Exception {
        Path combined = dir.resolve("api.log");
        List<String> seen = new CopyOnWriteArrayList<>();
        try (LogRegistry registry = new LogRegistry()) {
            registry.addListener(l -> seen.add(l.stream().label() + " " + l.text()));
            LogWriter out = registry.acquire(dir.resolve("api-out.log"), LogFormat.plain(), 0, 0);
            LogWriter err = registry.acquire(dir.resolve("api-error.log"), LogFormat.plain(), 0, 0);
            LogWriter all = registry.acquireCombined(combined, LogFormat.plain(), 0, 0);
            OutputPump outPump = OutputPump.start(input("o1\no2\n"), "api", 0, 0, Stream.OUT, List.of(out, all),
                    () -> 0L);
            OutputPump errPump = OutputPump.start(input("e1\ne2\n"), "api", 0, 0, Stream.ERR, List.of(err, all),
                    () -> 0L);
            outPump.done().get(10, TimeUnit.SECONDS);
            errPump.done().get(10, TimeUnit.SECONDS);
            await().atMost(WAIT).until(() -> read(combined).lines().count() == 4 && seen.size() == 4);

            assertThat(read(combined).lines()).containsExactlyInAnyOrder("o1", "o2", "e1", "e2")
                    .containsSubsequence("o1", "o2").containsSubsequence("e1", "e2");
            assertThat(read(dir.resolve("api-out.log"))).isEqualTo("o1\no2\n");
            assertThat(read(dir.resolve("api-error.log"))).isEqualTo("e1\ne2\n");
            assertThat(seen).containsExactlyInAnyOrder("out o1", "out o2", "err e1", "err e2");
        }
    }

    @Test
    void aCombinedLogThatIsAlsoAStreamsOwnFileGetsEachLineOnce() throws Exception {
        Path log = dir.resolve("api.log");
        try (LogRegistry registry = new LogRegistry()) {
            LogWriter out = registry.acquire(log, LogFormat.plain(), 0, 0);
            LogWriter all = registry.acquireCombined(log, LogFormat.plain(), 0, 0);
            assertThat(all).isSameAs(out);
            OutputPump.start(input("once\n"), "api", 0, 0, Stream.OUT, List.of(out, all), () -> 0L)
                    .done().get(10, TimeUnit.SECONDS);
            registry.release(log);
            await().atMost(WAIT).until(() -> read(log).equals("once\n"));
            registry.release(log);
        }

        assertThat(read(log)).isEqualTo("once\n");
    }

    @Test
    void linesForDevNullGoNowhereYetListenersStillSeeThem() throws IOException {
        List<String> seen = new CopyOnWriteArrayList<>();
        try (LogRegistry registry = new LogRegistry()) {
            registry.addListener(l -> seen.add(l.text()));
            LogWriter writer = registry.acquire(LogRegistry.DISCARD, LogFormat.plain(), 10, 3);
            // No file of its own, so no times file beside it in /dev either.
            assertThat(writer.sink()).isNotInstanceOf(RotatingFileSink.class);
            writer.offer(line(0, "gone"));
            await().atMost(WAIT).until(() -> seen.equals(List.of("gone")));
            registry.flush(LogRegistry.DISCARD);
            registry.release(LogRegistry.DISCARD);
        }
    }

    private static InputStream input(String text) {
        return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void closeClosesEveryOpenWriter() throws IOException {
        LogRegistry registry = new LogRegistry();
        LogWriter out = registry.acquire(dir.resolve("api-out.log"), LogFormat.plain(), 0, 0);
        LogWriter err = registry.acquire(dir.resolve("api-err.log"), LogFormat.plain(), 0, 0);
        out.offer(line(0, "out"));
        err.offer(line(0, "err"));

        registry.close();

        assertThat(registry.open()).isEmpty();
        assertThat(read(dir.resolve("api-out.log"))).isEqualTo("out\n");
        assertThat(read(dir.resolve("api-err.log"))).isEqualTo("err\n");
        assertThat(out.offer(line(0, "late"))).isFalse();
    }

    @Test
    void devNullIsNoFileToRotateIndexOrEmptyButListenersSeeItsLines() throws IOException {
        Path devNull = Path.of("/dev/null");
        // Other programs (an older herd) may have left an index there: this test must add to it nothing.
        Path index = Path.of("/dev/.null.times");
        String indexBefore = Files.exists(index) ? Files.getLastModifiedTime(index) + " " + Files.size(index) : "none";
        java.util.List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (LogRegistry registry = new LogRegistry()) {
            registry.addListener(l -> seen.add(l.text()));
            LogWriter writer = registry.acquire(devNull, LogFormat.of(LogDateFormat.parse("YYYY"), false), 10, 2);
            // Checked before anything is written: a file sink would rename the device when it rotates.
            assertThat(writer.sink()).isNotInstanceOf(RotatingFileSink.class);

            for (int i = 0; i < 5; i++) {
                writer.offer(line(0, "line " + i + " longer than the rotation size"));
            }
            await().atMost(WAIT).until(() -> seen.size() == 5);
            registry.flush(devNull);
            registry.release(devNull);
        }
        assertThat(Files.isRegularFile(devNull)).isFalse();
        assertThat(Path.of("/dev/null.1")).doesNotExist();
        assertThat(Files.exists(index) ? Files.getLastModifiedTime(index) + " " + Files.size(index) : "none")
                .isEqualTo(indexBefore);
    }
}
