package dev.herd.cli;

import java.util.Set;

/**
 * {@code herd list}, the command run most, started without picocli when its arguments are plain
 * ({@code list} or one of its aliases, and {@code --json} or nothing): building picocli's
 * model of even one command, its classes verified as the Java 5 classes they are, was about 90 ms
 * of a {@code herd list} that spent some 200 ms in the JVM (measured from a class-load timeline).
 * Any other argument, {@code --help} or a typo included, goes through picocli, so its messages
 * stay picocli's.
 */
final class QuickCommand {

    /** {@code list}'s name and aliases, as its {@code @Command} says (checked by a test). */
    static final Set<String> LIST_NAMES = Set.of("list", "ls", "status", "l", "ps");
    /** {@code list}'s one option. */
    static final String JSON = "--json";

    private QuickCommand() {
    }

    /** The list command that these arguments ask for, set up as picocli would, or null when picocli must parse them. */
    static Main.ListCmd plainList(String[] args) {
        if (args.length == 0 || args.length > 2 || !LIST_NAMES.contains(args[0])) {
            return null;
        }
        Main.ListCmd list = new Main.ListCmd();
        if (args.length == 2) {
            if (!args[1].equals(JSON)) {
                return null;
            }
            list.json = true;
        }
        return list;
    }
}
