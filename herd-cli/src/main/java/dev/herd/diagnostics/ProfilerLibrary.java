package dev.herd.diagnostics;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Properties;

/**
 * async-profiler's native library, which its Maven Central jar ({@code tools.profiler:async-profiler})
 * carries per platform ({@code linux-x64/libasyncProfiler.so}, {@code linux-arm64/...}) and herd's
 * jar carries with it. A JVM loads an agent from a file only, so it is copied once under
 * {@code $HERD_HOME/lib/async-profiler-<version>/}.
 */
final class ProfilerLibrary {

    /** No library for this platform, or it could not be written: the caller falls back to JFR. */
    static final class Unavailable extends Exception {
        Unavailable(String message) {
            super(message);
        }
    }

    private static final String LIBRARY = "libasyncProfiler.so";
    private static final String POM = "/META-INF/maven/tools.profiler/async-profiler/pom.properties";

    private ProfilerLibrary() {
    }

    /** The jar's resource for a platform ({@code os.name}, {@code os.arch}), or null when it has none. */
    static String resource(String osName, String osArch) {
        if (!osName.toLowerCase(Locale.ROOT).startsWith("linux")) {
            return null;
        }
        return switch (osArch) {
            case "amd64", "x86_64" -> "linux-x64/" + LIBRARY;
            case "aarch64", "arm64" -> "linux-arm64/" + LIBRARY;
            default -> null;
        };
    }

    /** The library as a file under {@code herdHome}, written on first use. */
    static Path extract(Path herdHome) throws Unavailable {
        String osName = System.getProperty("os.name");
        String osArch = System.getProperty("os.arch");
        String resource = resource(osName, osArch);
        if (resource == null) {
            throw new Unavailable("async-profiler has no library for " + osName + " " + osArch + " in herd's jar");
        }
        Path file = herdHome.resolve("lib").resolve("async-profiler-" + version()).resolve(LIBRARY);
        try (InputStream in = ProfilerLibrary.class.getResourceAsStream("/" + resource)) {
            if (in == null) {
                throw new Unavailable("herd's jar lacks " + resource + " (a build without async-profiler)");
            }
            byte[] bytes = in.readAllBytes();
            if (Files.isRegularFile(file) && Files.size(file) == bytes.length) {
                return file;
            }
            Files.createDirectories(file.getParent());
            // Written beside, then moved: a concurrent herd profile never loads a half-written library.
            Path part = Files.createTempFile(file.getParent(), LIBRARY, ".part");
            Files.write(part, bytes);
            Files.move(part, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return file;
        } catch (IOException e) {
            throw new Unavailable("cannot write " + file + ": " + e.getMessage());
        }
    }

    private static String version() {
        try (InputStream in = ProfilerLibrary.class.getResourceAsStream(POM)) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                return p.getProperty("version", "unknown");
            }
        } catch (IOException e) {
            return "unknown";
        }
        return "unknown";
    }
}
