package dev.herd.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.herd.supervisor.logs.LogRegistry;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class LogPolicyTest {

    private static final Path DIR = Path.of("/srv/logs");

    private static LogPolicy policy(boolean merge, Path logFile) {
        return new LogPolicy(DIR.resolve("api-out.log"), DIR.resolve("api-error.log"), merge, null, 0, 0, logFile, false);
    }

    @Test
    void everyFileOfAnInstanceGetsItsIndexWhenAnAppHasSeveralUnlessMerged() {
        LogPolicy separate = policy(false, DIR.resolve("api.log"));
        assertThat(separate.outFileOf(1, 2)).isEqualTo(DIR.resolve("api-out-1.log"));
        assertThat(separate.errorFileOf(1, 2)).isEqualTo(DIR.resolve("api-error-1.log"));
        assertThat(separate.logFileOf(1, 2)).isEqualTo(DIR.resolve("api-1.log"));
        assertThat(separate.logFileOf(0, 1)).isEqualTo(DIR.resolve("api.log"));
        assertThat(policy(true, DIR.resolve("api.log")).logFileOf(1, 2)).isEqualTo(DIR.resolve("api.log"));
        assertThat(policy(false, null).logFileOf(1, 2)).isNull();
    }

    @Test
    void devNullStaysDevNullForEveryInstance() {
        LogPolicy discarded = new LogPolicy(LogRegistry.DISCARD, LogRegistry.DISCARD, false, null, 0, 0,
                LogRegistry.DISCARD, false);
        assertThat(discarded.outFileOf(1, 3)).isEqualTo(LogRegistry.DISCARD);
        assertThat(discarded.errorFileOf(2, 3)).isEqualTo(LogRegistry.DISCARD);
        assertThat(discarded.logFileOf(2, 3)).isEqualTo(LogRegistry.DISCARD);
    }

    @Test
    void theFormatIsJsonOrTimestampedAsAsked() {
        assertThat(policy(false, null).format().json()).isFalse();
        assertThat(new LogPolicy(DIR, DIR, false, "YYYY", 0, 0, null, true).format().json()).isTrue();
        assertThatThrownBy(() -> new LogPolicy(DIR, DIR, false, "Do MMMM", 0, 0).format())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("\"Do\"");
    }
}
