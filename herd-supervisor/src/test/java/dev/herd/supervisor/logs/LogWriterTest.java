package dev.herd.supervisor.logs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LogWriterTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    // 36 bytes of text + 64 of overhead: each line costs exactly 100 bytes of capacity.
    private static final String TEXT = "x".repeat(36);
    private static final int COST = TEXT.length() + LogWriter.LINE_OVERHEAD;

    private static LogLine line(int i) {
        return new LogLine("api", 2, 2, Stream.OUT, 1000 + i, TEXT.substring(0, 30) + String.format("%06d", i));
    }

    @Test
    void stalledSinkDropsTheExcessCountsItExactlyAndNeverBlocks() throws Exception {
        RecordingSink sink = RecordingSink.gated();
        List<String> heard = new CopyOnWriteArrayList<>();
        try (LogWriter writer = new LogWriter("test-writer", sink, 10 * COST, () -> 99_000L)) {
            writer.addListener(l -> heard.add(l.text()));
            assertThat(writer.offer(line(0))).isTrue();
            assertThat(sink.writing.await(10, TimeUnit.SECONDS)).as("writer blocked in the sink").isTrue();

            List<Boolean> accepted = assertTimeoutPreemptively(Duration.ofSeconds(5),
                    () -> IntStream.rangeClosed(1, 10_000).mapToObj(i -> writer.offer(line(i))).toList());

            // line 0 is being written and still counts against the capacity: 9 more fit.
            assertThat(accepted.subList(0, 9)).containsOnly(true);
            assertThat(accepted.subList(9, accepted.size())).containsOnly(false);
            assertThat(writer.droppedLines()).isEqualTo(10_000 - 9);
            assertThat(writer.droppedBytes()).isEqualTo((10_000L - 9) * TEXT.length());
            assertThat(sink.size()).isZero();

            sink.release();

            List<String> expected = new ArrayList<>();
            IntStream.rangeClosed(0, 9).forEach(i -> expected.add(line(i).text()));
            expected.add("[herd] dropped 9991 lines (359676 bytes): the log sink could not keep up");
            await().atMost(WAIT).untilAsserted(() -> assertThat(sink.texts()).containsExactlyElementsOf(expected));
            await().atMost(WAIT).untilAsserted(() -> assertThat(heard).containsExactlyElementsOf(expected));
            LogLine report = sink.lines().get(10);
            assertThat(report).isEqualTo(new LogLine("api", 2, 2, Stream.OUT, 99_000L, expected.get(10)));

            assertThat(writer.offer(line(20_000))).as("accepting again once caught up").isTrue();
            await().atMost(WAIT).until(() -> sink.size() == 12);
            assertThat(writer.droppedLines()).isEqualTo(10_000 - 9);
        }
    }

    @Test
    void flushesWhenTheBufferRunsEmptyNotPerLine() throws Exception {
        RecordingSink sink = RecordingSink.gated();
        try (LogWriter writer = new LogWriter("test-writer", sink, LogWriter.DEFAULT_CAPACITY)) {
            writer.offer(line(0));
            assertThat(sink.writing.await(10, TimeUnit.SECONDS)).isTrue();
            IntStream.rangeClosed(1, 500).forEach(i -> writer.offer(line(i)));

            sink.release();

            await().atMost(WAIT).until(() -> sink.flushes.get() > 0);
            assertThat(sink.size()).isEqualTo(501);
            assertThat(sink.flushes.get()).isEqualTo(1);
        }
    }

    @Test
    void closeWritesWhatIsBufferedThenClosesTheSink() throws Exception {
        RecordingSink sink = RecordingSink.gated();
        LogWriter writer = new LogWriter("test-writer", sink, LogWriter.DEFAULT_CAPACITY);
        IntStream.range(0, 100).forEach(i -> writer.offer(line(i)));
        assertThat(sink.writing.await(10, TimeUnit.SECONDS)).isTrue();
        sink.release();

        writer.close(WAIT);

        assertThat(sink.size()).isEqualTo(100);
        assertThat(sink.closed()).isTrue();
        assertThat(writer.offer(line(100))).isFalse();
        assertThat(writer.droppedLines()).as("offers after close are not drops").isZero();
        writer.close();
    }

    @Test
    void closeGivesUpOnAStuckSinkAndTheWriterClosesItLater() throws Exception {
        RecordingSink sink = RecordingSink.gated();
        LogWriter writer = new LogWriter("test-writer", sink, LogWriter.DEFAULT_CAPACITY);
        IntStream.range(0, 100).forEach(i -> writer.offer(line(i)));
        assertThat(sink.writing.await(10, TimeUnit.SECONDS)).isTrue();

        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> writer.close(Duration.ofMillis(50)));

        await().atMost(WAIT).until(sink::closed);
        assertThat(sink.size()).isZero();
    }

    @Test
    void aFailingSinkLosesOnlyTheFailedLinesAndListenersStillHearThem() {
        RecordingSink sink = RecordingSink.failing(l -> l.text().startsWith("bad"));
        List<String> heard = new CopyOnWriteArrayList<>();
        try (LogWriter writer = new LogWriter("test-writer", sink, LogWriter.DEFAULT_CAPACITY)) {
            writer.addListener(l -> heard.add(l.text()));
            for (String text : List.of("one", "bad 1", "bad 2", "two")) {
                writer.offer(new LogLine("api", 0, 0, Stream.ERR, 0, text));
            }

            await().atMost(WAIT).until(() -> heard.size() == 4);
            assertThat(sink.texts()).containsExactly("one", "two");
            assertThat(heard).containsExactly("one", "bad 1", "bad 2", "two");
            assertThat(writer.droppedLines()).as("the failed ones are counted as lost (a full disk)").isEqualTo(2);
            assertThat(writer.droppedBytes()).isEqualTo("bad 1".length() + "bad 2".length());
        }
    }

    @Test
    void aThrowingListenerIsRemovedAndOthersKeepHearing() {
        RecordingSink sink = RecordingSink.open();
        List<String> heard = new CopyOnWriteArrayList<>();
        List<String> faulty = new CopyOnWriteArrayList<>();
        try (LogWriter writer = new LogWriter("test-writer", sink, LogWriter.DEFAULT_CAPACITY)) {
            writer.addListener(l -> {
                faulty.add(l.text());
                throw new IllegalStateException("client went away");
            });
            writer.addListener(l -> heard.add(l.text()));
            writer.offer(new LogLine("api", 0, 0, Stream.OUT, 0, "a"));
            writer.offer(new LogLine("api", 0, 0, Stream.OUT, 0, "b"));

            await().atMost(WAIT).until(() -> heard.size() == 2);
            assertThat(faulty).containsExactly("a");
            assertThat(sink.texts()).containsExactly("a", "b");
        }
    }

    @Test
    void removedListenerHearsNoMore() {
        RecordingSink sink = RecordingSink.open();
        List<String> heard = new CopyOnWriteArrayList<>();
        LogListener listener = l -> heard.add(l.text());
        try (LogWriter writer = new LogWriter("test-writer", sink, LogWriter.DEFAULT_CAPACITY)) {
            writer.addListener(listener);
            writer.offer(new LogLine("api", 0, 0, Stream.OUT, 0, "a"));
            await().atMost(WAIT).until(() -> heard.size() == 1);

            writer.removeListener(listener);
            writer.offer(new LogLine("api", 0, 0, Stream.OUT, 0, "b"));

            await().atMost(WAIT).until(() -> sink.size() == 2);
            assertThat(heard).containsExactly("a");
        }
    }

    @Test
    void aLineLargerThanTheCapacityIsAcceptedIntoAnEmptyBuffer() throws Exception {
        RecordingSink sink = RecordingSink.gated();
        try (LogWriter writer = new LogWriter("test-writer", sink, 10)) {
            assertThat(writer.offer(line(0))).isTrue();
            assertThat(sink.writing.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(writer.offer(line(1))).isFalse();
            sink.release();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "plain", "é ü", "中文 text", "emoji 😀 pair", "\ud800 unpaired high", "low \udc00", "end \ud83d"})
    void utf8LengthMatchesTheEncoder(String text) {
        assertThat(LogWriter.utf8Length(text)).isEqualTo(text.getBytes(StandardCharsets.UTF_8).length);
    }
}
