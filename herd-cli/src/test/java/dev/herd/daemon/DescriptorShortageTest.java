package dev.herd.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.util.concurrent.CompletionException;

import org.junit.jupiter.api.Test;

class DescriptorShortageTest {

    @Test
    void emfileAnywhereInTheCausesIsOneLineNamingItTheLimitAndTheRemedy() {
        Throwable opening = new CompletionException(new FileSystemException("/h/logs/many-out-32.log", null,
                "Too many open files"));
        assertThat(DescriptorShortage.message(opening, 160)).hasValueSatisfying(m -> assertThat(m)
                .contains("EMFILE").contains("its limit is 160").contains("ulimit -n").doesNotContain("\n")
                .doesNotContain("Exception"));
        assertThat(DescriptorShortage.message(new IOException("pipe: Too many open files"), -1)).isPresent();
    }

    @Test
    void otherFailuresAreNotMistakenForIt() {
        assertThat(DescriptorShortage.message(new IOException("No space left on device"), 160)).isEmpty();
        assertThat(DescriptorShortage.message(new IllegalStateException("Too many open files"), 160)).as("not I/O").isEmpty();
    }

    @Test
    void theLimitIsReadFromProc() {
        assertThat(DescriptorShortage.limit()).isNotZero();
    }
}
