package dev.herd.daemon;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The daemon's answer to one request.
 *
 * @param v      the daemon's protocol version
 * @param daemon the daemon's herd version
 * @param ok     whether the command succeeded
 * @param error  the one-line message when it did not
 * @param body   the command's result, shaped per command
 */
public record Response(int v, String daemon, boolean ok, String error, JsonNode body) {
}
