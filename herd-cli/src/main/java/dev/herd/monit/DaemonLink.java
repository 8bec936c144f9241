package dev.herd.monit;

import java.util.List;
import java.util.function.Consumer;

import dev.herd.daemon.HerdException;
import dev.herd.daemon.InstanceView;
import dev.herd.daemon.StreamItem;

/** What monit asks of the daemon. Each call blocks its caller's thread; they may run on different threads at once. */
public interface DaemonLink {

    /** The daemon's list, as {@code herd list --json} reads it. */
    List<InstanceView> list() throws HerdException;

    /**
     * Carries out {@code action} on {@code target} (an id or an app name) and returns when it is
     * done; a reload's steps go to {@code progress} as they come.
     *
     * @throws HerdException with a one-line message when the daemon refused or failed it
     */
    void act(Action action, String target, Consumer<String> progress) throws HerdException;

    /**
     * Streams {@code target}'s last {@code lines} lines per log file, then its new lines and
     * changes of state, to {@code sink}, until the daemon ends the stream or the calling thread
     * is interrupted.
     *
     * @throws HerdException when the daemon cannot be reached or goes away
     */
    void followLogs(String target, int lines, Consumer<StreamItem> sink) throws HerdException;
}
