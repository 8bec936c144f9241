package dev.herd.config;

/** Builds the field paths errors name: {@code apps[1].env.PORT}. */
final class FieldPath {

    private FieldPath() {
    }

    static String key(String parent, String key) {
        return parent.isEmpty() ? key : parent + "." + key;
    }

    static String index(String parent, int index) {
        return parent + "[" + index + "]";
    }
}
