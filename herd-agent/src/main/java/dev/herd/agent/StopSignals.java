package dev.herd.agent;

import java.io.PrintStream;

import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Sees the instance's stop signal ({@code SIGTERM}, or {@code SIGINT}, PM2's default) before the
 * JVM starts its shutdown, so that {@link InheritedSocket#stopAccepting} runs before the app's
 * shutdown hooks pause its server, then hands the signal on to whoever had it (the JVM's own
 * handler starts the shutdown as without the agent).
 */
final class StopSignals {

    private StopSignals() {
    }

    static void install(InheritedSocket socket, PrintStream err) {
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                Signal signal = new Signal(name);
                SignalHandler[] before = new SignalHandler[1];
                before[0] = Signal.handle(signal, s -> {
                    socket.stopAccepting();
                    handOn(before[0], s);
                });
            } catch (IllegalArgumentException | UnsupportedOperationException e) {
                // The JVM keeps the signal to itself (-Xrs): its acceptor is left as it is.
                err.println("[herd] cannot watch SIG" + name + " (" + ListenAgent.reason(e)
                        + "): a blocking acceptor may take a connection as it stops");
            }
        }
    }

    private static void handOn(SignalHandler before, Signal signal) {
        if (before == SignalHandler.SIG_IGN) {
            return;
        }
        if (before == SignalHandler.SIG_DFL || before == null) {
            Signal.handle(signal, SignalHandler.SIG_DFL);
            Signal.raise(signal);
            return;
        }
        before.handle(signal);
    }
}
