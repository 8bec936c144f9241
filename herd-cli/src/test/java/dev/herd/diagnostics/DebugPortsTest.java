package dev.herd.diagnostics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

class DebugPortsTest {

    @Test
    void listeningSocketsByInode() {
        List<String> tcp = List.of(
                "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
                "   0: 0100007F:B0FF 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4711 1 0 100 0 0 10 0",
                "   1: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 4712 1 0 20 4 30 10 -1",
                "   2: 00000000000000000000000000000000:1389 00000000000000000000000000000000:0000 0A 00000000:00000000"
                        + " 00:00000000 00000000     0        0 4713 1 0 100 0 0 10 0");
        assertThat(DebugPorts.listeningByInode(tcp)).isEqualTo(Map.of(4711L, 0xB0FF, 4713L, 5001));
    }

    @Test
    void theLastBannerCountsAfterARestart() {
        Pattern jdwp = Pattern.compile("Listening for transport dt_socket at address: (\\d+)");
        String log = "Listening for transport dt_socket at address: 40001\nup\n"
                + "2026-12-02 00:10:00: Listening for transport dt_socket at address: 40002\nup\n";
        assertThat(DebugPorts.lastBanner(log, jdwp)).isEqualTo(Optional.of(40002));
        assertThat(DebugPorts.lastBanner("up\n", jdwp)).isEmpty();
    }

    @Test
    void aStoppedInstanceShowsWhatItsCommandConfigures() {
        assertThat(DebugPorts.describe(Views.instance("api", 0, 0, 0, List.of("java",
                "-agentlib:jdwp=transport=dt_socket,server=y,suspend=y,address=5005", "-jar", "a.jar"))))
                .contains("jdwp 127.0.0.1:5005, waits for a debugger before the program runs");
        assertThat(DebugPorts.describe(Views.instance("api", 0, 0, 0))).isEmpty();
    }
}
