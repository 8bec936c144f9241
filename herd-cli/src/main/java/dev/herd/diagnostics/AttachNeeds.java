package dev.herd.diagnostics;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What the JDK's attach mechanism needs from a target, checked before attaching so that a refusal
 * says why: the same user, no {@code -XX:+DisableAttachMechanism}, and a handshake through files
 * (the client creates {@code .attach_pid<pid>} in the target's working directory or {@code /tmp}
 * and sends SIGQUIT; the target answers on the socket {@code /tmp/.java_pid<pid>}).
 */
final class AttachNeeds {

    private static final String DISABLE = "-XX:+DisableAttachMechanism";
    private static final String ENABLE = "-XX:-DisableAttachMechanism";

    private AttachNeeds() {
    }

    /**
     * Whether the JVM runs with its attach mechanism disabled: the last of the two flags wins, read
     * in the order the JVM reads its options ({@code JAVA_TOOL_OPTIONS}, {@code JDK_JAVA_OPTIONS},
     * the command line, {@code _JAVA_OPTIONS}).
     */
    static boolean attachDisabled(List<String> argv, Map<String, String> env) {
        List<String> options = new ArrayList<>(words(env.get("JAVA_TOOL_OPTIONS")));
        options.addAll(words(env.get("JDK_JAVA_OPTIONS")));
        options.addAll(argv);
        options.addAll(words(env.get("_JAVA_OPTIONS")));
        boolean disabled = false;
        for (String o : options) {
            if (o.equals(DISABLE)) {
                disabled = true;
            } else if (o.equals(ENABLE)) {
                disabled = false;
            }
        }
        return disabled;
    }

    /** Why herd will not attach to {@code target}, or null when nothing stands in the way. */
    static String refusal(ProcFacts target, long ownUid) {
        if (target.uid() >= 0 && ownUid >= 0 && target.uid() != ownUid) {
            return "pid " + target.pid() + " runs as uid " + target.uid() + " and herd as uid " + ownUid
                    + ": the attach API works only between processes of the same user (run herd as uid " + target.uid() + ")";
        }
        if (attachDisabled(target.argv(), target.env())) {
            return "pid " + target.pid() + " runs with " + DISABLE + ": remove it from its jvm_args (or JAVA_TOOL_OPTIONS)"
                    + " and restart it to take dumps and profiles";
        }
        return null;
    }

    /** One line explaining a failed attach to {@code target}, from the attach API's message. */
    static String attachFailure(ProcFacts target, String message) {
        String cwd = target.cwd().isEmpty() ? "its working directory" : target.cwd();
        if (message != null && message.contains("doesn't respond")) {
            return "pid " + target.pid() + " did not answer the attach request: it may be starting, stopping or hung, or its"
                    + " /tmp/.java_pid" + target.pid() + " socket was deleted (by a /tmp cleaner: restart the instance);"
                    + " the handshake needs the same /tmp as herd (no PrivateTmp) and write access to " + cwd + " or /tmp";
        }
        return "cannot attach to pid " + target.pid() + ": " + message;
    }

    private static List<String> words(String value) {
        if (value == null || value.isBlank()) {
            return List.of();
        }
        // The JVM splits these variables at white space too.
        return List.of(value.trim().split("\\s+"));
    }
}
