package dev.herd.balancer;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/** Backends and counting helpers shared by the algorithm tests. */
final class Fixtures {

    /** EWMA time constant long enough that a test's fake time never decays the latencies much. */
    static final long EWMA_DECAY = 10_000_000_000L;

    private Fixtures() {
    }

    static Backend backend(String id) {
        return backend(id, 1, 0);
    }

    static Backend backend(String id, int weight, long joinedAtNanos) {
        // Unresolved: the algorithms never look at the address, and tests must do no lookups.
        return new Backend(id, InetSocketAddress.createUnresolved("127.0.0.1", 9000), weight, joinedAtNanos, EWMA_DECAY);
    }

    /** Backends b0 .. b(n-1) of weight 1, joined at time 0. */
    static List<Backend> backends(int n) {
        List<Backend> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(backend("b" + i));
        }
        return list;
    }

    /** Ids of {@code count} successive picks. */
    static List<String> ids(LoadBalancer lb, int count) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Backend b = lb.pick(new RequestInfo("client"));
            ids.add(b == null ? null : b.id());
        }
        return ids;
    }

    /** How many of {@code count} picks went to each backend id, keys from {@code key(i)}. */
    static Map<String, Integer> counts(LoadBalancer lb, int count, Function<Integer, String> key) {
        Map<String, Integer> counts = new TreeMap<>();
        for (int i = 0; i < count; i++) {
            counts.merge(lb.pick(new RequestInfo(key.apply(i))).id(), 1, Integer::sum);
        }
        return counts;
    }

    static void load(Backend b, int active) {
        for (int i = 0; i < active; i++) {
            b.onStart();
        }
    }

    /** All orderings of {@code items}. */
    static <T> List<List<T>> permutations(List<T> items) {
        if (items.isEmpty()) {
            return List.of(List.of());
        }
        List<List<T>> all = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            List<T> rest = new ArrayList<>(items);
            T head = rest.remove(i);
            for (List<T> tail : permutations(rest)) {
                List<T> p = new ArrayList<>();
                p.add(head);
                p.addAll(tail);
                all.add(p);
            }
        }
        return all;
    }
}
