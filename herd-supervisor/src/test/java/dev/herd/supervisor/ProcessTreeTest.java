package dev.herd.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;

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

    @Test
    void anEnvironmentEntryMatchesOnlyWhole() {
        byte[] env = "A=1\0HERD_INSTANCE_TRACE=9-ab-12\0Z=last".getBytes(StandardCharsets.UTF_8);

        assertThat(ProcessTree.holdsEntry(env, bytes("HERD_INSTANCE_TRACE=9-ab-12"))).isTrue();
        assertThat(ProcessTree.holdsEntry(env, bytes("A=1"))).as("the first").isTrue();
        assertThat(ProcessTree.holdsEntry(env, bytes("Z=last"))).as("the last, with no NUL after it").isTrue();
        assertThat(ProcessTree.holdsEntry(env, bytes("HERD_INSTANCE_TRACE=9-ab-1"))).as("another instance's prefix").isFalse();
        assertThat(ProcessTree.holdsEntry(env, bytes("TRACE=9-ab-12"))).as("a suffix").isFalse();
        assertThat(ProcessTree.holdsEntry(new byte[0], bytes("A=1"))).isFalse();
    }

    @Test
    void anEnvironmentPrefixMatchesTheStartOfAnEntryOnly() {
        byte[] env = "A=1\0HERD_INSTANCE_TRACE=9-ab-12\0Z=last".getBytes(StandardCharsets.UTF_8);

        assertThat(ProcessTree.holdsEntryStartingWith(env, bytes("HERD_INSTANCE_TRACE=9-ab-"))).as("a daemon's").isTrue();
        assertThat(ProcessTree.holdsEntryStartingWith(env, bytes("HERD_INSTANCE_TRACE=9-ab-12"))).as("whole").isTrue();
        assertThat(ProcessTree.holdsEntryStartingWith(env, bytes("HERD_INSTANCE_TRACE=8-"))).as("another daemon's").isFalse();
        assertThat(ProcessTree.holdsEntryStartingWith(env, bytes("TRACE=9"))).as("inside an entry").isFalse();
        assertThat(ProcessTree.holdsEntryStartingWith(env, bytes("Z=last!"))).as("longer than the last").isFalse();
        assertThat(ProcessTree.holdsEntryStartingWith(new byte[0], bytes("A"))).isFalse();
    }

    @Test
    void aChildIsFoundByAnEntryOfItsEnvironment() throws Exception {
        String mark = "HERD_TEST_MARK=" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        Process child = new ProcessBuilder("sleep", "30").start();
        ProcessBuilder marked = new ProcessBuilder("sleep", "30");
        marked.environment().put(mark.substring(0, mark.indexOf('=')), mark.substring(mark.indexOf('=') + 1));
        Process p = marked.start();
        try {
            assertThat(ProcessTree.withEnvironmentEntry(mark, Posix.uid())).extracting(ProcessTree.Stat::pid)
                    .containsExactly(p.pid());
            assertThat(ProcessTree.withEnvironmentEntry(mark, Posix.uid() + 1)).as("only the instance's user's are taken on their word")
                    .isEmpty();
        } finally {
            child.destroyForcibly().waitFor();
            p.destroyForcibly().waitFor();
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
