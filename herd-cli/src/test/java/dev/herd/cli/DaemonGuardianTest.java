package dev.herd.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.herd.daemon.Daemon;
import dev.herd.daemon.HerdException;
import dev.herd.daemon.HerdHome;

/**
 * The guardian's loop run for real by {@code /bin/sh}, over a stand-in daemon (a shell command
 * that counts its starts in a file and ends as told), with no pause between restarts.
 */
class DaemonGuardianTest {

    @TempDir
    Path tmp;

    private final DaemonGuardian guardian = new DaemonGuardian(Duration.ZERO, 2, Duration.ofMinutes(5));

    /** Runs the guardian over a daemon that runs {@code body} each time; its output and exit code. */
    private Run guard(String body) throws IOException, InterruptedException {
        Path starts = tmp.resolve("starts");
        Path out = tmp.resolve("out");
        List<String> daemon = List.of("/bin/sh", "-c", "echo started >> '" + starts + "'; " + body);
        Process p = new ProcessBuilder(guardian.wrap(tmp, daemon)).redirectErrorStream(true)
                .redirectOutput(out.toFile()).start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("the guardian ended").isTrue();
        long count = Files.exists(starts) ? Files.readAllLines(starts).size() : 0;
        return new Run(p.exitValue(), count, Files.readString(out, StandardCharsets.UTF_8));
    }

    private record Run(int exitCode, long starts, String output) {
    }

    @Test
    void aDaemonKilledBySigkillIsStartedAgainUntilTheBurstIsSpentThenTheGuardianGivesUpAndSaysSo() throws Exception {
        Run r = guard("kill -KILL $$");

        assertThat(r.starts()).as("the first start and two restarts").isEqualTo(3);
        assertThat(r.exitCode()).isEqualTo(128 + 9);
        assertThat(r.output().lines().filter(l -> l.contains("WARN  DaemonGuardian - the daemon died (killed by SIGKILL):"
                + " starting it again in 0 s"))).hasSize(2);
        assertThat(r.output()).contains("ERROR DaemonGuardian - the daemon died (killed by SIGKILL), 3 times within 300 s:"
                + " not starting it again");
        assertThat(r.output()).as("the shell's own words stay out of the log").doesNotContain("Killed");
    }

    @Test
    void aDaemonOutOfMemoryIsStartedAgainAndTheLogSaysWhy() throws Exception {
        // -XX:+ExitOnOutOfMemoryError exits with 3; the second start then stops cleanly.
        Path once = tmp.resolve("once");
        Run r = guard("if [ -e '" + once + "' ]; then exit 0; fi; touch '" + once + "'; exit 3");

        assertThat(r.starts()).isEqualTo(2);
        assertThat(r.exitCode()).isZero();
        assertThat(r.output()).contains("the daemon died (exit code 3: out of memory): starting it again");
    }

    @Test
    void aCleanStopARefusalAndASignalAskingToEndAreNotFollowedByARestart() throws Exception {
        for (String end : List.of("exit 0", "exit " + DaemonMain.REFUSED, "exit " + Daemon.AlreadyRunning.EXIT_CODE,
                "kill -TERM $$", "kill -INT $$", "kill -HUP $$")) {
            Files.deleteIfExists(tmp.resolve("starts"));
            Run r = guard(end);
            assertThat(r.starts()).as(end).isEqualTo(1);
            assertThat(r.output()).as(end).doesNotContain("DaemonGuardian");
        }
    }

    @Test
    void anyOtherExitCodeIsStartedAgainAJvmThatCouldNotStartIncluded() throws Exception {
        // The java launcher exits 1 when it cannot reserve its heap, as may happen right after an OOM kill.
        Path once = tmp.resolve("once");
        Run r = guard("if [ -e '" + once + "' ]; then exit 0; fi; touch '" + once + "'; exit 1");

        assertThat(r.starts()).isEqualTo(2);
        assertThat(r.output()).contains("the daemon died (exit code 1): starting it again");
        Files.delete(tmp.resolve("starts"));
        Files.delete(once);
        r = guard("if [ -e '" + once + "' ]; then exit 0; fi; touch '" + once + "'; exit 200");
        assertThat(r.output()).as("not a signal").contains("the daemon died (exit code 200): starting it again");
    }

    @Test
    void aDaemonWhoseHomeWasDeletedIsNotStartedAgain() throws Exception {
        Path home = Files.createDirectories(tmp.resolve("home"));
        Path starts = tmp.resolve("starts");
        List<String> daemon = List.of("/bin/sh", "-c", "echo started >> '" + starts + "'; rm -r '" + home + "'; kill -KILL $$");
        Process p = new ProcessBuilder(guardian.wrap(home, daemon)).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("out").toFile()).start();

        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(Files.readAllLines(starts)).as("a restart would make the home again").hasSize(1);
        assertThat(home).doesNotExist();
    }

    @Test
    void theDaemonKeepsItsStderrAndGetsNoDescriptorOfTheGuardiansOwn() throws Exception {
        Run r = guard("echo 'to stderr' >&2; ls /proc/self/fd; exit 0");

        assertThat(r.output()).contains("to stderr");
        // ls's own listing: 0, 1, 2 and the directory it reads (3); nothing the guardian kept open.
        assertThat(r.output().lines().filter(l -> l.matches("\\d+"))).containsExactly("0", "1", "2", "3");
    }

    @Test
    void herdGuardianOffStartsTheDaemonWithoutOneAndAnyOtherWordIsAnError() throws Exception {
        assertThat(DaemonGuardian.wanted(Map.of())).isTrue();
        assertThat(DaemonGuardian.wanted(Map.of("HERD_GUARDIAN", "on"))).isTrue();
        assertThat(DaemonGuardian.wanted(Map.of("HERD_GUARDIAN", "OFF"))).isFalse();
        assertThatThrownBy(() -> DaemonGuardian.wanted(Map.of("HERD_GUARDIAN", "of")))
                .isInstanceOf(HerdException.class).hasMessage("HERD_GUARDIAN must be 'on' or 'off', not 'of'");
    }

    @Test
    void herdStartupsUnitLeavesRestartsToSystemd() {
        String unit = Tables.systemdUnit(new HerdHome(tmp), "ann", "/usr/bin/java", "/opt/herd.jar");

        assertThat(unit).contains("Restart=on-failure\n").contains("Environment=HERD_GUARDIAN=off\n");
    }

    @Test
    void theGuardianOfAHomeIsKnownByItsArgumentsAndAnotherHomesIsNot() {
        List<String> argv = guardian.wrap(tmp, List.of("java", "-cp", "herd.jar", "Main"));
        List<String> arguments = argv.subList(1, argv.size());

        assertThat(DaemonGuardian.guards(arguments, tmp)).isTrue();
        assertThat(DaemonGuardian.guards(arguments, tmp.resolve("other"))).isFalse();
        assertThat(DaemonGuardian.guards(List.of("-c", "another version's loop", DaemonGuardian.NAME, "1", "5", "300",
                tmp.toString(), "java"), tmp)).as("another version's guardian").isTrue();
        assertThat(DaemonGuardian.guards(List.of("-c", "sleep 1", "sh", "1", "5", "300", tmp.toString(), "java"), tmp))
                .as("another program").isFalse();
    }
}
