package dev.herd.supervisor;

import java.util.List;
import java.util.Optional;

/**
 * What the supervisor asks of the operating system about processes it started: their trees and
 * groups, and signals to them. The system's is {@link #system()}; a test gives a fake, so that no
 * real process is signalled for a fake pid.
 */
public interface ProcessTable {

    /** The process and all its descendants, the root first; empty if it is gone. */
    List<ProcessTree.Stat> treeOf(long pid);

    /** The live members of a process group. */
    List<ProcessTree.Stat> groupMembers(long pgid);

    /**
     * The live processes that carry an instance's mark ({@link Supervisor#TRACE_VARIABLE}) in
     * their environment: its descendants, also those that left its tree and group (a {@code setsid}
     * daemon whose parent exited), of the user {@code uid} alone: a process of another user is
     * not taken for an instance's on its word. None by default, as a fake table has no
     * environments.
     */
    default List<ProcessTree.Stat> marked(String entry, int uid) {
        return List.of();
    }

    /**
     * A new cgroup for one run, which its process and its descendants cannot leave
     * ({@link Cgroups}); empty where there are none, as in a fake table.
     *
     * @param run a name unique among the runs of this table
     */
    default Optional<RunCgroup> newCgroup(String run) {
        return Optional.empty();
    }

    /** Removes the cgroups {@link #newCgroup} made and no process holds any more. */
    default void close() {
    }

    /** Whether this very process (pid and start time) still runs and is not a zombie. */
    boolean isAlive(ProcessTree.Stat process);

    /** Sends a signal to one process; false if it does not exist. */
    boolean kill(long pid, Signal signal);

    /** Sends a signal to every process of a group; false if the group is empty. */
    boolean killGroup(long pgid, Signal signal);

    /** The real one: {@code /proc}, {@code kill(2)} and, where this process may make them, cgroups. */
    static ProcessTable system() {
        return new ProcessTable() {
            @Override
            public List<ProcessTree.Stat> treeOf(long pid) {
                return ProcessTree.treeOf(pid);
            }

            @Override
            public List<ProcessTree.Stat> groupMembers(long pgid) {
                return ProcessTree.groupMembers(pgid);
            }

            @Override
            public List<ProcessTree.Stat> marked(String entry, int uid) {
                return ProcessTree.withEnvironmentEntry(entry, uid);
            }

            @Override
            public Optional<RunCgroup> newCgroup(String run) {
                return Cgroups.system().create(run);
            }

            @Override
            public void close() {
                Cgroups.system().removeIfEmpty();
            }

            @Override
            public boolean isAlive(ProcessTree.Stat process) {
                return ProcessTree.isAlive(process);
            }

            @Override
            public boolean kill(long pid, Signal signal) {
                return Posix.kill(pid, signal);
            }

            @Override
            public boolean killGroup(long pgid, Signal signal) {
                return Posix.killGroup(pgid, signal);
            }
        };
    }
}
