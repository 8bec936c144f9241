package dev.herd.diagnostics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import dev.herd.daemon.HerdException;

class ProfileSpecTest {

    @Test
    void theFormatIsTheOneAskedForElseTheOutputsExtensionsElseHtml() throws HerdException {
        assertThat(ProfileSpec.format(null, Path.of("out.jfr"))).isEqualTo(ProfileSpec.Format.JFR);
        assertThat(ProfileSpec.format(null, Path.of("/tmp/Flame.HTML"))).isEqualTo(ProfileSpec.Format.HTML);
        assertThat(ProfileSpec.format(null, Path.of("stacks.collapsed"))).isEqualTo(ProfileSpec.Format.COLLAPSED);
        assertThat(ProfileSpec.format(null, Path.of("profile.out"))).isEqualTo(ProfileSpec.Format.HTML);
        assertThat(ProfileSpec.format(null, null)).isEqualTo(ProfileSpec.Format.HTML);
        assertThat(ProfileSpec.format("collapsed", Path.of("stacks.txt"))).isEqualTo(ProfileSpec.Format.COLLAPSED);
        assertThat(ProfileSpec.format("JFR", null)).isEqualTo(ProfileSpec.Format.JFR);
    }

    @Test
    void aFormatThatContradictsTheOutputsExtensionIsRefused() {
        assertThatThrownBy(() -> ProfileSpec.format("html", Path.of("out.jfr")))
                .hasMessage("--format html but -o out.jfr names a jfr file: give one of them, or make them agree");
        assertThatThrownBy(() -> ProfileSpec.format("svg", null)).hasMessage("--format: 'svg' is not one of html, jfr, collapsed");
    }

    @Test
    void durationsTakeUnitsAndABareNumberIsSeconds() throws HerdException {
        assertThat(ProfileSpec.duration("30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(ProfileSpec.duration("1m30s")).isEqualTo(Duration.ofSeconds(90));
        assertThat(ProfileSpec.duration("45")).isEqualTo(Duration.ofSeconds(45));
    }

    @Test
    void aDurationUnderASecondOrNotADurationIsRefused() {
        assertThatThrownBy(() -> ProfileSpec.duration("500ms")).hasMessage("--duration: at least 1s, not 500ms");
        assertThatThrownBy(() -> ProfileSpec.duration("soon")).hasMessage("--duration: 'soon' is not a duration (30s, 2m, 1m30s)");
    }

    @Test
    void theAgentStopsItselfAfterTheDurationRoundedUp() throws HerdException {
        ProfileSpec spec = new ProfileSpec(Duration.ofMillis(2500), ProfileSpec.Event.ALLOC, ProfileSpec.Format.HTML);
        assertThat(spec.agentStart(Path.of("/h/p.html"))).isEqualTo("start,event=alloc,timeout=3,flamegraph,file=/h/p.html");
        assertThat(new ProfileSpec(Duration.ofSeconds(30), ProfileSpec.Event.CPU, ProfileSpec.Format.COLLAPSED)
                .agentStart(Path.of("/h/p.collapsed"))).isEqualTo("start,event=cpu,timeout=30,collapsed,file=/h/p.collapsed");
    }

    @Test
    void aCommaInTheFileWouldSplitTheAgentsOptions() {
        ProfileSpec spec = new ProfileSpec(Duration.ofSeconds(1), ProfileSpec.Event.CPU, ProfileSpec.Format.HTML);
        assertThatThrownBy(() -> spec.agentStart(Path.of("/h/a,b.html")))
                .hasMessage("/h/a,b.html: async-profiler takes no ',' in a file name (name another file)");
    }

    @Test
    void jfrRecordsForTheDurationIntoTheFile() {
        ProfileSpec spec = new ProfileSpec(Duration.ofSeconds(30), ProfileSpec.Event.CPU, ProfileSpec.Format.JFR);
        assertThat(spec.jfrStart("herd-3-1", Path.of("/h/my dir/p.jfr")))
                .isEqualTo("JFR.start name=herd-3-1 settings=profile duration=30s filename=\"/h/my dir/p.jfr\"");
        assertThat(ProfileSpec.jfrCheck("herd-3-1")).isEqualTo("JFR.check name=herd-3-1");
    }
}
