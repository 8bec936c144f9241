package dev.herd.config;

import java.math.BigInteger;
import java.util.List;
import java.util.Map;

/**
 * A value read from a config file together with where it was written, so that an error can point
 * at it. Jackson's tree model drops token locations; this one keeps them.
 */
sealed interface Node permits Node.Mapping, Node.Sequence, Node.Text, Node.Int, Node.Decimal, Node.Bool, Node.Null {

    /** Where the value starts, or {@code null} when the source has no positions (JavaScript). */
    Position at();

    /** The value as an error message quotes it: {@code 'many'}, {@code 12}, {@code a list}. */
    String describe();

    /**
     * Whether two values are the same as written, wherever they were written: the same type and
     * value, lists item by item, objects key by key in any order.
     */
    static boolean sameValue(Node a, Node b) {
        if (a instanceof Mapping x && b instanceof Mapping y) {
            return x.entries().keySet().equals(y.entries().keySet()) && x.entries().values().stream()
                    .allMatch(e -> sameValue(e.value(), y.entries().get(e.key()).value()));
        }
        if (a instanceof Sequence x && b instanceof Sequence y) {
            if (x.items().size() != y.items().size()) {
                return false;
            }
            for (int i = 0; i < x.items().size(); i++) {
                if (!sameValue(x.items().get(i), y.items().get(i))) {
                    return false;
                }
            }
            return true;
        }
        if (a instanceof Text x && b instanceof Text y) {
            return x.value().equals(y.value());
        }
        if (a instanceof Int x && b instanceof Int y) {
            return x.value().equals(y.value());
        }
        if (a instanceof Decimal x && b instanceof Decimal y) {
            return x.text().equals(y.text());
        }
        if (a instanceof Bool x && b instanceof Bool y) {
            return x.value() == y.value();
        }
        return a instanceof Null && b instanceof Null;
    }

    /** A 1-based line and column. */
    record Position(int line, int column) {
    }

    /** One key of a mapping, with the position of the key itself (for "unknown field"). */
    record Entry(String key, Position keyAt, Node value) {
    }

    /** An object; entries in the order written, keys unique. */
    record Mapping(Map<String, Entry> entries, Position at) implements Node {
        public String describe() {
            return "an object";
        }
    }

    /** A list. */
    record Sequence(List<Node> items, Position at) implements Node {
        public String describe() {
            return "a list";
        }
    }

    /** A string (YAML: a quoted scalar, or a plain one that is not a number, boolean or null). */
    record Text(String value, Position at) implements Node {
        public String describe() {
            return "'" + value + "'";
        }
    }

    /**
     * A whole number.
     *
     * @param text as written ({@code 0x1F}, {@code 1_000}), which is what an environment variable gets
     */
    record Int(BigInteger value, String text, Position at) implements Node {
        public String describe() {
            return text;
        }
    }

    /** A number with a fraction or exponent, as written. */
    record Decimal(String text, Position at) implements Node {
        public String describe() {
            return text;
        }
    }

    /**
     * A boolean.
     *
     * @param text as written (YAML also reads {@code yes} and {@code on} as true)
     */
    record Bool(boolean value, String text, Position at) implements Node {
        public String describe() {
            return text;
        }
    }

    /** An explicit null ({@code ~}, an empty YAML value); fields treat it as not set. */
    record Null(Position at) implements Node {
        public String describe() {
            return "null";
        }
    }
}
