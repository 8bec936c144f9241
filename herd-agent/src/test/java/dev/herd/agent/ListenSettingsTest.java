package dev.herd.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.junit.jupiter.api.Test;

class ListenSettingsTest {

    @Test
    void bothVariablesMakeSettings() {
        assertThat(ListenSettings.from(Map.of("HERD_LISTEN_FD", "3", "HERD_LISTEN_PORT", "8000")))
                .isEqualTo(new ListenSettings(3, 8000));
    }

    @Test
    void eitherMissingMeansNotSocketMode() {
        assertThat(ListenSettings.from(Map.of())).isNull();
        assertThat(ListenSettings.from(Map.of("HERD_LISTEN_FD", "3"))).isNull();
        assertThat(ListenSettings.from(Map.of("HERD_LISTEN_PORT", "8000"))).isNull();
    }

    @Test
    void aValueThatIsNotANumberInRangeIsNamed() {
        assertThatThrownBy(() -> ListenSettings.from(Map.of("HERD_LISTEN_FD", "3", "HERD_LISTEN_PORT", "web")))
                .hasMessage("HERD_LISTEN_PORT='web' is not a number");
        assertThatThrownBy(() -> ListenSettings.from(Map.of("HERD_LISTEN_FD", "3", "HERD_LISTEN_PORT", "70000")))
                .hasMessage("HERD_LISTEN_PORT=70000 is not a port (1 to 65535)");
        assertThatThrownBy(() -> ListenSettings.from(Map.of("HERD_LISTEN_FD", "-1", "HERD_LISTEN_PORT", "8000")))
                .hasMessage("HERD_LISTEN_FD=-1 is not a descriptor");
    }
}
