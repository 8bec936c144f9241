package dev.herd.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;

/**
 * A folder for one test: files to load, a {@code bin} folder of fake interpreters that is the
 * whole PATH of the client environment (so nothing depends on what the machine has installed),
 * and a herd home.
 */
final class Fixture {

    final Path dir;
    final Path bin;
    final Path home;

    Fixture(Path dir) {
        this.dir = dir;
        this.bin = dir.resolve("bin");
        this.home = dir.resolve("herd-home");
        for (String program : new String[] {"node", "python3", "bash", "java"}) {
            executable("bin/" + program);
        }
    }

    /** The client's environment: only the fake interpreters on the PATH. */
    Map<String, String> env() {
        Map<String, String> env = new HashMap<>();
        env.put("PATH", bin.toString());
        env.put("HOME", dir.toString());
        return env;
    }

    EcosystemLoader loader(int cores) {
        return new EcosystemLoader(home, cores);
    }

    EcosystemLoader loader() {
        return loader(4);
    }

    Path file(String relative, String content) {
        Path file = dir.resolve(relative);
        try {
            Files.createDirectories(file.getParent());
            return Files.writeString(file, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Path file(String relative) {
        return file(relative, "");
    }

    Path executable(String relative) {
        Path file = file(relative, "#!/bin/sh\nexit 0\n");
        try {
            return Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A file that is not text (an ELF header's first bytes), not executable. */
    Path binary(String relative) {
        Path file = file(relative);
        try {
            return Files.write(file, new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0});
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Path path(String relative) {
        return dir.resolve(relative);
    }
}
