package dev.herd.hit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;

import org.junit.jupiter.api.Test;

class TallyTest {

    private static final long START = 1_000_000_000_000L;
    private static final long MS = 1_000_000L;

    private final Tally tally = new Tally("http://127.0.0.1:8000/", 0, START, null);

    @Test
    void countsEachInstanceAndItsShareMostFirst() {
        answer(1, "a", 10);
        answer(2, "b", 20);
        answer(3, "b", 30);
        answer(4, "b", 40);
        HitSummary s = tally.summary(START + 2000 * MS, false);
        assertThat(s.requests()).isEqualTo(4);
        assertThat(s.ok()).isEqualTo(4);
        assertThat(s.instances()).containsExactly(new HitSummary.InstanceShare("b", 3, 0.75),
                new HitSummary.InstanceShare("a", 1, 0.25));
        assertThat(s.seconds()).isEqualTo(2.0);
        assertThat(s.requestsPerSecond()).isEqualTo(2.0);
    }

    @Test
    void countsErrorsByKindAndNon2xxByStatus() {
        tally.record(Exchange.answered(1, MS, 500, "a", "oops"), START);
        tally.record(Exchange.answered(2, MS, 500, "a", "oops"), START);
        tally.record(Exchange.answered(3, MS, 404, "a", "no"), START);
        tally.record(Exchange.failed(4, MS, ErrorKind.REFUSED, "refused"), START);
        tally.record(Exchange.failed(5, MS, ErrorKind.TIMEOUT, "slow"), START);
        tally.record(Exchange.failed(6, MS, ErrorKind.RESET, "reset"), START);
        tally.record(Exchange.failed(7, MS, ErrorKind.OTHER, "bad"), START);
        HitSummary.Errors e = tally.summary(START + MS, false).errors();
        assertThat(e).isEqualTo(new HitSummary.Errors(7, 1, 1, 1, 3, 1, Map.of(404, 1L, 500, 2L)));
        assertThat(tally.failures()).isEqualTo(7);
        assertThat(tally.summary(START + MS, false).instances()).as("only 2xx answers count as served").isEmpty();
    }

    @Test
    void percentilesComeFromTheHistogram() {
        for (int i = 1; i <= 1000; i++) {
            answer(i, "a", i);
        }
        HitSummary.Latency l = tally.summary(START + 1000 * MS, false).latency();
        assertThat(l.p50()).isCloseTo(500, within(1.0));
        assertThat(l.p90()).isCloseTo(900, within(1.0));
        assertThat(l.p99()).isCloseTo(990, within(1.0));
        assertThat(l.p999()).isCloseTo(999, within(1.0));
        assertThat(l.max()).isCloseTo(1000, within(1.0));
    }

    @Test
    void eachSecondHasItsRequestsErrorsLatencyAndInstancesWhenItEnded() {
        tally.record(Exchange.answered(1, 2 * MS, 200, "a", ""), START + 500 * MS);
        tally.record(Exchange.answered(2, 4 * MS, 200, "a", ""), START + 1500 * MS);
        tally.record(Exchange.failed(3, 900 * MS, ErrorKind.TIMEOUT, ""), START + 1600 * MS);
        // Far enough on that seconds 0 and 1 are folded: the timeline must not change for it.
        tally.record(Exchange.answered(4, 8 * MS, 200, "b", ""), START + 3200 * MS);
        HitSummary s = tally.summary(START + 4100 * MS, false);
        assertThat(s.timeline()).as("up to the last second in which a request ended").hasSize(4);
        assertThat(s.timeline().get(0)).isEqualTo(new HitSummary.Second(0, 1, 0, 2.0, 2.0, Map.of("a", 1L)));
        HitSummary.Second one = s.timeline().get(1);
        assertThat(one.requests()).isEqualTo(2);
        assertThat(one.errors()).isEqualTo(1);
        assertThat(one.p50()).isCloseTo(4.0, within(0.05));
        assertThat(one.p99()).isCloseTo(900, within(9.0));
        assertThat(one.instances()).isEqualTo(Map.of("a", 1L));
        assertThat(s.timeline().get(2)).isEqualTo(new HitSummary.Second(2, 0, 0, 0, 0, Map.of()));
        assertThat(s.timeline().get(3).instances()).isEqualTo(Map.of("b", 1L));
    }

    @Test
    void anExchangeRecordedAfterItsSecondWasFoldedCountsInTheOldestOpenOne() {
        tally.record(Exchange.answered(1, MS, 200, "a", ""), START + 500 * MS);
        tally.record(Exchange.answered(2, MS, 200, "a", ""), START + 3500 * MS);
        // Read the clock in second 0, got the lock after second 0 was folded.
        tally.record(Exchange.answered(3, MS, 200, "a", ""), START + 800 * MS);
        HitSummary s = tally.summary(START + 3900 * MS, false);
        assertThat(s.timeline()).extracting(HitSummary.Second::requests).containsExactly(1L, 1L, 0L, 1L);
    }

    @Test
    void requestsInFlightAtTheEndOfTheDurationCountInItsLastSecond() {
        Tally timed = new Tally("http://127.0.0.1:8000/", 100, START, java.time.Duration.ofMillis(2500));
        timed.record(Exchange.answered(1, MS, 200, "a", ""), START + 2900 * MS);
        timed.record(Exchange.answered(2, MS, 200, "a", ""), START + 3100 * MS);
        HitSummary s = timed.summary(START + 3200 * MS, false);
        assertThat(s.timeline()).extracting(HitSummary.Second::requests).containsExactly(0L, 0L, 2L);
        assertThat(s.rate()).isEqualTo(100.0);
    }

    @Test
    void instancesBeyondTheLimitAreCountedTogether() {
        for (int i = 0; i < Tally.MAX_INSTANCES + 5; i++) {
            answer(i + 1, "line " + i, 1);
        }
        answer(Tally.MAX_INSTANCES + 6, "line 0", 1);
        HitSummary s = tally.summary(START + MS, false);
        assertThat(s.instances()).hasSize(Tally.MAX_INSTANCES + 1);
        assertThat(s.instances().get(0)).isEqualTo(new HitSummary.InstanceShare(Tally.OTHERS, 5, 5.0 / s.ok()));
        assertThat(s.instances().get(1).instance()).isEqualTo("line 0");
        assertThat(s.instances().get(1).requests()).isEqualTo(2);
    }

    @Test
    void anEmptyRunHasZeroesNotErrors() {
        HitSummary s = tally.summary(START, true);
        assertThat(s.requests()).isZero();
        assertThat(s.requestsPerSecond()).isZero();
        assertThat(s.latency()).isEqualTo(new HitSummary.Latency(0, 0, 0, 0, 0));
        assertThat(s.interrupted()).isTrue();
        assertThat(s.timeline()).isEmpty();
    }

    private void answer(long number, String instance, long latencyMillis) {
        tally.record(Exchange.answered(number, latencyMillis * MS, 200, instance, "Hello from worker " + instance), START);
    }
}
