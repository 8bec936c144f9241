package dev.herd.monit;

import java.util.Arrays;

/**
 * One instance's recent CPU and memory figures, oldest first, as monit saw them since it opened
 * (the daemon keeps no history). Immutable: {@link #plus} returns a new one.
 */
public final class Samples {

    /** How many samples are kept: two minutes at one a second. */
    public static final int CAPACITY = 120;

    private static final Samples EMPTY = new Samples(new double[0], new double[0]);

    private final double[] cpu;
    private final double[] memory;

    private Samples(double[] cpu, double[] memory) {
        this.cpu = cpu;
        this.memory = memory;
    }

    /** No samples yet. */
    public static Samples empty() {
        return EMPTY;
    }

    /** These samples and one more; the oldest is dropped past {@link #CAPACITY}. */
    public Samples plus(double cpuPercent, double memoryBytes) {
        int keep = Math.min(cpu.length, CAPACITY - 1);
        double[] c = Arrays.copyOfRange(cpu, cpu.length - keep, cpu.length + 1);
        double[] m = Arrays.copyOfRange(memory, memory.length - keep, memory.length + 1);
        c[keep] = cpuPercent;
        m[keep] = memoryBytes;
        return new Samples(c, m);
    }

    /** CPU percentages (100 = one core), oldest first. */
    public double[] cpu() {
        return cpu.clone();
    }

    /** Resident memory in bytes, oldest first. */
    public double[] memory() {
        return memory.clone();
    }

    /** How many samples there are. */
    public int size() {
        return cpu.length;
    }
}
