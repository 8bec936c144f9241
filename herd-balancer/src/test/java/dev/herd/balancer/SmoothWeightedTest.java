package dev.herd.balancer;

import static dev.herd.balancer.Fixtures.backend;
import static dev.herd.balancer.Fixtures.ids;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

class SmoothWeightedTest {

    @Test
    void weightsFiveOneOneInterleaveAsNginx() {
        LoadBalancer lb = LoadBalancers.weighted(
                List.of(backend("a", 5, 0), backend("b", 1, 0), backend("c", 1, 0)), () -> 0);

        assertThat(ids(lb, 14)).containsExactly(
                "a", "a", "b", "a", "c", "a", "a",
                "a", "a", "b", "a", "c", "a", "a");
    }

    @Test
    void weightsTwoOneAlternate() {
        LoadBalancer lb = LoadBalancers.weighted(List.of(backend("a", 2, 0), backend("b", 1, 0)), () -> 0);

        assertThat(ids(lb, 6)).containsExactly("a", "b", "a", "a", "b", "a");
    }

    @Test
    void anUnavailableBackendsShareGoesToTheRestByWeight() {
        Backend a = backend("a", 3, 0);
        Backend b = backend("b", 1, 0);
        Backend c = backend("c", 2, 0);
        LoadBalancer lb = LoadBalancers.weighted(List.of(a, b, c), () -> 0);
        c.setAdmin(AdminState.MAINTENANCE, 0);

        assertThat(ids(lb, 8)).containsExactly("a", "a", "b", "a", "a", "a", "b", "a");
    }
}
