package dev.herd.balancer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.random.RandomGenerator;

import org.junit.jupiter.api.Test;

class ThreadSafeRandomTest {

    @Test
    void sameSeedSameDrawsInOneThread() {
        RandomGenerator a = LoadBalancers.threadSafeRandom(17);
        RandomGenerator b = LoadBalancers.threadSafeRandom(17);

        for (int i = 0; i < 100; i++) {
            assertThat(a.nextInt(1000)).isEqualTo(b.nextInt(1000));
        }
    }

    @Test
    void eachThreadDrawsItsOwnSequence() throws InterruptedException {
        RandomGenerator shared = LoadBalancers.threadSafeRandom(17);
        long[] other = new long[1];
        Thread t = new Thread(() -> other[0] = shared.nextLong());
        t.start();
        t.join();

        assertThat(shared.nextLong()).isNotEqualTo(other[0]);
    }
}
