package dev.herd.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ProcessTreeTest {

    @Test
    void parsesACommandNameWithSpacesAndParentheses() {
        String line = "4242 (my (odd) app) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 987654 "
                + "123456789 321 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
        ProcessTree.Stat s = ProcessTree.parse(line);
        assertThat(s.pid()).isEqualTo(4242);
        assertThat(s.state()).isEqualTo('S');
        assertThat(s.ppid()).isEqualTo(1);
        assertThat(s.pgid()).isEqualTo(4242);
        assertThat(s.cpuTicks()).isEqualTo(300);
        assertThat(s.startTime()).isEqualTo(987654);
        assertThat(s.rssPages()).isEqualTo(321);
    }

    @Test
    void findsThisProcess() {
        long self = ProcessHandle.current().pid();
        assertThat(ProcessTree.stat(self)).get().extracting(ProcessTree.Stat::pid).isEqualTo(self);
        assertThat(ProcessTree.treeOf(self)).extracting(ProcessTree.Stat::pid).contains(self);
    }
}
