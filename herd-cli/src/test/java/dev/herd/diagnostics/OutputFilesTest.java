package dev.herd.diagnostics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

import org.junit.jupiter.api.Test;

import dev.herd.daemon.HerdException;
import dev.herd.daemon.InstanceView;

class OutputFilesTest {

    private static final Instant AT = Instant.parse("2026-12-02T00:15:01.250Z");

    @Test
    void theStemNamesAppIndexIdAndUtcTime() {
        assertThat(OutputFiles.stem(Views.instance("api", 2, 7, 100), AT)).isEqualTo("api-2-id7-20261202T001501Z");
        assertThat(OutputFiles.stem(Views.instance("my app/x", 0, 1, 100), AT)).isEqualTo("my_app_x-0-id1-20261202T001501Z");
    }

    @Test
    void aFreshFileNeverTakesAnExistingName() {
        Path dir = Path.of("/h/dumps");
        Set<Path> existing = Set.of(dir.resolve("a.hprof"), dir.resolve("a-2.hprof"));
        assertThat(OutputFiles.fresh(dir, "a", "hprof", existing::contains)).isEqualTo(dir.resolve("a-3.hprof"));
        assertThat(OutputFiles.fresh(dir, "b", "hprof", existing::contains)).isEqualTo(dir.resolve("b.hprof"));
    }

    @Test
    void aNamedFileIsMadeAbsoluteAndRefusedWhenItExists() throws HerdException {
        Path cwd = Path.of("/work");
        Predicate<Path> folders = p -> !p.getFileName().toString().endsWith(".hprof");
        assertThat(OutputFiles.named(Path.of("out/heap.hprof"), cwd, p -> false, folders))
                .isEqualTo(Path.of("/work/out/heap.hprof"));
        assertThatThrownBy(() -> OutputFiles.named(Path.of("heap.hprof"), cwd, p -> true, folders))
                .isInstanceOf(HerdException.class)
                .hasMessage("/work/heap.hprof exists: herd does not overwrite it (remove it or name another file)");
    }

    @Test
    void aDirectoryIsNotAFileToWrite() {
        assertThatThrownBy(() -> OutputFiles.named(Path.of("dumps"), Path.of("/work"), p -> true, p -> true))
                .hasMessage("/work/dumps is a directory: name a file in it (without a file, herd writes under $HERD_HOME)");
    }

    @Test
    void aNamedFileInADirectoryThatIsNotThereIsRefusedBeforeTheJvmWrites() {
        assertThatThrownBy(() -> OutputFiles.named(Path.of("gone/heap.hprof"), Path.of("/work"), p -> false,
                p -> !p.equals(Path.of("/work/gone")) && !p.toString().endsWith(".hprof")))
                .hasMessage("/work/gone/heap.hprof: no directory /work/gone");
    }

    @Test
    void everyInstanceWithoutANamedFileButOneWithIt() throws HerdException {
        List<InstanceView> two = List.of(Views.instance("api", 0, 3, 100), Views.instance("api", 1, 4, 101));
        assertThat(OutputFiles.chosen(two, "api", null)).isEqualTo(two);
        assertThat(OutputFiles.chosen(two.subList(0, 1), "3", Path.of("x.hprof"))).hasSize(1);
        assertThatThrownBy(() -> OutputFiles.chosen(two, "api", Path.of("x.hprof")))
                .hasMessage("'api' has 2 instances (ids 3, 4) and x.hprof can hold one: name one instance by its id,"
                        + " or leave the file out to write one file per instance");
    }

    @Test
    void aFallbacksFileSwapsTheExtension() {
        assertThat(OutputFiles.withExtension(Path.of("/p/cpu.html"), "jfr")).isEqualTo(Path.of("/p/cpu.jfr"));
        assertThat(OutputFiles.withExtension(Path.of("/p/profile"), "jfr")).isEqualTo(Path.of("/p/profile.jfr"));
    }
}
