package dev.herd.daemon;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.herd.supervisor.MemoryLimit;

/**
 * Decides which instances are over their app's {@code max_memory_restart}: fed the sampler's
 * figures and the time, it answers which to restart, and the caller restarts them. Each
 * instance is checked at its app's interval; one found over its limit is named once per process,
 * so that a restart under way (a graceful stop takes up to {@code kill_timeout}, a replacement
 * until the new instance is ready) is not asked for again at every check.
 *
 * <p>Not thread-safe: called from the sampler's thread only.
 */
final class MemoryWatch {

    /**
     * A running instance with a limit, as sampled.
     *
     * @param id          the instance's id
     * @param app         its app
     * @param index       its index in the app
     * @param pid         its main process
     * @param limit       its app's limit
     * @param memoryBytes its whole process group's resident memory
     */
    record Sample(int id, String app, int index, long pid, MemoryLimit limit, long memoryBytes) {
    }

    /**
     * An instance to restart.
     *
     * @param id          the instance's id
     * @param app         its app
     * @param index       its index in the app
     * @param pid         the process that went over
     * @param memoryBytes what it held
     * @param limitBytes  its limit
     */
    record Breach(int id, String app, int index, long pid, long memoryBytes, long limitBytes) {

        /** Why it is restarted, for its log and {@code describe}. */
        String reason() {
            return "memory " + Units.bytes(memoryBytes) + " over max_memory_restart " + Units.bytes(limitBytes);
        }
    }

    private final Map<Integer, Long> lastChecked = new HashMap<>();
    private final Map<Integer, Long> named = new HashMap<>();

    /**
     * One round: the instances due for a check (never checked, or their interval passed) that are
     * over their limit, and not named before for the same process.
     *
     * @param running  every running instance with a limit, ready (online) ones only
     * @param nowNanos ticker time
     */
    List<Breach> check(List<Sample> running, long nowNanos) {
        Set<Integer> seen = new HashSet<>();
        List<Breach> over = new ArrayList<>();
        for (Sample s : running) {
            seen.add(s.id());
            Long last = lastChecked.get(s.id());
            if (last != null && nowNanos - last < s.limit().checkInterval().toNanos()) {
                continue;
            }
            lastChecked.put(s.id(), nowNanos);
            Long namedPid = named.get(s.id());
            if (namedPid != null && namedPid != s.pid()) {
                named.remove(s.id());
            }
            if (s.memoryBytes() > s.limit().maxBytes() && !named.containsKey(s.id())) {
                named.put(s.id(), s.pid());
                over.add(new Breach(s.id(), s.app(), s.index(), s.pid(), s.memoryBytes(), s.limit().maxBytes()));
            }
        }
        lastChecked.keySet().retainAll(seen);
        named.keySet().retainAll(seen);
        return over;
    }

    /** A restart that could not be done now (a reload of its app runs): the next check may ask again. */
    void retry(int id) {
        named.remove(id);
    }
}
