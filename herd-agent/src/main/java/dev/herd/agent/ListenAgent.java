package dev.herd.agent;

import java.io.PrintStream;
import java.lang.instrument.Instrumentation;
import java.nio.channels.Channel;
import java.nio.channels.ServerSocketChannel;

/**
 * herd's Java agent for socket mode ({@code -javaagent:herd-agent.jar}, which herd adds to a JVM
 * app's {@code jvm_args}): an unmodified server that binds the app's port itself (the JDK's
 * {@code HttpServer}, Jetty, Tomcat, Netty's NIO transport, Spring Boot: all bind a
 * {@code ServerSocketChannel}; or a plain {@code java.net.ServerSocket}) gets the listening socket
 * herd hands the instance instead of a socket of its own.
 *
 * <p>It acts only when {@code HERD_LISTEN_FD} and {@code HERD_LISTEN_PORT} are set and
 * {@code System.inheritedChannel()} is a listening socket (herd hands it as stdin too, where the
 * JDK looks); otherwise it loads nothing more than this class and changes no class. Then the
 * first bind in the process of {@code HERD_LISTEN_PORT}, on any host, becomes herd's socket (see
 * {@link InheritedSocket}); every other bind, of any port, is the JDK's own. It says so in one
 * line on stderr, and when anything fails it says so in one line and leaves the app to bind as
 * usual.
 */
public final class ListenAgent {

    private ListenAgent() {
    }

    /** The JVM calls this before the app's {@code main}; it never throws, whatever goes wrong. */
    public static void premain(String args, Instrumentation instrumentation) {
        PrintStream err = System.err;
        try {
            ListenSettings settings = ListenSettings.from(System.getenv());
            if (settings == null) {
                return;
            }
            Channel inherited = System.inheritedChannel();
            if (!(inherited instanceof ServerSocketChannel channel)) {
                err.println("[herd] " + ListenSettings.FD_VARIABLE + " is set but stdin is not a listening socket: "
                        + "a bind of port " + settings.port() + " binds as usual");
                return;
            }
            // Weaving is the only class that links to Byte Buddy: an agent that stops above loads none of it.
            Weaving.install(settings, channel, instrumentation, err);
        } catch (Throwable e) {
            err.println("[herd] the agent cannot watch this JVM's binds (" + reason(e) + "): they bind as usual");
        }
    }

    /** A failure in one line: its message, or its type when it has none. */
    static String reason(Throwable e) {
        Throwable cause = e;
        while (cause.getCause() != null && cause.getMessage() == null) {
            cause = cause.getCause();
        }
        return cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName();
    }
}
