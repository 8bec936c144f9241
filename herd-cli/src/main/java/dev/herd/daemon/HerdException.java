package dev.herd.daemon;

/**
 * A failure the user can act on, with a one-line message meant to be printed as is, without a
 * stack trace: a bad argument, a missing file, a daemon that cannot be reached.
 */
public class HerdException extends Exception {

    public HerdException(String message) {
        super(message);
    }

    public HerdException(String message, Throwable cause) {
        super(message, cause);
    }
}
