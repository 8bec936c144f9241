package dev.herd.diagnostics;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ProfilerLibraryTest {

    @Test
    void theJarsLibraryForEachLinuxArchitecture() {
        assertThat(ProfilerLibrary.resource("Linux", "amd64")).isEqualTo("linux-x64/libasyncProfiler.so");
        assertThat(ProfilerLibrary.resource("Linux", "aarch64")).isEqualTo("linux-arm64/libasyncProfiler.so");
    }

    @Test
    void noneElsewhere() {
        assertThat(ProfilerLibrary.resource("Linux", "riscv64")).isNull();
        assertThat(ProfilerLibrary.resource("Mac OS X", "aarch64")).isNull();
    }
}
