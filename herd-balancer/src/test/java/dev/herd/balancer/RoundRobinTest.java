package dev.herd.balancer;

import static dev.herd.balancer.Fixtures.backends;
import static dev.herd.balancer.Fixtures.ids;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

class RoundRobinTest {

    private final List<Backend> backends = backends(3);
    private final LoadBalancer lb = LoadBalancers.roundRobin(backends, () -> 0);

    @Test
    void cyclesInListOrder() {
        assertThat(ids(lb, 7)).containsExactly("b0", "b1", "b2", "b0", "b1", "b2", "b0");
    }

    @Test
    void skipsAnUnavailableBackendWithoutDoublingItsSuccessor() {
        backends.get(1).setHealth(Health.UNHEALTHY);

        assertThat(ids(lb, 6)).containsExactly("b0", "b2", "b0", "b2", "b0", "b2");
    }

    @Test
    void takesABackendBackAtItsTurn() {
        backends.get(1).setAdmin(AdminState.DRAINING, 0);
        assertThat(ids(lb, 3)).containsExactly("b0", "b2", "b0");

        backends.get(1).setAdmin(AdminState.READY, 0);

        assertThat(ids(lb, 4)).containsExactly("b1", "b2", "b0", "b1");
    }
}
