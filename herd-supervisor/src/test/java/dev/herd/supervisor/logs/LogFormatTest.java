package dev.herd.supervisor.logs;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class LogFormatTest {

    private static final long T = Instant.parse("2024-03-05T09:04:05.007Z").toEpochMilli();
    private static final LogFormat JSON = LogFormat.of(null, true);

    private static LogLine line(String text) {
        return new LogLine("api", 0, 4, Stream.OUT, T, text);
    }

    @Test
    void plainLinesAreWrittenAndShownAsTheAppWroteThem() {
        assertThat(LogFormat.plain().written(line("hello"))).isEqualTo("hello");
        assertThat(LogFormat.of(null, false)).isSameAs(LogFormat.plain());
        assertThat(LogFormat.plain().shown("{\"message\":\"an app's own JSON\"}")).isEqualTo("{\"message\":\"an app's own JSON\"}");
    }

    @Test
    void aTimestampedLineIsShownWithItsTimestampAsItIsInTheFile() {
        LogFormat time = LogFormat.of(LogDateFormat.parse(LogFormat.PM2_TIME, ZoneOffset.UTC), false);
        assertThat(time.written(line("up"))).isEqualTo("2024-03-05T09:04:05: up");
        assertThat(time.shown(line("up"))).isEqualTo("2024-03-05T09:04:05: up");
        assertThat(time.shown("2024-03-05T09:04:05: up")).isEqualTo("2024-03-05T09:04:05: up");
    }

    @Test
    void jsonEscapesAsJavaScriptsJsonStringifyDoes() {
        String text = "ctl \u0001\u001f\b\f\r del \u007f é 😀 lone \ud800 end";
        assertThat(JSON.written(line(text))).startsWith(
                "{\"message\":\"ctl \\u0001\\u001f\\b\\f\\r del \u007f é 😀 lone \\ud800 end\\n\",");
        assertThat(JSON.written(new LogLine("my \"app\"", 0, 4, Stream.ERR, T, "x")))
                .endsWith(",\"type\":\"err\",\"process_id\":4,\"app_name\":\"my \\\"app\\\"\"}");
    }

    @Test
    void aJsonLineIsShownAsItsMessageWithoutTheNewline() {
        for (String text : new String[] {"hello", "", "quote \" backslash \\ tab \t", "é 😀 \u0001", "ends with \\"}) {
            assertThat(JSON.shown(JSON.written(line(text)))).as(text).isEqualTo(text);
            assertThat(JSON.shown(line(text))).isEqualTo(text);
        }
        // PM2 writes a whole chunk of output as one message; its inner newlines stay.
        assertThat(JSON.shown("{\"message\":\"a\\nb\\n\",\"timestamp\":\"2024-03-05T09:04:05.007Z\",\"type\":\"out\","
                + "\"process_id\":0,\"app_name\":\"api\"}")).isEqualTo("a\nb");
        assertThat(JSON.shown("{\"message\":\"\\u00e9\\/\"}")).isEqualTo("é/");
    }

    @Test
    void aLineOfAJsonFileThatIsNotOneOfItsObjectsIsShownAsItIs() {
        for (String other : new String[] {"[herd] a plain line", "{\"level\":\"info\"}", "{\"message\":\"unterminated",
                "{\"message\":\"bad escape \\x\"}", "{\"message\":\"short \\u12\"}", "{\"message\":\"trailing \\"}) {
            assertThat(JSON.shown(other)).as(other).isEqualTo(other);
        }
    }
}
