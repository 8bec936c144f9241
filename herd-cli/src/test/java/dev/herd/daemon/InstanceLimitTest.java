package dev.herd.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.junit.jupiter.api.Test;

class InstanceLimitTest {

    @Test
    void defaultsWhenUnsetOrBlank() throws Exception {
        assertThat(InstanceLimit.of(Map.of(), "herd update").max()).isEqualTo(InstanceLimit.DEFAULT);
        assertThat(InstanceLimit.of(Map.of("HERD_MAX_INSTANCES", " "), "herd update").max()).isEqualTo(InstanceLimit.DEFAULT);
        assertThat(InstanceLimit.of(Map.of("HERD_MAX_INSTANCES", " 500 "), "herd update").max()).isEqualTo(500);
    }

    @Test
    void aValueThatIsNoPositiveNumberIsOneLine() {
        for (String bad : new String[] {"0", "-3", "lots", "1e3", "99999999999"}) {
            assertThatThrownBy(() -> InstanceLimit.of(Map.of("HERD_MAX_INSTANCES", bad), "herd update"))
                    .isInstanceOf(HerdException.class)
                    .hasMessage("HERD_MAX_INSTANCES: expected a whole number of at least 1, got '" + bad + "'");
        }
    }

    @Test
    void exactlyTheLimitFitsOneMoreDoesNot() {
        InstanceLimit limit = new InstanceLimit(10, "herd update");
        assertThatCode(() -> limit.check("a", 10, 0)).doesNotThrowAnyException();
        assertThatCode(() -> limit.check("a", 4, 6)).doesNotThrowAnyException();
        assertThatThrownBy(() -> limit.check("a", 11, 0)).isInstanceOf(HerdException.class)
                .hasMessage("app 'a': 11 instances would be above the limit of 10 instances in total across apps"
                        + " (set HERD_MAX_INSTANCES to raise it, e.g. HERD_MAX_INSTANCES=11 herd update)");
        assertThatThrownBy(() -> limit.check("b", 1, 10)).isInstanceOf(HerdException.class)
                .hasMessage("app 'b': 1 instance on top of the 10 herd holds would be 11, above the limit of 10 instances"
                        + " in total across apps (set HERD_MAX_INSTANCES to raise it, e.g. HERD_MAX_INSTANCES=11 herd update)");
    }

    @Test
    void theMessageSaysHowToApplyANewValue() {
        assertThatThrownBy(() -> new InstanceLimit(1, "herd run").check("a", 2, 0))
                .hasMessageEndingWith("e.g. HERD_MAX_INSTANCES=2 herd run)");
    }

    @Test
    void theHeapStaysSmallAtTheDefaultAndGrowsWithARaisedLimit() {
        assertThat(new InstanceLimit(InstanceLimit.DEFAULT, "herd update").heapMegabytes()).isEqualTo(128);
        assertThat(new InstanceLimit(1, "herd update").heapMegabytes()).isEqualTo(128);
        assertThat(new InstanceLimit(1000, "herd update").heapMegabytes()).isEqualTo(516);
    }
}
