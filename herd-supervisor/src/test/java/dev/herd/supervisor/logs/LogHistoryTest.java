package dev.herd.supervisor.logs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link LogHistory} on files a real {@link RotatingFileSink} wrote, with times it noted beside them. */
class LogHistoryTest {

    private static final long T0 = 1_700_000_000_000L;

    @TempDir
    Path dir;

    private Path log() {
        return dir.resolve("api-out.log");
    }

    /** Writes one line per entry of {@code seconds}: line i at T0 + seconds[i] s. */
    private void write(RotatingFileSink sink, int from, long... seconds) throws IOException {
        for (int i = 0; i < seconds.length; i++) {
            sink.write(new LogLine("api", 0, 0, Stream.OUT, T0 + seconds[i] * 1000 + 7, "line " + (from + i)));
        }
        sink.flush();
    }

    private static List<String> texts(List<LogHistory.Line> lines) {
        return lines.stream().map(LogHistory.Line::text).toList();
    }

    @Test
    void linesOfOneSecondGetTheirTimeToTenMilliseconds() throws IOException {
        try (RotatingFileSink sink = new RotatingFileSink(log(), LogFormat.plain(), 0, 0)) {
            for (long at : new long[] {0, 4, 20, 250, 251, 999}) {
                sink.write(new LogLine("api", 0, 0, Stream.OUT, T0 + at, "at " + at));
            }
        }

        // Within a 10 ms grain a line takes the time of the grain's first line: at most 10 ms early.
        assertThat(LogHistory.read(log(), LogHistory.ALL, LogHistory.EVER)).extracting(LogHistory.Line::epochMillis)
                .containsExactly(T0, T0, T0 + 20, T0 + 250, T0 + 250, T0 + 999);
    }

    @Test
    void eachLineHasTheTimeItWasWrittenToTheSecond() throws IOException {
        try (RotatingFileSink sink = new RotatingFileSink(log(), LogFormat.plain(), 0, 0)) {
            write(sink, 0, 0, 0, 5, 9);
        }

        List<LogHistory.Line> lines = LogHistory.read(log(), LogHistory.ALL, LogHistory.EVER);

        assertThat(texts(lines)).containsExactly("line 0", "line 1", "line 2", "line 3");
        assertThat(lines).extracting(LogHistory.Line::epochMillis)
                .containsExactly(T0 + 7, T0 + 7, T0 + 5007, T0 + 9007);
        assertThat(Files.readString(log())).as("the log holds the app's lines only").isEqualTo(
                "line 0\nline 1\nline 2\nline 3\n");
    }

    @Test
    void sinceStartsAtTheFirstLineWrittenThenAndLinesStillCount() throws IOException {
        try (RotatingFileSink sink = new RotatingFileSink(log(), LogFormat.plain(), 0, 0)) {
            write(sink, 0, 0, 10, 20, 30, 40);
        }

        assertThat(texts(LogHistory.read(log(), LogHistory.ALL, T0 + 20_000))).containsExactly("line 2", "line 3",
                "line 4");
        assertThat(texts(LogHistory.read(log(), 2, T0 + 20_000))).containsExactly("line 3", "line 4");
        assertThat(texts(LogHistory.read(log(), LogHistory.ALL, T0 + 50_000))).isEmpty();
    }

    @Test
    void sinceReachesBackThroughRotatedFilesAsFarAsNeededOnly() throws IOException {
        // 7-byte lines, three to a 21-byte file: lines 0-2 end in .2, 3-5 in .1, 6-7 in the current file.
        try (RotatingFileSink sink = new RotatingFileSink(log(), LogFormat.plain(), 21, 5)) {
            write(sink, 0, 0, 1, 2, 3, 4, 5, 6, 7);
        }
        assertThat(Files.exists(dir.resolve("api-out.log.2"))).isTrue();

        assertThat(texts(LogHistory.read(log(), LogHistory.ALL, T0 + 4_000))).containsExactly("line 4", "line 5",
                "line 6", "line 7");
        assertThat(texts(LogHistory.read(log(), LogHistory.ALL, T0 + 1_000))).containsExactly("line 1", "line 2",
                "line 3", "line 4", "line 5", "line 6", "line 7");
        assertThat(texts(LogHistory.read(log(), 5, LogHistory.EVER))).containsExactly("line 3", "line 4", "line 5",
                "line 6", "line 7");
    }

    @Test
    void aFlushEmptiesTheTimesWithTheFile() throws IOException {
        try (RotatingFileSink sink = new RotatingFileSink(log(), LogFormat.plain(), 0, 0)) {
            write(sink, 0, 0, 1);
            sink.truncate();
            write(sink, 2, 50);
        }

        List<LogHistory.Line> lines = LogHistory.read(log(), LogHistory.ALL, LogHistory.EVER);

        assertThat(texts(lines)).containsExactly("line 2");
        assertThat(lines.get(0).epochMillis()).isEqualTo(T0 + 50_007);
    }

    @Test
    void aFileWithoutTimesCountsAsWrittenWhenItWasLastModified() throws IOException {
        Files.writeString(log(), "a\nb\n");
        Files.setLastModifiedTime(log(), FileTime.fromMillis(T0));

        assertThat(LogHistory.read(log(), LogHistory.ALL, LogHistory.EVER)).extracting(LogHistory.Line::epochMillis)
                .containsExactly(0L, 0L);
        assertThat(texts(LogHistory.read(log(), LogHistory.ALL, T0 - 1))).containsExactly("a", "b");
        assertThat(LogHistory.read(log(), LogHistory.ALL, T0 + 1)).isEmpty();
    }

    @Test
    void reopeningAfterAnotherProgramTruncatedTheFileForgetsTimesOfLinesThatAreGone() throws IOException {
        try (RotatingFileSink sink = new RotatingFileSink(log(), LogFormat.plain(), 0, 0)) {
            write(sink, 0, 0, 1, 2);
        }
        Files.writeString(log(), "");
        try (RotatingFileSink sink = new RotatingFileSink(log(), LogFormat.plain(), 0, 0)) {
            write(sink, 3, 9);
        }

        assertThat(LogHistory.read(log(), LogHistory.ALL, LogHistory.EVER))
                .containsExactly(new LogHistory.Line("line 3", T0 + 9_007));
    }
}
