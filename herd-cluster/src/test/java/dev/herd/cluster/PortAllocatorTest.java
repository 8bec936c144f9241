package dev.herd.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PortAllocatorTest {

    @TempDir
    Path dir;

    @Test
    void aPortIsHandedOutOnceUntilReleased() {
        PortAllocator ports = new PortAllocator(40000, 40002, port -> true, bound -> 0);

        assertThat(ports.allocate()).isEqualTo(40000);
        assertThat(ports.allocate()).isEqualTo(40001);
        assertThat(ports.allocate()).isEqualTo(40002);
        assertThatThrownBy(ports::allocate).hasMessageContaining("no free internal port in 40000-40002");
        ports.release(40001);
        assertThat(ports.allocate()).isEqualTo(40001);
    }

    @Test
    void aPortSomeoneElseListensOnIsSkipped() {
        Set<Integer> busy = Set.of(40001, 40002);
        PortAllocator ports = new PortAllocator(40000, 40009, port -> !busy.contains(port), bound -> 1);

        assertThat(ports.allocate()).isEqualTo(40003);
    }

    @Test
    void aHeldPortIsNotHandedOut() {
        PortAllocator ports = new PortAllocator(40000, 40001, port -> true, bound -> 0);

        assertThat(ports.hold(40000)).isTrue();
        assertThat(ports.hold(40000)).isFalse();
        assertThat(ports.allocate()).isEqualTo(40001);
        assertThat(ports.isHeld(40000)).isTrue();
    }

    @Test
    void theSearchWrapsAroundTheRange() {
        PortAllocator ports = new PortAllocator(40000, 40009, port -> port < 40002, bound -> 8);

        assertThat(ports.allocate()).isEqualTo(40000);
    }

    @Test
    void theEphemeralRangeIsReadFromTheKernelsFile() throws IOException {
        Path file = Files.writeString(dir.resolve("range"), "32768\t60999\n");

        assertThat(PortAllocator.ephemeralLow(file)).isEqualTo(32768);
        assertThat(PortAllocator.ephemeralLow(dir.resolve("missing"))).isEqualTo(32768);
        assertThat(PortAllocator.ephemeralLow(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))).isGreaterThan(1024);
    }

    @Test
    void thisMachinesPortsAreBelowItsEphemeralRangeAndFree() {
        PortAllocator ports = PortAllocator.forThisMachine();
        int low = PortAllocator.ephemeralLow(Path.of("/proc/sys/net/ipv4/ip_local_port_range"));
        Set<Integer> got = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            got.add(ports.allocate());
        }

        assertThat(got).hasSize(20).allMatch(p -> p >= 20000 && p < low || low < 21000 && p >= 61000);
        assertThat(got).allMatch(PortAllocator::canBind);
    }
}
