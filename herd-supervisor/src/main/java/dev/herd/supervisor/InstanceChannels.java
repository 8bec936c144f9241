package dev.herd.supervisor;

import java.io.IOException;
import java.util.Map;

/**
 * Message channels between herd and its instances' processes: what gives a Node.js app
 * {@code process.send} and {@code process.on('message')} as PM2's IPC channel does. The
 * supervisor opens one for each run of an instance before spawning it, puts what its processes
 * need to reach it in their environment, hears from it when the process says {@code 'ready'},
 * sends it {@code 'shutdown'} to stop it ({@link StopPolicy#shutdownMessage()}), and closes it
 * when the run ends.
 *
 * <p>Implementations are thread-safe; {@code ready} callbacks may come from any thread.
 */
public interface InstanceChannels {

    /**
     * Opens the channel of one run of an instance.
     *
     * @param app   the instance's app, for what the channel logs
     * @param index the instance's index, likewise
     * @param ready called, on any thread, each time a process of the run says {@code 'ready'}
     * @throws IOException when there can be no channel; the run then starts without one
     */
    Channel open(String app, int index, Runnable ready) throws IOException;

    /** No channels: every run starts without one, and a stop always sends the kill signal. */
    static InstanceChannels none() {
        return (app, index, ready) -> Channel.NONE;
    }

    /** The channel of one run. */
    interface Channel {

        /** A channel no process can reach: it adds nothing to the environment and sends nothing. */
        Channel NONE = new Channel() {
            @Override
            public void addTo(Map<String, String> env) {
            }

            @Override
            public boolean send(String message) {
                return false;
            }

            @Override
            public void close() {
            }
        };

        /** Adds to the run's environment what its processes need to reach the channel. */
        void addTo(Map<String, String> env);

        /**
         * Called before {@link #addTo} when the launcher can hand the run's process a descriptor:
         * a channel that the process is to inherit (a socket pair's end) puts in {@code env}
         * where the process finds it, and returns the end's descriptor in this process.
         *
         * @param childFd the number the descriptor will have in the process
         * @return the descriptor to hand over, or -1 for none (the channel is reached otherwise)
         */
        default int inherit(Map<String, String> env, int childFd) {
            return -1;
        }

        /** The launch is over, started or not: the channel closes its copy of the inherited end. */
        default void spawned() {
        }

        /**
         * Sends a message to the run's process.
         *
         * @param message what its {@code 'message'} listeners receive, a string
         * @return whether it went out: false when no process of the run is connected
         */
        boolean send(String message);

        /** The run ended: the channel forgets it and ends its connection. Idempotent. */
        void close();
    }
}
