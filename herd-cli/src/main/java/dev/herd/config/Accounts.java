package dev.herd.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The users and groups of the machine, read from {@code /etc/passwd} and {@code /etc/group} as
 * PM2 reads them for {@code uid} and {@code gid}: a name or an id finds its line.
 */
final class Accounts {

    /**
     * One line of {@code /etc/passwd}.
     *
     * @param name the login name
     * @param uid  the user id
     * @param gid  the primary group id
     * @param home the home directory
     */
    record User(String name, int uid, int gid, String home) {
    }

    private final Path passwd;
    private final Path group;

    /** @param passwd the users' file; @param group the groups' file */
    Accounts(Path passwd, Path group) {
        this.passwd = passwd;
        this.group = group;
    }

    /** The machine's own files. */
    static Accounts system() {
        return new Accounts(Path.of("/etc/passwd"), Path.of("/etc/group"));
    }

    /** The user of that name, or of that id if {@code nameOrId} is a number. */
    Optional<User> user(String nameOrId) throws IOException {
        for (String[] f : lines(passwd, 7)) {
            if (f[0].equals(nameOrId) || f[2].equals(nameOrId)) {
                try {
                    return Optional.of(new User(f[0], Integer.parseInt(f[2]), Integer.parseInt(f[3]), f[5]));
                } catch (NumberFormatException e) {
                    // A damaged line names no one usable; the next may.
                }
            }
        }
        return Optional.empty();
    }

    /** The id of the group of that name, or that id if {@code nameOrId} is a group's number. */
    Optional<Integer> group(String nameOrId) throws IOException {
        for (String[] f : lines(group, 3)) {
            if (f[0].equals(nameOrId) || f[2].equals(nameOrId)) {
                try {
                    return Optional.of(Integer.parseInt(f[2]));
                } catch (NumberFormatException e) {
                    // As for users.
                }
            }
        }
        return Optional.empty();
    }

    /** Its lines split at colons, those with at least {@code fields} fields, comments left out. */
    private static List<String[]> lines(Path file, int fields) throws IOException {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8).stream()
                    .filter(line -> !line.isEmpty() && !line.startsWith("#"))
                    .map(line -> line.split(":", -1))
                    .filter(f -> f.length >= fields)
                    .toList();
        } catch (NoSuchFileException e) {
            return List.of();
        }
    }
}
