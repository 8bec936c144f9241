package dev.herd.supervisor;

/**
 * How one run of an instance ended.
 *
 * @param epochMillis  wall-clock time of the exit
 * @param exitCode     the exit code as the JDK reports it (128 + n after death by signal n)
 * @param signal       the signal that ended it when {@code exitCode} is 129 to 159, else null. A
 *                     program that calls {@code exit(143)} is reported as SIGTERM too: the JDK
 *                     folds both into one number.
 * @param uptimeMillis how long the run lasted
 * @param requested    whether herd was asked to stop it
 * @param stoppedFor   why herd itself stopped it, as a failed one (it never got ready, say), or
 *                     {@code null}
 */
public record ExitRecord(long epochMillis, int exitCode, Signal signal, long uptimeMillis, boolean requested,
                         String stoppedFor) {

    /** An exit herd did not cause for a reason of its own. */
    public ExitRecord(long epochMillis, int exitCode, Signal signal, long uptimeMillis, boolean requested) {
        this(epochMillis, exitCode, signal, uptimeMillis, requested, null);
    }

    static ExitRecord of(long epochMillis, int exitCode, long uptimeMillis, boolean requested, String stoppedFor) {
        Signal signal = exitCode > 128 && exitCode < 160 ? Signal.ofNumber(exitCode - 128).orElse(null) : null;
        return new ExitRecord(epochMillis, exitCode, signal, uptimeMillis, requested, stoppedFor);
    }

    /** "code 1" or "signal SIGKILL". */
    public String describe() {
        return signal != null ? "signal " + signal.name() : "code " + exitCode;
    }
}
