package dev.herd.supervisor.logs;

/** Which pipe of a child a line came from. */
public enum Stream {
    /** Standard output. */
    OUT("out"),
    /** Standard error. */
    ERR("err");

    private final String label;

    Stream(String label) {
        this.label = label;
    }

    /** The short name PM2 uses in file names and streamed output: {@code out} or {@code err}. */
    public String label() {
        return label;
    }
}
