package dev.herd.hit;

/**
 * How one request ended.
 *
 * @param number       the request's number in the run, from 1
 * @param latencyNanos from the request's due time (see {@link Schedule}) to its end
 * @param status       the response's status, or 0 when no response came
 * @param instance     who served it ({@link InstanceRule}), or null without a response
 * @param firstLine    the body's first line, trimmed ("" for an empty body), or null without a response
 * @param error        why it failed, or null for a 2xx answer
 * @param detail       the failure in a few words, or null
 */
public record Exchange(long number, long latencyNanos, int status, String instance, String firstLine, ErrorKind error,
                       String detail) {

    /** A complete response: a failure of kind {@link ErrorKind#STATUS} unless its status is 2xx. */
    public static Exchange answered(long number, long latencyNanos, int status, String instance, String firstLine) {
        boolean ok = status >= 200 && status < 300;
        return new Exchange(number, latencyNanos, status, instance, firstLine, ok ? null : ErrorKind.STATUS,
                ok ? null : "status " + status);
    }

    /** No complete response. */
    public static Exchange failed(long number, long latencyNanos, ErrorKind kind, String detail) {
        return new Exchange(number, latencyNanos, 0, null, null, kind, detail);
    }

    /** Whether it got a 2xx answer. */
    public boolean ok() {
        return error == null;
    }
}
