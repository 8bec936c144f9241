package dev.herd.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * AppCDS for the daemon, as {@code bin/herd} has one for the client: the classes a daemon loads
 * (picocli, Jackson, Logback, Netty...) mapped from an archive instead of read from the jar. It
 * starts in ~0.5 s instead of ~1.1 s (measured here). No training run: the first daemon of a
 * build dumps what it loaded when it exits ({@code -XX:ArchiveClassesAtExit}), and the next
 * ones map it.
 *
 * <p>One daemon dumps at a time: it claims the dump with a lock file naming its pid, and writes
 * to a file of its own; that file is moved into place only once its daemon is gone, so no JVM
 * maps a file being written. An archive older than the jar is dropped and dumped again.
 */
final class DaemonArchive {

    /** A claim whose client died before naming the daemon. */
    private static final Duration UNNAMED_CLAIM = Duration.ofMinutes(1);

    private final Path jar;
    private final Path archive;
    private final Path dump;
    private final Path lock;
    private boolean claimed;

    /**
     * @param jar         herd's jar: an archive is for one build of it
     * @param javaVersion the JVM's version: an archive is for one JDK
     */
    DaemonArchive(Path jar, String javaVersion) {
        this.jar = jar;
        this.archive = jar.resolveSibling("herd-daemon-cds-" + javaVersion + ".jsa");
        this.dump = archive.resolveSibling(archive.getFileName() + ".dumping");
        this.lock = archive.resolveSibling(archive.getFileName() + ".lock");
    }

    /** The options for the next daemon's JVM: map the archive, or dump one, or neither. */
    List<String> options() {
        try {
            adoptFinishedDump();
            if (Files.isRegularFile(archive)) {
                if (!Files.getLastModifiedTime(archive).toInstant().isBefore(Files.getLastModifiedTime(jar).toInstant())) {
                    // Verified: a damaged archive is then refused by the JVM instead of mapped.
                    return List.of("-XX:SharedArchiveFile=" + archive, "-XX:+VerifySharedSpaces", "-Xlog:cds=off",
                            "-Xlog:class+path=off");
                }
                Files.deleteIfExists(archive);
            }
            Files.createFile(lock);
            claimed = true;
            return List.of("-XX:ArchiveClassesAtExit=" + dump, "-Xlog:cds=off", "-Xlog:cds+dynamic=off");
        } catch (FileAlreadyExistsException another) {
            return List.of();
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }

    /** Names the daemon that dumps, once it runs. */
    void started(long pid) {
        if (claimed) {
            try {
                Files.writeString(lock, Long.toString(pid), StandardCharsets.US_ASCII);
            } catch (IOException e) {
                // Left unnamed: the claim lapses after UNNAMED_CLAIM.
            }
        }
    }

    /** Moves a dump into place once the daemon that wrote it has exited. */
    private void adoptFinishedDump() throws IOException {
        if (!Files.exists(lock)) {
            return;
        }
        String text = Files.readString(lock, StandardCharsets.US_ASCII).trim();
        long pid = text.chars().allMatch(Character::isDigit) && !text.isEmpty() && text.length() < 19
                ? Long.parseLong(text) : -1;
        boolean dumping = pid < 0
                ? text.isEmpty() && Files.getLastModifiedTime(lock).toInstant().isAfter(Instant.now().minus(UNNAMED_CLAIM))
                : ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        if (dumping) {
            return;
        }
        if (Files.isRegularFile(dump) && Files.size(dump) > 0) {
            Files.move(dump, archive, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } else {
            Files.deleteIfExists(dump);
        }
        Files.deleteIfExists(lock);
    }
}
