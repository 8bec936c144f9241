package dev.herd.balancer;

/**
 * 64-bit hashing for consistent hashing: MurmurHash3's x64 block mix over a string's UTF-16
 * units and its {@code fmix64} finalizer (Austin Appleby, public domain). {@link String#hashCode}
 * alone is 32 bits and leaves similar keys (10.0.0.1, 10.0.0.2) close together.
 */
final class Hashing {

    private static final long C1 = 0x87c37b91114253d5L;
    private static final long C2 = 0x4cf5ad432745937fL;

    private Hashing() {
    }

    /** A well-mixed 64-bit hash of {@code s}; the same on every JVM and run. */
    static long hash(CharSequence s) {
        int n = s.length();
        long h = 0x9e3779b97f4a7c15L;
        int i = 0;
        for (; i + 4 <= n; i += 4) {
            long k = s.charAt(i)
                    | (long) s.charAt(i + 1) << 16
                    | (long) s.charAt(i + 2) << 32
                    | (long) s.charAt(i + 3) << 48;
            h ^= mixBlock(k);
            h = Long.rotateLeft(h, 27) * 5 + 0x52dce729;
        }
        long tail = 0;
        for (int shift = 0; i < n; i++, shift += 16) {
            tail |= (long) s.charAt(i) << shift;
        }
        h ^= mixBlock(tail);
        h ^= n;
        return fmix64(h);
    }

    /** MurmurHash3's finalizer: every input bit affects every output bit with probability about 1/2. */
    static long fmix64(long k) {
        k ^= k >>> 33;
        k *= 0xff51afd7ed558ccdL;
        k ^= k >>> 33;
        k *= 0xc4ceb9fe1a85ec53L;
        k ^= k >>> 33;
        return k;
    }

    private static long mixBlock(long k) {
        k *= C1;
        k = Long.rotateLeft(k, 31);
        return k * C2;
    }
}
