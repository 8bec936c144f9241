package dev.herd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The daemon's class archive: who dumps it, when it is taken into use, and when it is dropped. */
class DaemonArchiveTest {

    @TempDir
    Path dir;

    private Path jar;

    @BeforeEach
    void setUp() throws IOException {
        jar = Files.writeString(dir.resolve("herd.jar"), "jar");
        Files.setLastModifiedTime(jar, FileTime.from(Instant.now().minusSeconds(60)));
    }

    private Path file(String suffix) {
        return dir.resolve("herd-daemon-cds-17.0.15.jsa" + suffix);
    }

    @Test
    void theFirstDaemonDumpsAndTheNextOneAfterItExitedMapsTheArchive() throws IOException {
        DaemonArchive first = new DaemonArchive(jar, "17.0.15");
        assertThat(first.options()).anyMatch(o -> o.equals("-XX:ArchiveClassesAtExit=" + file(".dumping")));
        long gone = ProcessHandle.current().pid() + 1_000_000_000L;
        first.started(gone);
        Files.writeString(file(".dumping"), "archive");

        assertThat(new DaemonArchive(jar, "17.0.15").options())
                .contains("-XX:SharedArchiveFile=" + file(""), "-XX:+VerifySharedSpaces");
        assertThat(file(".lock")).doesNotExist();
        assertThat(file(".dumping")).doesNotExist();
    }

    @Test
    void whileADaemonDumpsOthersStartWithoutAnArchive() throws IOException {
        DaemonArchive first = new DaemonArchive(jar, "17.0.15");
        first.options();
        first.started(ProcessHandle.current().pid());

        assertThat(new DaemonArchive(jar, "17.0.15").options()).isEmpty();
        assertThat(file(".lock")).exists();
    }

    @Test
    void anArchiveOlderThanTheJarIsDroppedAndDumpedAgain() throws IOException {
        Files.writeString(file(""), "old archive");
        Files.setLastModifiedTime(file(""), FileTime.from(Instant.now().minusSeconds(120)));

        assertThat(new DaemonArchive(jar, "17.0.15").options()).anyMatch(o -> o.startsWith("-XX:ArchiveClassesAtExit="));
        assertThat(file("")).doesNotExist();
    }

    @Test
    void aDumpThatWroteNothingIsNotTakenIntoUse() throws IOException {
        DaemonArchive first = new DaemonArchive(jar, "17.0.15");
        first.options();
        first.started(ProcessHandle.current().pid() + 1_000_000_000L);

        assertThat(new DaemonArchive(jar, "17.0.15").options()).anyMatch(o -> o.startsWith("-XX:ArchiveClassesAtExit="));
        assertThat(file("")).doesNotExist();
    }
}
