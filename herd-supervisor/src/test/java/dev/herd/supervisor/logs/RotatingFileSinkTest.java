package dev.herd.supervisor.logs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RotatingFileSinkTest {

    @TempDir
    Path dir;

    /** A line of exactly 19 characters, 20 bytes in the file. */
    private static LogLine line(int i) {
        return new LogLine("api", 0, 0, Stream.OUT, 0, String.format("line-%014d", i));
    }

    private static List<String> read(Path file) throws IOException {
        return Files.readAllLines(file, StandardCharsets.UTF_8);
    }

    private static List<String> texts(int from, int toExclusive) {
        return IntStream.range(from, toExclusive).mapToObj(i -> line(i).text()).toList();
    }

    /** The log files, without their hidden times. */
    private List<String> fileNames() throws IOException {
        try (var files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).sorted().toList();
        }
    }

    private List<String> timesNames() throws IOException {
        try (var files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".")).sorted().toList();
        }
    }

    @Test
    void aFolderDeletedBehindItsBackIsMadeAgainAndLinesGoOnInANewFile() throws Exception {
        Path logs = dir.resolve("logs");
        Path log = logs.resolve("api-out.log");
        try (RotatingFileSink sink = new RotatingFileSink(log, LogFormat.plain(), 0, 3)) {
            sink.write(line(0));
            sink.flush();
            Files.delete(log);
            Files.delete(LineTimes.of(log));
            Files.delete(logs);
            int[] next = {1};
            // Written on until the sink's next check (at most RECHECK_MILLIS) finds the file gone.
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> {
                sink.write(line(next[0]++));
                sink.flush();
                return Files.exists(log);
            });
            assertThat(read(log)).as("only lines written after it was made again").isNotEmpty()
                    .allMatch(l -> !l.equals(line(0).text())).endsWith(line(next[0] - 1).text());
            assertThat(LineTimes.of(log)).as("with its times").exists();
        }
    }

    @Test
    void aFileThatIsStillInPlaceIsNotOpenedAgain() throws Exception {
        Path log = dir.resolve("api-out.log");
        try (RotatingFileSink sink = new RotatingFileSink(log, LogFormat.plain(), 0, 3)) {
            Object inode = Files.getAttribute(log, "unix:ino");
            int[] i = {0};
            // A line every poll for longer than two checks: the same file throughout, every line in it.
            org.awaitility.Awaitility.await().during(java.time.Duration.ofMillis(2 * RotatingFileSink.RECHECK_MILLIS + 500))
                    .atMost(java.time.Duration.ofSeconds(10)).until(() -> {
                        sink.write(line(i[0]++));
                        sink.flush();
                        return Files.getAttribute(log, "unix:ino").equals(inode);
                    });
            assertThat(read(log)).hasSize(i[0]);
        }
    }

    @Test
    void rotatesBeforeExceedingMaxSizeAndKeepsExactlyRetainFiles() throws IOException {
        Path log = dir.resolve("api-out.log");
        try (RotatingFileSink sink = new RotatingFileSink(log, LogFormat.plain(), 100, 3)) {
            for (int i = 0; i < 40; i++) {
                sink.write(line(i));
            }
            sink.flush();
        }

        // Five 20-byte lines fill a 100-byte file exactly; the sixth rotates it.
        assertThat(fileNames()).containsExactly("api-out.log", "api-out.log.1", "api-out.log.2", "api-out.log.3");
        assertThat(timesNames()).as("the times go with their files").containsExactly(".api-out.log.1.times",
                ".api-out.log.2.times", ".api-out.log.3.times", ".api-out.log.times");
        assertThat(read(log)).isEqualTo(texts(35, 40));
        assertThat(read(dir.resolve("api-out.log.1"))).isEqualTo(texts(30, 35));
        assertThat(read(dir.resolve("api-out.log.2"))).isEqualTo(texts(25, 30));
        assertThat(read(dir.resolve("api-out.log.3"))).isEqualTo(texts(20, 25));
    }

    @Test
    void retainZeroTruncatesInsteadOfKeepingFiles() throws IOException {
        Path log = dir.resolve("api-out.log");
        try (RotatingFileSink sink = new RotatingFileSink(log, LogFormat.plain(), 100, 0)) {
            for (int i = 0; i < 12; i++) {
                sink.write(line(i));
            }
            sink.flush();
        }

        assertThat(fileNames()).containsExactly("api-out.log");
        assertThat(read(log)).isEqualTo(texts(10, 12));
    }

    @Test
    void maxSizeZeroNeverRotates() throws IOException {
        Path log = dir.resolve("api-out.log");
        try (RotatingFileSink sink = new RotatingFileSink(log, LogFormat.plain(), 0, 3)) {
            for (int i = 0; i < 100; i++) {
                sink.write(line(i));
            }
        }

        assertThat(fileNames()).containsExactly("api-out.log");
        assertThat(read(log)).isEqualTo(texts(0, 100));
    }

    @Test
    void countsAnExistingFileTowardsTheLimit() throws IOException {
        Path log = dir.resolve("api-out.log");
        Files.writeString(log, "x".repeat(89) + "\n");
        try (RotatingFileSink sink = new RotatingFileSink(log, LogFormat.plain(), 100, 2)) {
            sink.write(line(0));
        }

        assertThat(read(dir.resolve("api-out.log.1"))).containsExactly("x".repeat(89));
        assertThat(read(log)).isEqualTo(texts(0, 1));
    }

    @Test
    void aLineLongerThanMaxSizeGoesAloneIntoAFreshFile() throws IOException {
        Path log = dir.resolve("api-out.log");
        String longText = "y".repeat(250);
        try (RotatingFileSink sink = new RotatingFileSink(log, LogFormat.plain(), 100, 2)) {
            sink.write(line(0));
            sink.write(new LogLine("api", 0, 0, Stream.OUT, 0, longText));
            sink.write(line(1));
        }

        assertThat(read(dir.resolve("api-out.log.2"))).isEqualTo(texts(0, 1));
        assertThat(read(dir.resolve("api-out.log.1"))).containsExactly(longText);
        assertThat(read(log)).isEqualTo(texts(1, 2));
    }

    @Test
    void prefixesTimestampsWhenADateFormatIsSet() throws IOException {
        Path log = dir.resolve("api-out.log");
        LogDateFormat format = LogDateFormat.parse("YYYY-MM-DD HH:mm:ss.SSS Z", ZoneOffset.UTC);
        long t = Instant.parse("2024-03-05T09:04:05.007Z").toEpochMilli();
        try (RotatingFileSink sink = new RotatingFileSink(log, LogFormat.of(format, false), 0, 0)) {
            sink.write(new LogLine("api", 0, 0, Stream.OUT, t, "hello"));
            sink.write(new LogLine("api", 0, 0, Stream.OUT, t, "same millisecond"));
            sink.write(new LogLine("api", 0, 0, Stream.OUT, t + 1001, "héllo wörld"));
        }

        assertThat(Files.readString(log, StandardCharsets.UTF_8)).isEqualTo(
                "2024-03-05 09:04:05.007 +00:00: hello\n"
                        + "2024-03-05 09:04:05.007 +00:00: same millisecond\n"
                        + "2024-03-05 09:04:06.008 +00:00: héllo wörld\n");
    }

    @Test
    void timeTrueWritesPm2sDefaultTimestampAndColonBeforeEachLine() throws IOException {
        Path log = dir.resolve("api-out.log");
        LogFormat time = LogFormat.of(LogDateFormat.parse(LogFormat.PM2_TIME, ZoneOffset.UTC), false);
        long t = Instant.parse("2024-03-05T09:04:05.007Z").toEpochMilli();
        try (RotatingFileSink sink = new RotatingFileSink(log, time, 0, 0)) {
            sink.write(new LogLine("api", 0, 0, Stream.OUT, t, "listening on 3000"));
            sink.write(new LogLine("api", 0, 0, Stream.ERR, t + 1000, ""));
        }

        assertThat(Files.readString(log, StandardCharsets.UTF_8))
                .isEqualTo("2024-03-05T09:04:05: listening on 3000\n2024-03-05T09:04:06: \n");
    }

    @Test
    void jsonLinesAreObjectsWithPm2sKeysInPm2sOrder() throws IOException {
        Path log = dir.resolve("api.log");
        long t = Instant.parse("2024-03-05T09:04:05Z").toEpochMilli();
        try (RotatingFileSink sink = new RotatingFileSink(log, LogFormat.of(null, true), 0, 0)) {
            sink.write(new LogLine("api", 1, 7, Stream.OUT, t, "said \"hi\"\tto C:\\"));
            sink.write(new LogLine("api", 1, 7, Stream.ERR, t + 12, "oops"));
        }
        Path dated = dir.resolve("dated.log");
        try (RotatingFileSink sink = new RotatingFileSink(dated,
                LogFormat.of(LogDateFormat.parse("YYYY-MM-DD HH:mm", ZoneOffset.UTC), true), 0, 0)) {
            sink.write(new LogLine("api", 1, 7, Stream.OUT, t, "dated"));
        }

        assertThat(read(log)).containsExactly(
                "{\"message\":\"said \\\"hi\\\"\\tto C:\\\\\\n\",\"timestamp\":\"2024-03-05T09:04:05.000Z\","
                        + "\"type\":\"out\",\"process_id\":7,\"app_name\":\"api\"}",
                "{\"message\":\"oops\\n\",\"timestamp\":\"2024-03-05T09:04:05.012Z\",\"type\":\"err\","
                        + "\"process_id\":7,\"app_name\":\"api\"}");
        assertThat(read(dated)).containsExactly("{\"message\":\"dated\\n\",\"timestamp\":\"2024-03-05 09:04\","
                + "\"type\":\"out\",\"process_id\":7,\"app_name\":\"api\"}");
    }

    @Test
    void rotationCountsBytesNotCharacters() throws IOException {
        Path log = dir.resolve("api-out.log");
        // 9 two-byte characters + newline = 19 bytes; 5 of them make 95 bytes, the sixth rotates.
        String text = "é".repeat(9);
        try (RotatingFileSink sink = new RotatingFileSink(log, LogFormat.plain(), 100, 1)) {
            for (int i = 0; i < 6; i++) {
                sink.write(new LogLine("api", 0, 0, Stream.OUT, 0, text));
            }
        }

        assertThat(Files.size(dir.resolve("api-out.log.1"))).isEqualTo(95);
        assertThat(read(log)).containsExactly(text);
    }

    @Test
    void truncateEmptiesTheFileAndLaterLinesStartOver() throws IOException {
        Path log = dir.resolve("api-out.log");
        try (RotatingFileSink sink = new RotatingFileSink(log, LogFormat.plain(), 100, 1)) {
            for (int i = 0; i < 4; i++) {
                sink.write(line(i));
            }
            sink.truncate();
            assertThat(Files.size(log)).isZero();

            for (int i = 4; i < 9; i++) {
                sink.write(line(i));
            }
            sink.flush();
        }

        // After the truncate the size starts from 0 again: five lines fit without rotating.
        assertThat(read(log)).isEqualTo(texts(4, 9));
        assertThat(fileNames()).containsExactly("api-out.log");
    }

    @Test
    void truncateWhileAnotherThreadWritesLeavesOnlyWholeLines() throws Exception {
        Path log = dir.resolve("api-out.log");
        try (RotatingFileSink sink = new RotatingFileSink(log, LogFormat.plain(), 0, 0)) {
            CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> {
                try {
                    for (int i = 0; i < 20_000; i++) {
                        sink.write(line(i));
                    }
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            for (int i = 0; i < 20; i++) {
                sink.truncate();
            }
            writing.join();
            sink.flush();
        }

        assertThat(read(log)).allMatch(l -> l.matches("line-\\d{14}"));
        assertThat(Files.size(log) % 20).isZero();
    }

    @Test
    void createsParentDirectories() throws IOException {
        Path log = dir.resolve("logs/deep/api-out.log");
        try (RotatingFileSink sink = new RotatingFileSink(log, LogFormat.plain(), 0, 0)) {
            sink.write(line(1));
            assertThat(sink.path()).isEqualTo(log);
        }

        assertThat(read(log)).isEqualTo(texts(1, 2));
    }
}
