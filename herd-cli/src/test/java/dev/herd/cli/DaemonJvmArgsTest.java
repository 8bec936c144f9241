package dev.herd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.herd.daemon.HerdException;
import dev.herd.daemon.InstanceLimit;

/** The daemon's JVM options, by what the JVM that will run it knows. */
class DaemonJvmArgsTest {

    private static InstanceLimit limit() throws HerdException {
        return InstanceLimit.of(Map.of(), "herd update");
    }

    @Test
    void theNativeHeapIsTrimmedWhereTheJvmCan() throws HerdException {
        assertThat(DaemonClient.daemonJvmArgs(limit(), "TrimNativeHeapInterval"::equals))
                .contains("-XX:TrimNativeHeapInterval=5000", "-XX:+UseSerialGC", "-Xms8m", "-XX:+ExitOnOutOfMemoryError");
    }

    @Test
    void aJvmWithoutTheOptionIsNotGivenIt() throws HerdException {
        assertThat(DaemonClient.daemonJvmArgs(limit(), name -> false))
                .noneMatch(o -> o.contains("TrimNativeHeapInterval")).contains("-XX:+UseSerialGC");
    }

    @Test
    void theOptionsOfThisJvmAreAskedOfIt() {
        assertThat(DaemonClient.vmHasOption("MaxHeapSize")).isTrue();
        assertThat(DaemonClient.vmHasOption("NoSuchOptionAtAll")).isFalse();
    }
}
