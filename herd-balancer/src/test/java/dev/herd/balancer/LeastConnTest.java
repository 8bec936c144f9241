package dev.herd.balancer;

import static dev.herd.balancer.Fixtures.backend;
import static dev.herd.balancer.Fixtures.load;
import static dev.herd.balancer.Fixtures.permutations;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

class LeastConnTest {

    private static final List<String> IDS = List.of("a", "b", "c", "d");

    @Test
    void picksTheFewestInFlightInEveryInputOrder() {
        for (List<String> order : permutations(IDS)) {
            Map<String, Backend> byId = backendsIn(order);
            load(byId.get("a"), 3);
            load(byId.get("b"), 1);
            load(byId.get("c"), 2);
            load(byId.get("d"), 4);
            LoadBalancer lb = LoadBalancers.leastConn(List.copyOf(inOrder(order, byId)), () -> 0);

            assertThat(lb.pick(new RequestInfo("k")).id()).as("order %s", order).isEqualTo("b");
        }
    }

    @Test
    void weightScalesTheLoadABackendMayCarry() {
        Backend heavy = backend("heavy", 3, 0);
        Backend light = backend("light", 1, 0);
        // heavy carries more, yet less for its weight: (5 + 1) / 3 = 2 against (2 + 1) / 1 = 3.
        load(heavy, 5);
        load(light, 2);
        for (List<Backend> order : List.of(List.of(heavy, light), List.of(light, heavy))) {
            assertThat(LoadBalancers.leastConn(order, () -> 0).pick(new RequestInfo("k"))).isSameAs(heavy);
        }
    }

    @Test
    void givesTiesToEachTiedBackendEquallyInEveryInputOrder() {
        for (List<String> order : permutations(IDS)) {
            Map<String, Backend> byId = backendsIn(order);
            // b and d tie at the least; placing them apart or together must not favour either.
            load(byId.get("a"), 2);
            load(byId.get("c"), 1);
            LoadBalancer lb = LoadBalancers.leastConn(inOrder(order, byId), () -> 0);

            Map<String, Integer> counts = countPicks(lb, 1000);

            assertThat(counts).as("order %s", order).containsOnly(Map.entry("b", 500), Map.entry("d", 500));
        }
    }

    @Test
    void allTiedGoInTurnInEveryInputOrder() {
        for (List<String> order : permutations(IDS)) {
            LoadBalancer lb = LoadBalancers.leastConn(inOrder(order, backendsIn(order)), () -> 0);

            assertThat(countPicks(lb, 1000)).as("order %s", order)
                    .containsOnly(Map.entry("a", 250), Map.entry("b", 250), Map.entry("c", 250), Map.entry("d", 250));
        }
    }

    @Test
    void sharesLiveTrafficEquallyInEveryInputOrder() {
        for (List<String> order : permutations(IDS)) {
            LoadBalancer lb = LoadBalancers.leastConn(inOrder(order, backendsIn(order)), () -> 0);
            SplittableRandom random = new SplittableRandom(7);
            Deque<Backend> inFlight = new ArrayDeque<>();
            Map<String, Integer> counts = new HashMap<>();
            for (int i = 0; i < 40_000; i++) {
                Backend b = lb.pick(new RequestInfo("k"));
                b.onStart();
                inFlight.add(b);
                counts.merge(b.id(), 1, Integer::sum);
                // Requests end in random order, so loads vary and ties come and go.
                while (inFlight.size() > 6 || (!inFlight.isEmpty() && random.nextInt(3) == 0)) {
                    Backend done = random.nextBoolean() ? inFlight.pollFirst() : inFlight.pollLast();
                    done.onEnd(1_000_000, 0, null);
                }
            }
            for (String id : IDS) {
                assertThat(counts.get(id)).as("%s in order %s", id, order).isBetween(9_600, 10_400);
            }
        }
    }

    @Test
    void skipsUnavailableEvenWhenLeastLoaded() {
        Backend a = backend("a");
        Backend b = backend("b");
        load(a, 5);
        b.setHealth(Health.UNHEALTHY);
        LoadBalancer lb = LoadBalancers.leastConn(List.of(a, b), () -> 0);

        assertThat(lb.pick(new RequestInfo("k"))).isSameAs(a);
    }

    @Test
    void slowStartCountsARampingBackendsLoadAsIfItsWeightWereItsRamp() {
        AtomicLong now = new AtomicLong(1_000);
        Backend old = backend("old", 1, 0);
        Backend young = backend("young", 1, 1_000);
        LoadBalancer lb = LoadBalancers.slowStart(LoadBalancers.leastConn(List.of(old, young), now::get),
                Duration.ofNanos(1_000), now::get, new SplittableRandom(1));

        // At age 0 the ramp is 10%: idle young counts as (0+1)/0.1 = 10, so old takes up to 9 in flight.
        load(old, 8);
        assertThat(lb.pick(new RequestInfo("k"))).isSameAs(old);
        load(old, 2);
        assertThat(lb.pick(new RequestInfo("k"))).isSameAs(young);

        // At half the window young counts as 2 per request: old with 10 in flight (11) loses to young with 4 (10).
        now.set(1_500);
        load(young, 4);
        assertThat(lb.pick(new RequestInfo("k"))).isSameAs(young);
        load(young, 1);
        assertThat(lb.pick(new RequestInfo("k"))).isSameAs(old);

        // After the window it is plain least-conn.
        now.set(2_000);
        assertThat(lb.pick(new RequestInfo("k"))).isSameAs(young);
    }

    private static Map<String, Backend> backendsIn(List<String> order) {
        Map<String, Backend> byId = new HashMap<>();
        for (String id : order) {
            byId.put(id, backend(id));
        }
        return byId;
    }

    private static List<Backend> inOrder(List<String> order, Map<String, Backend> byId) {
        return order.stream().map(byId::get).toList();
    }

    private static Map<String, Integer> countPicks(LoadBalancer lb, int picks) {
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < picks; i++) {
            counts.merge(lb.pick(new RequestInfo("k")).id(), 1, Integer::sum);
        }
        return counts;
    }
}
