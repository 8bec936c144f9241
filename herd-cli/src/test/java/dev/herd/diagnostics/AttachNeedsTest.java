package dev.herd.diagnostics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class AttachNeedsTest {

    private static ProcFacts jvm(long uid, List<String> argv, Map<String, String> env) {
        return new ProcFacts(42, 1, "/usr/bin/java", argv, env, uid, "/srv/app", true);
    }

    @Test
    void theLastDisableFlagWinsInTheJvmsOrder() {
        assertThat(AttachNeeds.attachDisabled(List.of("java", "-XX:+DisableAttachMechanism", "Main"), Map.of())).isTrue();
        assertThat(AttachNeeds.attachDisabled(List.of("java", "-XX:-DisableAttachMechanism"),
                Map.of("JAVA_TOOL_OPTIONS", "-Xmx1g -XX:+DisableAttachMechanism"))).isFalse();
        assertThat(AttachNeeds.attachDisabled(List.of("java", "-XX:-DisableAttachMechanism"),
                Map.of("_JAVA_OPTIONS", "-XX:+DisableAttachMechanism"))).isTrue();
        assertThat(AttachNeeds.attachDisabled(List.of("java", "Main"), Map.of("JDK_JAVA_OPTIONS", "-XX:+DisableAttachMechanism")))
                .isTrue();
        assertThat(AttachNeeds.attachDisabled(List.of("java", "Main"), Map.of())).isFalse();
    }

    @Test
    void anotherUserIsRefused() {
        assertThat(AttachNeeds.refusal(jvm(1001, List.of("java"), Map.of()), 1000))
                .isEqualTo("pid 42 runs as uid 1001 and herd as uid 1000: the attach API works only between processes"
                        + " of the same user (run herd as uid 1001)");
    }

    @Test
    void aDisabledAttachMechanismIsRefusedSayingWhatToRemove() {
        assertThat(AttachNeeds.refusal(jvm(1000, List.of("java", "-XX:+DisableAttachMechanism", "Main"), Map.of()), 1000))
                .isEqualTo("pid 42 runs with -XX:+DisableAttachMechanism: remove it from its jvm_args"
                        + " (or JAVA_TOOL_OPTIONS) and restart it to take dumps and profiles");
    }

    @Test
    void aTargetOfTheSameUserPasses() {
        assertThat(AttachNeeds.refusal(jvm(1000, List.of("java", "Main"), Map.of()), 1000)).isNull();
    }

    @Test
    void aSilentTargetIsExplainedWithTheFilesTheHandshakeNeeds() {
        assertThat(AttachNeeds.attachFailure(jvm(1000, List.of("java"), Map.of()), "Unable to open socket file"
                + " /tmp/.java_pid42: target process 42 doesn't respond within 10500ms or HotSpot VM not loaded"))
                .isEqualTo("pid 42 did not answer the attach request: it may be starting, stopping or hung, or its"
                        + " /tmp/.java_pid42 socket was deleted (by a /tmp cleaner: restart the instance); the handshake"
                        + " needs the same /tmp as herd (no PrivateTmp) and write access to /srv/app or /tmp");
        assertThat(AttachNeeds.attachFailure(jvm(1000, List.of("java"), Map.of()), "No such process"))
                .isEqualTo("cannot attach to pid 42: No such process");
    }
}
