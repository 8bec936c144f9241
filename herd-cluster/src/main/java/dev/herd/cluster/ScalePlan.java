package dev.herd.cluster;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * What a scale to {@code target} instances does, decided from the app's members alone: the
 * indexes of the instances to add (the lowest free ones, so that {@code HERD_APP_INSTANCE}
 * stays 0..n-1), or the ids of those to retire (the highest indexes first, those not serving
 * before those that serve).
 *
 * @param add    indexes of new instances
 * @param retire ids of instances to drain and stop
 */
public record ScalePlan(List<Integer> add, List<Integer> retire) {

    public ScalePlan {
        add = List.copyOf(add);
        retire = List.copyOf(retire);
    }

    /** Whether there is nothing to do. */
    public boolean isEmpty() {
        return add.isEmpty() && retire.isEmpty();
    }

    /** The plan for {@code members} (every instance of the app, whatever its state) to become {@code target}. */
    public static ScalePlan of(List<ClusterApp.Member> members, int target) {
        if (target < 1) {
            throw new IllegalArgumentException("target must be at least 1, was " + target);
        }
        int count = members.size();
        if (target > count) {
            Set<Integer> used = members.stream().map(ClusterApp.Member::index).collect(Collectors.toCollection(TreeSet::new));
            List<Integer> add = new ArrayList<>();
            for (int i = 0; add.size() < target - count; i++) {
                if (!used.contains(i)) {
                    add.add(i);
                }
            }
            return new ScalePlan(add, List.of());
        }
        List<Integer> retire = members.stream()
                .sorted(Comparator.comparing((ClusterApp.Member m) -> m.place() == ClusterApp.Place.READY)
                        .thenComparing(ClusterApp.Member::index, Comparator.reverseOrder()))
                .limit(count - target)
                .map(ClusterApp.Member::id)
                .toList();
        return new ScalePlan(List.of(), retire);
    }
}
