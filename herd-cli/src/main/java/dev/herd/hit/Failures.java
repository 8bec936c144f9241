package dev.herd.hit;

import java.io.IOException;
import java.net.ConnectException;
import java.util.Locale;

import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.timeout.TimeoutException;

/**
 * Sorts a transport failure into an {@link ErrorKind}. Netty's native transports report the
 * kernel's words ({@code finishConnect(..) failed: Connection refused}) in exceptions of their
 * own, so the message is read as well as the type.
 */
final class Failures {

    private Failures() {
    }

    /** The kind of {@code failure}, looking through its causes. */
    static ErrorKind classify(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String message = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
            if (t instanceof ConnectTimeoutException || t instanceof TimeoutException) {
                return ErrorKind.TIMEOUT;
            }
            if (t instanceof ConnectException || message.contains("connection refused")) {
                return message.contains("timed out") ? ErrorKind.TIMEOUT : ErrorKind.REFUSED;
            }
            // A response cut short by the peer's close is a reset as far as the client can tell.
            if (t instanceof PrematureChannelClosureException
                    || t instanceof IOException && (message.contains("reset") || message.contains("broken pipe"))) {
                return ErrorKind.RESET;
            }
        }
        return ErrorKind.OTHER;
    }

    /** The failure in a few words for a per-request line: the innermost message, or the type's name. */
    static String describe(Throwable failure) {
        Throwable t = failure;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
    }
}
