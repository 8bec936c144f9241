package dev.herd.diagnostics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

class DebugAddressTest {

    private static Optional<DebugAddress> of(String... command) {
        return DebugAddress.of(List.of(command));
    }

    @Test
    void aJdwpServerOnABarePortListensOnLoopback() {
        assertThat(of("java", "-agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=5005", "-jar", "a.jar"))
                .contains(new DebugAddress("jdwp", "127.0.0.1", 5005, true, false));
    }

    @Test
    void aJdwpHostAndPortAreKept() {
        assertThat(of("java", "-agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=*:8000"))
                .contains(new DebugAddress("jdwp", "*", 8000, true, false));
        assertThat(of("java", "-agentlib:jdwp=transport=dt_socket,address=[::1]:8000,server=y,suspend=n"))
                .contains(new DebugAddress("jdwp", "[::1]", 8000, true, false));
    }

    @Test
    void portZeroOrNoAddressIsChosenAtStart() {
        DebugAddress zero = of("java", "-agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=127.0.0.1:0").orElseThrow();
        assertThat(zero.port()).isZero();
        assertThat(zero.address()).isEqualTo("127.0.0.1:<chosen at start>");
        assertThat(of("java", "-agentlib:jdwp=transport=dt_socket,server=y,suspend=n").orElseThrow().port()).isZero();
    }

    @Test
    void suspendDefaultsToYesAndServerToNo() {
        assertThat(of("java", "-agentlib:jdwp=transport=dt_socket,address=localhost:5005"))
                .contains(new DebugAddress("jdwp", "localhost", 5005, false, true));
    }

    @Test
    void theOldXrunjdwpFormCounts() {
        assertThat(of("java", "-Xdebug", "-Xrunjdwp:transport=dt_socket,server=y,suspend=n,address=5005"))
                .contains(new DebugAddress("jdwp", "127.0.0.1", 5005, true, false));
    }

    @Test
    void aSharedMemoryTransportOrABadPortIsNoTcpAddress() {
        assertThat(of("java", "-agentlib:jdwp=transport=dt_shmem,server=y,address=mem")).isEmpty();
        assertThat(of("java", "-agentlib:jdwp=transport=dt_socket,server=y,address=99999")).isEmpty();
    }

    @Test
    void nodeInspectorDefaultsTo9229OnLoopback() {
        assertThat(of("node", "--inspect", "app.js")).contains(new DebugAddress("node inspector", "127.0.0.1", 9229, true, false));
    }

    @Test
    void nodeInspectorTakesAPortAHostOrBoth() {
        assertThat(of("node", "--inspect=9230", "app.js")).contains(new DebugAddress("node inspector", "127.0.0.1", 9230, true, false));
        assertThat(of("node", "--inspect=0.0.0.0:0", "app.js")).contains(new DebugAddress("node inspector", "0.0.0.0", 0, true, false));
        assertThat(of("node", "--inspect=localhost", "app.js")).contains(new DebugAddress("node inspector", "localhost", 9229, true, false));
    }

    @Test
    void nodeBrkAndWaitHoldTheProgram() {
        assertThat(of("node", "--inspect-brk=9231", "app.js")).contains(new DebugAddress("node inspector", "127.0.0.1", 9231, true, true));
        assertThat(of("node", "--inspect-wait", "app.js").orElseThrow().suspended()).isTrue();
    }

    @Test
    void aCommandWithoutDebugOptionsHasNone() {
        assertThat(of("java", "-Xmx1g", "-jar", "app.jar")).isEmpty();
        assertThat(of("node", "--inspector-is-not-a-flag", "app.js")).isEmpty();
    }
}
