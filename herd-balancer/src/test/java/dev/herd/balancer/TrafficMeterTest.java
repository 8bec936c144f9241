package dev.herd.balancer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** {@link TrafficMeter}'s rates and percentiles over its sliding window, on a hand-moved clock. */
class TrafficMeterTest {

    private static final long SECOND = 1_000_000_000L;

    private final Backend backend = Fixtures.backend("b");
    private final TrafficMeter meter = new TrafficMeter(backend, 10 * SECOND, 0);

    private void requests(int count, long latencyMicros, ErrorKind error) {
        for (int i = 0; i < count; i++) {
            backend.onStart();
            backend.onEnd(latencyMicros * 1000, 0, error);
        }
    }

    @Test
    void beforeASecondSampleThereIsNoWindowAndNoRate() {
        requests(5, 100, null);

        TrafficStats s = meter.latest();

        assertThat(s.windowNanos()).isZero();
        assertThat(s.requestsPerSecond()).isZero();
        assertThat(s.p99Millis()).isZero();
    }

    @Test
    void ratesAndPercentilesCoverWhatHappenedSinceTheWindowBegan() {
        requests(98, 1_000, null);
        requests(2, 50_000, null);
        meter.sample(2 * SECOND);

        TrafficStats s = meter.latest();

        assertThat(s.requests()).isEqualTo(100);
        assertThat(s.windowNanos()).isEqualTo(2 * SECOND);
        assertThat(s.requestsPerSecond()).isCloseTo(50, within(1e-9));
        assertThat(s.p50Millis()).isCloseTo(1.0, within(0.02));
        assertThat(s.p99Millis()).isCloseTo(50.0, within(1.0));
    }

    @Test
    void oldSamplesLeaveTheWindowSoAQuietBackendShowsNoRateAndNoLatency() {
        requests(100, 80_000, null);
        for (long t = 2; t <= 10; t += 2) {
            meter.sample(t * SECOND);
        }
        assertThat(meter.latest().p99Millis()).as("the burst is still within 10 s of the window's start")
                .isGreaterThan(70);

        meter.sample(12 * SECOND);

        TrafficStats s = meter.latest();
        assertThat(s.requests()).isEqualTo(100);
        assertThat(s.requestsPerSecond()).isZero();
        assertThat(s.p99Millis()).isZero();
        assertThat(s.windowNanos()).isEqualTo(10 * SECOND);
    }

    @Test
    void inFlightAndErrorsAreCountedAndFailuresHaveNoLatency() {
        requests(10, 1_000, null);
        requests(4, 30_000, ErrorKind.RESET);
        backend.onError(ErrorKind.CONNECT);
        backend.onStart();

        TrafficMeter.Delta d = meter.sample(SECOND);

        TrafficStats s = meter.latest();
        assertThat(s.inFlight()).isEqualTo(1);
        assertThat(s.errors()).containsEntry(ErrorKind.RESET, 4L).containsEntry(ErrorKind.CONNECT, 1L)
                .containsEntry(ErrorKind.PROTOCOL, 0L);
        assertThat(s.errorCount()).isEqualTo(5);
        assertThat(s.errorsPerSecond()).isCloseTo(5, within(1e-9));
        assertThat(s.p99Millis()).as("only answered requests have a latency").isCloseTo(1.0, within(0.02));
        assertThat(d.requests()).isEqualTo(15);
        assertThat(d.errors()).containsEntry(ErrorKind.RESET, 4L);
        assertThat(d.latencyMicros().getTotalCount()).isEqualTo(10);
    }

    @Test
    void eachDeltaHoldsOnlyWhatCameSinceThePreviousSample() {
        requests(3, 1_000, null);
        meter.sample(SECOND);
        requests(2, 1_000, ErrorKind.PROTOCOL);
        requests(1, 2_000, null);

        TrafficMeter.Delta d = meter.sample(2 * SECOND);

        assertThat(d.requests()).isEqualTo(3);
        assertThat(d.errors()).containsEntry(ErrorKind.PROTOCOL, 2L).containsEntry(ErrorKind.RESET, 0L);
        assertThat(d.latencyMicros().getTotalCount()).isEqualTo(1);
    }

    @Test
    void manySamplesReuseTheirHistogramsAndKeepCounting() {
        for (int t = 1; t <= 200; t++) {
            requests(2, 1_000, null);
            meter.sample(t * SECOND);
        }

        TrafficStats s = meter.latest();
        assertThat(s.requests()).isEqualTo(400);
        assertThat(s.requestsPerSecond()).isCloseTo(2, within(1e-9));
        assertThat(s.p50Millis()).isCloseTo(1.0, within(0.02));
    }
}
