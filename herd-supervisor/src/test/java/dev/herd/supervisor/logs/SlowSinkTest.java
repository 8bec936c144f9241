package dev.herd.supervisor.logs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.lang.ProcessBuilder.Redirect;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The promise the whole package exists for: a child that writes fast into a log sink that has
 * stopped answering is neither blocked nor slowed, and every line is either written or counted.
 */
class SlowSinkTest {

    private static final long LINES = 1_000_000;
    private static final int WIDTH = 100;

    @Test
    void aChildWriting100MbIntoAStalledSinkRunsToCompletion() throws Exception {
        RecordingSink sink = RecordingSink.gated();
        LogWriter writer = new LogWriter("herd-log-flood", sink, LogWriter.DEFAULT_CAPACITY);
        Process child = new ProcessBuilder("bash", "-c",
                "head -c " + LINES * WIDTH + " /dev/zero | tr '\\0' x | fold -w " + WIDTH)
                .redirectInput(Redirect.from(new File("/dev/null")))
                .redirectError(Redirect.DISCARD)
                .start();
        try {
            OutputPump pump = OutputPump.start(child.getInputStream(), "flood", 0, 0, Stream.OUT, List.of(writer),
                    System::currentTimeMillis);

            assertThat(child.waitFor(60, TimeUnit.SECONDS)).as("the child exited on its own").isTrue();
            assertThat(child.exitValue()).isZero();
            pump.done().get(60, TimeUnit.SECONDS);

            assertThat(sink.size()).as("the sink is still stalled").isZero();
            assertThat(pump.lines()).isEqualTo(LINES);
            long dropped = writer.droppedLines();
            assertThat(dropped).isPositive();
            assertThat(writer.droppedBytes()).isEqualTo(dropped * WIDTH);

            sink.release();
            writer.close(Duration.ofSeconds(30));

            List<String> written = sink.texts();
            List<String> accepted = written.subList(0, written.size() - 1);
            assertThat(accepted.size() + dropped).as("offered = accepted + dropped").isEqualTo(pump.lines());
            assertThat(accepted).isNotEmpty().allMatch(t -> t.length() == WIDTH && t.chars().allMatch(c -> c == 'x'));
            assertThat(written.get(written.size() - 1)).isEqualTo("[herd] dropped " + dropped + " lines ("
                    + dropped * WIDTH + " bytes): the log sink could not keep up");
            assertThat(sink.closed()).isTrue();
        } finally {
            sink.release();
            child.destroyForcibly();
            writer.close();
        }
    }
}
