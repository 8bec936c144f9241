package dev.herd.daemon;

/**
 * One pushed message of a stream: a line of output or a change of state ({@code logs}), or a
 * step of a reload or scale and its end.
 *
 * @param type     {@code line}, {@code event}, {@code progress} (a step), or {@code done} (the
 *                 end of a reload or scale: {@code stream} is {@code ok} or {@code failed})
 * @param app      the app's name
 * @param instance the instance's index in the app
 * @param id       the instance's id
 * @param stream   {@code out} or {@code err} for a line ({@code log} for a past line of a combined
 *                 log, which does not say its stream); a step's name ({@code starting},
 *                 {@code ready}, {@code drained}, {@code stopped}, {@code failed}) for progress;
 *                 {@code ok} or {@code failed} when done; null for an event
 * @param time     epoch milliseconds
 * @param text     the line, or the event in words
 */
public record StreamItem(String type, String app, int instance, int id, String stream, long time, String text) {
}
