package dev.herd.supervisor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The cgroup of one run of an instance ({@link Cgroups#create}): every process the run started is
 * in it, wherever it moved in the process tree, so a stop signals and waits for them all.
 */
public interface RunCgroup {

    /** Its folder in the cgroup file system. */
    Path path();

    /**
     * Moves a process into it: for a launcher that cannot have the process enter it before the
     * program runs, what that program started meanwhile stays outside.
     */
    void add(long pid) throws IOException;

    /** The live processes in it now. */
    List<ProcessTree.Stat> members();

    /** SIGKILL to every process in it, those it forks meanwhile included. */
    void killAll();

    /**
     * Removes it once it is empty.
     *
     * @return whether it is gone; false while a process is still in it
     */
    boolean remove();
}
