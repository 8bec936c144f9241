package dev.herd.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CgroupsTest {

    private static final String HYBRID_V1 = "35 31 0:30 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory";
    private static final String HYBRID_V2 = "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw";
    private static final String UNIFIED = "29 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate";

    @Test
    void aUnifiedHierarchyHoldsTheProcessAtItsPath() {
        assertThat(Cgroups.ownDirectory(List.of("22 1 8:1 / / rw - ext4 /dev/sda1 rw", UNIFIED),
                List.of("0::/user.slice/user-1000.slice/user@1000.service/app.slice/term.scope")))
                .contains(Path.of("/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/app.slice/term.scope"));
    }

    @Test
    void aHybridSystemsCgroupV2IsItsUnifiedMountNotAV1One() {
        assertThat(Cgroups.ownDirectory(List.of(HYBRID_V1, HYBRID_V2),
                List.of("4:memory:/process_api/2af", "1:name=systemd:/", "0::/")))
                .contains(Path.of("/sys/fs/cgroup/unified"));
    }

    @Test
    void aMountOfPartOfTheHierarchyIsFollowedBelowItsRoot() {
        String container = "600 590 0:26 /docker/abc /sys/fs/cgroup ro,nosuid - cgroup2 cgroup rw";
        assertThat(Cgroups.ownDirectory(List.of(container), List.of("0::/docker/abc/web")))
                .contains(Path.of("/sys/fs/cgroup/web"));
        assertThat(Cgroups.ownDirectory(List.of(container), List.of("0::/elsewhere")))
                .as("this process's cgroup is not under that mount").isEmpty();
    }

    @Test
    void aMountPointWithASpaceIsUnescaped() {
        String mount = "41 31 0:38 / /mnt/cgroup\\040two rw - cgroup2 cgroup2 rw";
        assertThat(Cgroups.ownDirectory(List.of(mount), List.of("0::/a"))).contains(Path.of("/mnt/cgroup two/a"));
    }

    @Test
    void noCgroupV2MeansNone() {
        assertThat(Cgroups.ownDirectory(List.of(HYBRID_V1), List.of("4:memory:/x", "0::/"))).isEmpty();
        assertThat(Cgroups.ownDirectory(List.of(UNIFIED), List.of("4:memory:/x"))).as("v1 only").isEmpty();
        assertThat(Cgroups.ownDirectory(List.of(UNIFIED), List.of("0::/gone (deleted)"))).isEqualTo(Optional.empty());
    }

    @Test
    void theEmptyFoldersOfHerdProcessesNoLongerAliveAreRemovedAndNothingElse(@TempDir Path parent) throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Path stale = Files.createDirectories(parent.resolve("herd-" + gone.pid() + "-1a2b/api-0.1"));
        Path live = Files.createDirectories(parent.resolve("herd-" + ProcessHandle.current().pid() + "-3c4d/api-0.1"));
        Path notOurs = Files.createDirectories(parent.resolve("herd-web/api-0.1"));
        Path service = Files.createDirectories(parent.resolve("nginx.service"));

        assertThat(Cgroups.removeStale(parent)).isEqualTo(1);

        assertThat(stale.getParent()).doesNotExist();
        assertThat(live).as("its process lives").exists();
        assertThat(notOurs).as("not a name herd makes").exists();
        assertThat(service).exists();
    }

    @Test
    void aStaleFolderWithAProcessStillInItStays(@TempDir Path parent) throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        // In a real cgroup the files go with rmdir and a populated one refuses it; here a file
        // stands for the process.
        Path run = Files.createDirectories(parent.resolve("herd-" + gone.pid() + "-1a2b/api-0.1"));
        Files.writeString(run.resolve("cgroup.procs"), "4242\n");

        assertThat(Cgroups.removeStale(parent)).isZero();
        assertThat(run).exists();
    }
}
