package dev.herd.supervisor.logs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class OutputPumpTest {

    private static final int MAX = LineSplitter.MAX_LINE;

    private static List<String> pump(InputStream in) throws Exception {
        RecordingSink sink = RecordingSink.open();
        LogWriter writer = new LogWriter("test-writer", sink, Integer.MAX_VALUE);
        OutputPump pump = OutputPump.start(in, "api", 0, 0, Stream.OUT, List.of(writer), () -> 0L);
        pump.done().get(10, TimeUnit.SECONDS);
        writer.close(Duration.ofSeconds(10));
        assertThat(pump.lines()).isEqualTo(sink.size());
        return sink.texts();
    }

    private static List<String> pump(String text) throws Exception {
        return pump(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
    }

    /** Splits with the bytes arriving in chunks of {@code chunk}, as reads from a pipe might. */
    private static List<String> split(byte[] bytes, int chunk) {
        List<String> lines = new ArrayList<>();
        LineSplitter splitter = new LineSplitter(lines::add);
        for (int off = 0; off < bytes.length; off += chunk) {
            splitter.feed(bytes, off, Math.min(chunk, bytes.length - off));
        }
        splitter.finish();
        return lines;
    }

    @Test
    void splitsAtNewlineAndCrLf() throws Exception {
        assertThat(pump("one\ntwo\r\nthree\n")).containsExactly("one", "two", "three");
    }

    @Test
    void keepsEmptyLinesAndALastLineWithoutTerminator() throws Exception {
        assertThat(pump("\n\r\nmiddle\n\nlast")).containsExactly("", "", "middle", "", "last");
    }

    @Test
    void keepsCarriageReturnsThatDoNotEndALine() throws Exception {
        assertThat(pump("10%\r50%\r100%\n\r\r\nend\r")).containsExactly("10%\r50%\r100%", "\r", "end\r");
    }

    @Test
    void emptyStreamHasNoLines() throws Exception {
        assertThat(pump("")).isEmpty();
    }

    @Test
    void cutsA40KibLineIntoThreePieces() throws Exception {
        String line = "a".repeat(MAX) + "b".repeat(MAX) + "c".repeat(8 * 1024);

        assertThat(pump(line + "\nnext\n"))
                .containsExactly("a".repeat(MAX), "b".repeat(MAX), "c".repeat(8 * 1024), "next");
    }

    @Test
    void aLineOfExactly16KibIsNotCutEvenBeforeCrLf() throws Exception {
        assertThat(pump("a".repeat(MAX) + "\r\nb\n")).containsExactly("a".repeat(MAX), "b");
        assertThat(pump("a".repeat(MAX) + "\n")).containsExactly("a".repeat(MAX));
    }

    @Test
    void aCutNeverSplitsAMultibyteCharacter() throws Exception {
        String line = "a".repeat(MAX - 1) + "€rest";

        assertThat(pump(line + "\n")).containsExactly("a".repeat(MAX - 1), "€rest");
    }

    @ParameterizedTest(name = "chunks of {0} bytes")
    @ValueSource(ints = {1, 2, 3, 5, 7, 64 * 1024})
    void decodesMultibyteCharactersSplitAcrossReads(int chunk) {
        String text = "héllo wörld\r\n中文 😀\nend ½";
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);

        assertThat(split(bytes, chunk)).containsExactly("héllo wörld", "中文 😀", "end ½");
    }

    @Test
    void decodesThroughThePumpOneByteAtATime() throws Exception {
        byte[] bytes = "ünïcödé 😀\nzwei\n".getBytes(StandardCharsets.UTF_8);
        InputStream trickle = new InputStream() {
            private int next;

            @Override
            public int read() {
                return next < bytes.length ? bytes[next++] & 0xFF : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (next >= bytes.length) {
                    return -1;
                }
                b[off] = bytes[next++];
                return 1;
            }
        };

        assertThat(pump(trickle)).containsExactly("ünïcödé 😀", "zwei");
    }

    @Test
    void replacesMalformedUtf8() throws Exception {
        byte[] bytes = {'o', 'k', (byte) 0xFF, (byte) 0xC3, '\n'};

        assertThat(pump(new ByteArrayInputStream(bytes))).containsExactly("ok\uFFFD\uFFFD");
    }

    @Test
    void aReadErrorEndsThePumpAfterOfferingThePartialLine() throws Exception {
        InputStream broken = new InputStream() {
            private final InputStream start = new ByteArrayInputStream("first\npart".getBytes(StandardCharsets.UTF_8));

            @Override
            public int read() throws IOException {
                int b = start.read();
                if (b < 0) {
                    throw new IOException("pipe broke");
                }
                return b;
            }
        };

        assertThat(pump(broken)).containsExactly("first", "part");
    }

    @Test
    void stampsEachLineWithTheSuppliedClockAndItsOrigin() throws Exception {
        RecordingSink sink = RecordingSink.open();
        AtomicLong clock = new AtomicLong(1_000);
        try (LogWriter writer = new LogWriter("test-writer", sink, LogWriter.DEFAULT_CAPACITY)) {
            OutputPump pump = OutputPump.start(new ByteArrayInputStream("a\nb\n".getBytes(StandardCharsets.UTF_8)),
                    "worker", 3, 3, Stream.ERR, List.of(writer), clock::getAndIncrement);
            pump.done().get(10, TimeUnit.SECONDS);
            writer.close(Duration.ofSeconds(10));

            assertThat(pump.lines()).isEqualTo(2);
            assertThat(sink.lines()).containsExactly(
                    new LogLine("worker", 3, 3, Stream.ERR, 1_000, "a"),
                    new LogLine("worker", 3, 3, Stream.ERR, 1_001, "b"));
        }
    }

    @Test
    void aPartialLineIsWrittenOnceTheAppIsQuietAndWhatFollowsStartsANewLine() throws Exception {
        PipeLike pipe = new PipeLike();
        RecordingSink sink = RecordingSink.open();
        try (LogWriter writer = new LogWriter("test-writer", sink, LogWriter.DEFAULT_CAPACITY)) {
            OutputPump pump = OutputPump.start(pipe, "api", 0, 0, Stream.OUT, List.of(writer), () -> 0L,
                    Duration.ofMillis(50));
            pipe.write("Continue? [y/N] ");

            // The stream stays open: only the quiet time can have written it.
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> sink.texts().contains("Continue? [y/N] "));
            pipe.write("answered\nlast\n");
            pipe.close();
            pump.done().get(10, TimeUnit.SECONDS);
            writer.close(Duration.ofSeconds(10));

            assertThat(sink.texts()).containsExactly("Continue? [y/N] ", "answered", "last");
            assertThat(pump.lines()).isEqualTo(3);
        }
    }

    @Test
    void aLineEndedBeforeTheQuietTimeIsNotCut() throws Exception {
        PipeLike pipe = new PipeLike();
        RecordingSink sink = RecordingSink.open();
        try (LogWriter writer = new LogWriter("test-writer", sink, LogWriter.DEFAULT_CAPACITY)) {
            OutputPump pump = OutputPump.start(pipe, "api", 0, 0, Stream.OUT, List.of(writer), () -> 0L,
                    Duration.ofHours(1));
            pipe.write("half ");
            pipe.write("and half\n");
            pipe.close();
            pump.done().get(10, TimeUnit.SECONDS);
            writer.close(Duration.ofSeconds(10));

            assertThat(sink.texts()).containsExactly("half and half");
        }
    }

    /** A pipe whose reads block until the test writes, as a child's stdout does. */
    private static final class PipeLike extends InputStream {
        private static final byte[] END = new byte[0];
        private final BlockingQueue<byte[]> chunks = new LinkedBlockingQueue<>();
        private byte[] current = new byte[0];
        private int pos;

        void write(String text) {
            chunks.add(text.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public void close() {
            chunks.add(END);
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (pos == current.length) {
                try {
                    current = chunks.take();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException(e);
                }
                pos = 0;
                if (current == END) {
                    chunks.add(END);
                    return -1;
                }
            }
            int n = Math.min(len, current.length - pos);
            System.arraycopy(current, pos, b, off, n);
            pos += n;
            return n;
        }
    }
}
