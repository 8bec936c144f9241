package dev.herd.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class PidFilesTest {

    @Test
    void aPidNameGetsTheInstancesIdAsPm2NamesIt() {
        assertThat(PidFiles.fileOf(Path.of("/run/api.pid"), 0, 1)).isEqualTo(Path.of("/run/api-0.pid"));
        assertThat(PidFiles.fileOf(Path.of("/run/api.pid"), 7, 4)).isEqualTo(Path.of("/run/api-7.pid"));
    }

    @Test
    void anIdAlreadyInTheNameIsReplacedNotRepeated() {
        assertThat(PidFiles.fileOf(Path.of("/run/api-0.pid"), 3, 2)).isEqualTo(Path.of("/run/api-3.pid"));
    }

    @Test
    void anyOtherNameIsKeptForOneInstanceAndNumberedForSeveral() {
        assertThat(PidFiles.fileOf(Path.of("/run/api"), 5, 1)).isEqualTo(Path.of("/run/api"));
        assertThat(PidFiles.fileOf(Path.of("/run/api"), 5, 2)).isEqualTo(Path.of("/run/api-5"));
        assertThat(PidFiles.fileOf(Path.of("/run/api.pidx"), 1, 2)).isEqualTo(Path.of("/run/api.pidx-1"));
    }
}
