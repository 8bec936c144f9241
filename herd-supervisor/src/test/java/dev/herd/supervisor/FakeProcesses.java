package dev.herd.supervisor;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A launcher and process table with no real process behind them: each launch is a fake process
 * the test ends by hand ({@link FakeProcess#exit}) or by the signals the supervisor sends. Its
 * pids lie above Linux's largest pid, so nothing real could ever be signalled by mistake.
 */
public final class FakeProcesses implements ProcessLauncher, ProcessTable {

    private static final long FIRST_PID = 5_000_000L;

    /** One launched process. */
    public final class FakeProcess implements Launched {
        final long pid;
        final List<String> command;
        final Map<String, String> env;
        final Handover handover;
        final CompletableFuture<Integer> exit = new CompletableFuture<>();
        /** Whether SIGTERM (or the app's kill signal) ends it; SIGKILL always does. */
        volatile boolean obeysTerm = true;
        final List<Signal> received = new CopyOnWriteArrayList<>();

        FakeProcess(long pid, List<String> command, Map<String, String> env, Handover handover) {
            this.pid = pid;
            this.command = command;
            this.env = env;
            this.handover = handover;
        }

        @Override
        public long pid() {
            return pid;
        }

        @Override
        public InputStream stdout() {
            return new ByteArrayInputStream(new byte[0]);
        }

        @Override
        public InputStream stderr() {
            return new ByteArrayInputStream(new byte[0]);
        }

        @Override
        public CompletableFuture<Integer> exit() {
            return exit;
        }

        /** Ends it with this exit code (128 + n for death by signal n). */
        public void exit(int code) {
            exit.complete(code);
        }

        public boolean alive() {
            return !exit.isDone();
        }

        public List<String> command() {
            return command;
        }

        public Map<String, String> env() {
            return env;
        }

        /** The sockets it was handed, or null. */
        public Handover handover() {
            return handover;
        }

        public List<Signal> received() {
            return received;
        }

        public void ignoreTerm() {
            obeysTerm = false;
        }

        void signal(Signal s) {
            received.add(s);
            if (s == Signal.SIGKILL || obeysTerm && (s == Signal.SIGTERM || s == Signal.SIGINT)) {
                exit(128 + s.number());
            }
        }

        ProcessTree.Stat stat() {
            return new ProcessTree.Stat(pid, 'S', 1, pid, pid, 0, 0);
        }
    }

    /**
     * A run's cgroup: the processes put in it, those of the run's that left its tree and group
     * among them ({@link #escapeInto}).
     */
    public final class FakeCgroup implements RunCgroup {
        final String run;
        final List<FakeProcess> members = new CopyOnWriteArrayList<>();
        volatile boolean removed;
        volatile int killAlls;

        FakeCgroup(String run) {
            this.run = run;
        }

        @Override
        public Path path() {
            return Path.of("/fake", run);
        }

        @Override
        public void add(long pid) {
            members.add(find(pid));
        }

        @Override
        public List<ProcessTree.Stat> members() {
            return members.stream().filter(FakeProcess::alive).map(FakeProcess::stat).toList();
        }

        @Override
        public void killAll() {
            killAlls++;
            members.forEach(p -> p.signal(Signal.SIGKILL));
        }

        @Override
        public boolean remove() {
            removed = members.stream().noneMatch(FakeProcess::alive);
            return removed;
        }

        public boolean removed() {
            return removed;
        }

        public int killAlls() {
            return killAlls;
        }
    }

    private final List<FakeProcess> launched = new CopyOnWriteArrayList<>();
    private final List<FakeCgroup> cgroups = new CopyOnWriteArrayList<>();
    private volatile boolean confines;
    private volatile String failNextLaunch;

    /** From now on each launched process gets a cgroup of its run's own, as a system with cgroup v2 gives. */
    public void confineRuns() {
        confines = true;
    }

    /** The cgroups made, oldest first. */
    public List<FakeCgroup> cgroups() {
        return cgroups;
    }

    /**
     * A process of the run in {@code cgroup} that left its tree and group, and cleared its
     * environment: only the cgroup knows it is the run's.
     */
    public synchronized FakeProcess escapeInto(FakeCgroup cgroup) {
        FakeProcess p = new FakeProcess(FIRST_PID + launched.size(), List.of("escaped"), Map.of(), null);
        launched.add(p);
        cgroup.members.add(p);
        return p;
    }

    @Override
    public java.util.Optional<RunCgroup> newCgroup(String run) {
        if (!confines) {
            return java.util.Optional.empty();
        }
        FakeCgroup c = new FakeCgroup(run);
        cgroups.add(c);
        return java.util.Optional.of(c);
    }

    @Override
    public Launched launch(List<String> command, Path cwd, Map<String, String> env) throws IOException {
        return launch(command, cwd, env, null, null);
    }

    @Override
    public synchronized Launched launch(List<String> command, Path cwd, Map<String, String> env, RunAs runAs,
                                        Handover handover) throws IOException {
        if (runAs != null) {
            throw new IOException("this launcher cannot run a process as uid " + runAs.uid());
        }
        if (failNextLaunch != null) {
            String why = failNextLaunch;
            failNextLaunch = null;
            throw new IOException(why);
        }
        FakeProcess p = new FakeProcess(FIRST_PID + launched.size(), List.copyOf(command), Map.copyOf(env), handover);
        launched.add(p);
        return p;
    }

    /** The next launch fails with this message. */
    public void failNextLaunch(String message) {
        failNextLaunch = message;
    }

    /** Every process launched, oldest first. */
    public List<FakeProcess> launched() {
        return launched;
    }

    /** The newest process. */
    public FakeProcess last() {
        return launched.get(launched.size() - 1);
    }

    private FakeProcess find(long pid) {
        return launched.stream().filter(p -> p.pid == pid).findFirst().orElse(null);
    }

    @Override
    public List<ProcessTree.Stat> treeOf(long pid) {
        FakeProcess p = find(pid);
        return p != null && p.alive() ? List.of(p.stat()) : List.of();
    }

    @Override
    public List<ProcessTree.Stat> groupMembers(long pgid) {
        List<ProcessTree.Stat> out = new ArrayList<>();
        FakeProcess p = find(pgid);
        if (p != null && p.alive()) {
            out.add(p.stat());
        }
        return out;
    }

    @Override
    public boolean isAlive(ProcessTree.Stat process) {
        FakeProcess p = find(process.pid());
        return p != null && p.alive();
    }

    @Override
    public boolean kill(long pid, Signal signal) {
        FakeProcess p = find(pid);
        if (p == null || !p.alive()) {
            return false;
        }
        p.signal(signal);
        return true;
    }

    @Override
    public boolean killGroup(long pgid, Signal signal) {
        return kill(pgid, signal);
    }
}
