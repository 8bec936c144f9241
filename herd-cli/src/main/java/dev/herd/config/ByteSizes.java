package dev.herd.config;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses sizes as pm2-logrotate writes them: plain bytes ({@code "1048576"}) or an amount with
 * {@code K}, {@code M} or {@code G} (powers of 1024, optionally followed by {@code B} or
 * {@code iB}, any case), or bytes with a {@code B} suffix.
 */
final class ByteSizes {

    /** The accepted forms, for error messages. */
    static final String EXPECTED = "bytes or a size such as '512K', '10M' or '1G'";

    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(?:([kmg])(?:i?b)?|b)?");

    private ByteSizes() {
    }

    /** The size in bytes, or empty when {@code text} is not one. */
    static OptionalLong parse(String text) {
        Matcher m = SIZE.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            return OptionalLong.empty();
        }
        int power = m.group(2) == null ? 0 : "kmg".indexOf(m.group(2)) + 1;
        BigDecimal bytes = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(1024).pow(power));
        try {
            return OptionalLong.of(bytes.stripTrailingZeros().longValueExact());
        } catch (ArithmeticException fractionOrOverflow) {
            return OptionalLong.empty();
        }
    }
}
