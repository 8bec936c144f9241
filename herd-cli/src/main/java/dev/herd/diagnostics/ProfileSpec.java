package dev.herd.diagnostics;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

import dev.herd.config.Durations;
import dev.herd.daemon.HerdException;

/**
 * One profile: how long, of what, in which format; and the commands that start it in a target,
 * each bounded there (async-profiler's {@code timeout}, JFR's {@code duration}) so that it ends on
 * time whatever happens to the client.
 *
 * @param duration how long to sample, at least a second
 * @param event    what to sample
 * @param format   what to write
 */
record ProfileSpec(Duration duration, Event event, Format format) {

    /** What to sample, in async-profiler's words. */
    enum Event {
        CPU, ALLOC, WALL, LOCK;

        String agentName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** What to write: async-profiler's flame graph or collapsed stacks, or a JFR recording. */
    enum Format {
        HTML("html", "flamegraph"), JFR("jfr", null), COLLAPSED("collapsed", "collapsed");

        final String extension;
        final String agentOutput;

        Format(String extension, String agentOutput) {
            this.extension = extension;
            this.agentOutput = agentOutput;
        }
    }

    /**
     * The format asked for, or else the one the output file's extension names, as async-profiler's
     * own {@code -f} does ({@code .jfr}, {@code .html}, {@code .collapsed}); html otherwise.
     *
     * @param asked  {@code --format} as typed, or null
     * @param output {@code -o}, or null
     * @throws HerdException when the two disagree
     */
    static Format format(String asked, Path output) throws HerdException {
        Format byName = null;
        if (output != null) {
            String name = output.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
            if (name.endsWith(".jfr")) {
                byName = Format.JFR;
            } else if (name.endsWith(".html") || name.endsWith(".htm")) {
                byName = Format.HTML;
            } else if (name.endsWith(".collapsed")) {
                byName = Format.COLLAPSED;
            }
        }
        if (asked == null) {
            return byName != null ? byName : Format.HTML;
        }
        Format chosen = null;
        for (Format f : Format.values()) {
            if (f.name().equalsIgnoreCase(asked)) {
                chosen = f;
            }
        }
        if (chosen == null) {
            throw new HerdException("--format: '" + asked + "' is not one of html, jfr, collapsed");
        }
        if (byName != null && byName != chosen) {
            throw new HerdException("--format " + chosen.extension + " but -o " + output.getFileName()
                    + " names a " + byName.extension + " file: give one of them, or make them agree");
        }
        return chosen;
    }

    /** {@code 30s}, {@code 2m}, {@code 1m30s}; a bare number is seconds, as in async-profiler's {@code -d}. */
    static Duration duration(String text) throws HerdException {
        String t = text.trim();
        Duration d = (t.chars().allMatch(Character::isDigit) && !t.isEmpty() ? Durations.parse(t + "s") : Durations.parse(t))
                .orElseThrow(() -> new HerdException("--duration: '" + text + "' is not a duration (30s, 2m, 1m30s)"));
        if (d.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new HerdException("--duration: at least 1s, not " + text);
        }
        return d;
    }

    /** The duration in whole seconds, rounded up: async-profiler's {@code timeout} unit. */
    long seconds() {
        return (duration.toMillis() + 999) / 1000;
    }

    /** async-profiler's start command: samples for the duration, then writes {@code file} and stops. */
    String agentStart(Path file) throws HerdException {
        if (format.agentOutput == null) {
            throw new IllegalStateException("async-profiler writes no " + format);
        }
        if (file.toString().contains(",")) {
            throw new HerdException(file + ": async-profiler takes no ',' in a file name (name another file)");
        }
        return "start,event=" + event.agentName() + ",timeout=" + seconds() + "," + format.agentOutput + ",file=" + file;
    }

    /**
     * JFR's start command: a recording with the JDK's {@code profile} settings (execution samples
     * every 10 ms, allocation and lock events: every event this command offers) that stops after
     * the duration and writes {@code file}.
     */
    String jfrStart(String name, Path file) {
        return "JFR.start name=" + name + " settings=profile duration=" + seconds() + "s filename=\"" + file + "\"";
    }

    /** JFR's check command for the recording {@code name}: the recording is listed until it is written. */
    static String jfrCheck(String name) {
        return "JFR.check name=" + name;
    }
}
