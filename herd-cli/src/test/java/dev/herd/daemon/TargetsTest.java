package dev.herd.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** How {@code --only} reads its names. */
class TargetsTest {

    @Test
    void onlySplitsOnCommasAndSpacesAsPm2Does() throws HerdException {
        assertThat(Targets.onlyNames("api,worker cron")).containsExactly("api", "worker", "cron");
        assertThat(Targets.onlyNames("api,,api ")).containsExactly("api");
    }

    @Test
    void onlyWithNoNameIsAnError() {
        assertThatThrownBy(() -> Targets.onlyNames(" , ")).hasMessage("--only: name at least one app");
    }
}
