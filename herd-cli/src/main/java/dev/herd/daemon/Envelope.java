package dev.herd.daemon;

/**
 * One request as sent over the socket.
 *
 * @param v       the protocol version of the sender ({@link Protocol#VERSION})
 * @param client  the herd version of the sender
 * @param request the command
 */
public record Envelope(int v, String client, Request request) {
}
