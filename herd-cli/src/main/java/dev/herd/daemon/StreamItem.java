package dev.herd.daemon;

/**
 * One pushed message of a subscription ({@code logs}): a line of output or a change of state.
 *
 * @param type     {@code line} or {@code event}
 * @param app      the app's name
 * @param instance the instance's index in the app
 * @param id       the instance's id
 * @param stream   {@code out} or {@code err} for a line; null for an event
 * @param time     epoch milliseconds
 * @param text     the line, or the event in words
 */
public record StreamItem(String type, String app, int instance, int id, String stream, long time, String text) {
}
