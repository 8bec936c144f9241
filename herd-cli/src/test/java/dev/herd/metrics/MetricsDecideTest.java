package dev.herd.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;

import org.junit.jupiter.api.Test;

/** What {@code herd metrics}' options lead to from what the settings file holds. */
class MetricsDecideTest {

    private static final String TOKEN = "abcdefghijklmnopqrstuvwx";
    private final SecureRandom random = new SecureRandom();

    private MetricsSettings decide(SettingsFile.Stored stored, Integer port, String host, String token) throws Exception {
        return Metrics.decide(stored, new Metrics.Change(port, host, token, false), random);
    }

    @Test
    void aPortAloneOpensOnLoopbackWithoutAToken() throws Exception {
        assertThat(decide(SettingsFile.Stored.NONE, 9209, null, null)).isEqualTo(new MetricsSettings("127.0.0.1", 9209, null));
        assertThat(decide(SettingsFile.Stored.NONE, 9209, "localhost", null).token()).isNull();
        assertThat(decide(SettingsFile.Stored.NONE, 9209, "::1", null).token()).isNull();
    }

    @Test
    void anyOtherHostGetsAGeneratedTokenUnlessGivenOne() throws Exception {
        for (String host : new String[]{"0.0.0.0", "127.0.0.2", "192.0.2.7"}) {
            MetricsSettings s = decide(SettingsFile.Stored.NONE, 9209, host, null);
            assertThat(s.host()).isEqualTo(host);
            assertThat(s.token()).hasSizeGreaterThanOrEqualTo(MetricsSettings.MIN_TOKEN_LENGTH).matches("[A-Za-z0-9_-]+");
        }
        assertThat(decide(SettingsFile.Stored.NONE, 9209, "0.0.0.0", TOKEN).token()).isEqualTo(TOKEN);
        assertThat(decide(SettingsFile.Stored.NONE, 9209, "0.0.0.0", null).token())
                .isNotEqualTo(decide(SettingsFile.Stored.NONE, 9209, "0.0.0.0", null).token());
    }

    @Test
    void theStoredHostAndTokenStayUnlessReplacedButPortAloneIsLoopback() throws Exception {
        SettingsFile.Stored stored = new SettingsFile.Stored("0.0.0.0", 9209, TOKEN);
        assertThat(decide(stored, 9300, null, null)).as("--port alone is loopback, as its help says")
                .isEqualTo(new MetricsSettings("127.0.0.1", 9300, null));
        assertThat(decide(stored, null, null, TOKEN + "y")).isEqualTo(new MetricsSettings("0.0.0.0", 9209, TOKEN + "y"));
        assertThat(decide(stored, null, "127.0.0.2", null)).isEqualTo(new MetricsSettings("127.0.0.2", 9209, TOKEN));
        assertThat(decide(stored, null, "127.0.0.1", null)).isEqualTo(new MetricsSettings("127.0.0.1", 9209, null));
        assertThat(decide(stored, null, "127.0.0.1", TOKEN + "x")).isEqualTo(new MetricsSettings("127.0.0.1", 9209, TOKEN + "x"));
    }

    @Test
    void offClosesAndTakesNoOtherOption() throws Exception {
        assertThat(Metrics.decide(new SettingsFile.Stored(null, 9209, null), new Metrics.Change(null, null, null, true), random)).isNull();
        assertThatThrownBy(() -> Metrics.decide(SettingsFile.Stored.NONE, new Metrics.Change(9209, null, null, true), random))
                .hasMessage("--off takes no other option");
    }

    @Test
    void mistakes() {
        assertThatThrownBy(() -> decide(SettingsFile.Stored.NONE, null, "0.0.0.0", null))
                .isInstanceOf(MetricsException.class).hasMessage("metrics are off: give --port to turn them on");
        assertThatThrownBy(() -> decide(SettingsFile.Stored.NONE, 0, null, null))
                .hasMessage("--port: 0 is not a port number (1-65535)");
        assertThatThrownBy(() -> decide(SettingsFile.Stored.NONE, 9209, null, "secret"))
                .hasMessage("--token: must be at least 16 characters with no spaces (leave it out and herd generates one)");
    }
}
