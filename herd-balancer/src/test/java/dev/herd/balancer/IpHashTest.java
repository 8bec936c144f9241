package dev.herd.balancer;

import static dev.herd.balancer.Fixtures.backend;
import static dev.herd.balancer.Fixtures.backends;
import static dev.herd.balancer.Fixtures.counts;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

class IpHashTest {

    private static final int KEYS = 100_000;

    @Test
    void sameKeySameBackendAcrossInstances() {
        List<Backend> backends = backends(10);
        String[] first = assignment(LoadBalancers.ipHash(backends, () -> 0));
        String[] again = assignment(LoadBalancers.ipHash(List.copyOf(backends), () -> 0));

        assertThat(again).isEqualTo(first);
    }

    @Test
    void spreadsKeysEvenly() {
        Map<String, Integer> counts = counts(LoadBalancers.ipHash(backends(10), () -> 0), KEYS, IpHashTest::key);

        assertThat(counts).hasSize(10);
        counts.values().forEach(c -> assertThat(c).isBetween(9_500, 10_500));
    }

    @Test
    void removingOneOfTenMovesOnlyItsKeys() {
        List<Backend> backends = backends(10);
        String[] before = assignment(LoadBalancers.ipHash(backends, () -> 0));
        List<Backend> without = new ArrayList<>(backends);
        Backend removed = without.remove(3);
        String[] after = assignment(LoadBalancers.ipHash(without, () -> 0));

        int moved = 0;
        for (int i = 0; i < KEYS; i++) {
            if (!before[i].equals(after[i])) {
                moved++;
                assertThat(before[i]).as("key %d moved from a backend that stayed", i).isEqualTo(removed.id());
            }
        }
        assertThat(moved / (double) KEYS).isBetween(0.07, 0.13);
    }

    @Test
    void addingAnEleventhTakesAboutOneEleventhAndOnlyToItself() {
        List<Backend> backends = backends(10);
        String[] before = assignment(LoadBalancers.ipHash(backends, () -> 0));
        List<Backend> with = new ArrayList<>(backends);
        with.add(backend("b10"));
        String[] after = assignment(LoadBalancers.ipHash(with, () -> 0));

        int moved = 0;
        for (int i = 0; i < KEYS; i++) {
            if (!before[i].equals(after[i])) {
                moved++;
                assertThat(after[i]).isEqualTo("b10");
            }
        }
        assertThat(moved / (double) KEYS).isCloseTo(1 / 11.0, offset(0.01));
    }

    @Test
    void anUnavailableBackendsKeysGoToTheirNextBestAndComeBack() {
        List<Backend> backends = backends(10);
        LoadBalancer lb = LoadBalancers.ipHash(backends, () -> 0);
        String[] before = assignment(lb);
        List<Backend> without = new ArrayList<>(backends);
        without.remove(backends.get(5));
        String[] rebuilt = assignment(LoadBalancers.ipHash(without, () -> 0));

        backends.get(5).setHealth(Health.UNHEALTHY);
        // Passing over an unavailable backend is the same as building without it.
        assertThat(assignment(lb)).isEqualTo(rebuilt);

        backends.get(5).setHealth(Health.HEALTHY);
        assertThat(assignment(lb)).isEqualTo(before);
    }

    @Test
    void keysSplitByWeight() {
        List<Backend> backends = List.of(backend("a", 1, 0), backend("b", 2, 0), backend("c", 3, 0));

        Map<String, Integer> counts = counts(LoadBalancers.ipHash(backends, () -> 0), KEYS, IpHashTest::key);

        assertThat(counts.get("a") / (double) KEYS).isCloseTo(1 / 6.0, offset(0.01));
        assertThat(counts.get("b") / (double) KEYS).isCloseTo(2 / 6.0, offset(0.01));
        assertThat(counts.get("c") / (double) KEYS).isCloseTo(3 / 6.0, offset(0.01));
    }

    @Test
    void withWeightsRemovingOneMovesOnlyItsKeysSpreadOverTheRestByWeight() {
        List<Backend> backends = List.of(backend("a", 1, 0), backend("b", 2, 0), backend("c", 3, 0), backend("d", 4, 0));
        String[] before = assignment(LoadBalancers.ipHash(backends, () -> 0));
        String[] after = assignment(LoadBalancers.ipHash(List.of(backends.get(0), backends.get(1), backends.get(3)), () -> 0));

        Map<String, Integer> movedTo = new java.util.TreeMap<>();
        for (int i = 0; i < KEYS; i++) {
            if (!before[i].equals(after[i])) {
                assertThat(before[i]).as("key %d moved from a backend that stayed", i).isEqualTo("c");
                movedTo.merge(after[i], 1, Integer::sum);
            }
        }
        int moved = movedTo.values().stream().mapToInt(Integer::intValue).sum();
        assertThat(moved / (double) KEYS).as("c's share of weight 10").isCloseTo(0.3, offset(0.01));
        // The weighted scores of the rest are untouched, so c's keys split 1 : 2 : 4.
        assertThat(movedTo.get("a") / (double) moved).isCloseTo(1 / 7.0, offset(0.015));
        assertThat(movedTo.get("b") / (double) moved).isCloseTo(2 / 7.0, offset(0.015));
        assertThat(movedTo.get("d") / (double) moved).isCloseTo(4 / 7.0, offset(0.015));
    }

    @Test
    void withWeightsAddingOneTakesItsWeightsShareAndOnlyToItself() {
        List<Backend> backends = List.of(backend("a", 1, 0), backend("b", 2, 0), backend("c", 3, 0));
        String[] before = assignment(LoadBalancers.ipHash(backends, () -> 0));
        List<Backend> with = new ArrayList<>(backends);
        with.add(backend("d", 2, 0));
        String[] after = assignment(LoadBalancers.ipHash(with, () -> 0));

        int moved = 0;
        for (int i = 0; i < KEYS; i++) {
            if (!before[i].equals(after[i])) {
                moved++;
                assertThat(after[i]).isEqualTo("d");
            }
        }
        assertThat(moved / (double) KEYS).isCloseTo(2 / 8.0, offset(0.01));
    }

    @Test
    void slowStartMovesKeysToTheNewBackendGraduallyAndForGood() {
        AtomicLong now = new AtomicLong(0);
        List<Backend> backends = new ArrayList<>(backends(3));
        Backend young = backend("young", 1, 10_000);
        backends.add(young);
        String[] settled = assignment(LoadBalancers.ipHash(backends, now::get));
        LoadBalancer lb = LoadBalancers.slowStart(LoadBalancers.ipHash(backends, now::get),
                Duration.ofNanos(1_000), now::get, new SplittableRandom(1));

        now.set(10_250);
        String[] quarter = assignment(lb);
        now.set(10_500);
        String[] half = assignment(lb);
        now.set(11_000);
        String[] full = assignment(lb);

        // Weight 0.25 against three of 1: 0.25 / 3.25 of the keys.
        assertThat(share(quarter, "young")).isCloseTo(0.25 / 3.25, offset(0.01));
        assertThat(share(half, "young")).isCloseTo(0.5 / 3.5, offset(0.01));
        assertThat(full).isEqualTo(settled);
        // A key only ever moves to the young backend, and then stays there.
        List<Integer> movedBack = new ArrayList<>();
        for (int i = 0; i < KEYS; i++) {
            boolean leftYoung = quarter[i].equals("young") && !half[i].equals("young")
                    || half[i].equals("young") && !full[i].equals("young");
            boolean movedBetweenOld = !half[i].equals("young") && !quarter[i].equals(half[i]);
            if (leftYoung || movedBetweenOld) {
                movedBack.add(i);
            }
        }
        assertThat(movedBack).isEmpty();
    }

    private static double share(String[] assignment, String id) {
        int n = 0;
        for (String s : assignment) {
            n += s.equals(id) ? 1 : 0;
        }
        return n / (double) assignment.length;
    }

    /** Keys shaped like client addresses, which differ in few characters. */
    private static String key(int i) {
        return "10." + (i >> 16) + "." + ((i >> 8) & 255) + "." + (i & 255);
    }

    private static String[] assignment(LoadBalancer lb) {
        String[] ids = new String[KEYS];
        for (int i = 0; i < KEYS; i++) {
            ids[i] = lb.pick(new RequestInfo(key(i))).id();
        }
        return ids;
    }
}
