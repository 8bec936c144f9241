package dev.herd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;

import dev.herd.cluster.PortOwner;
import dev.herd.daemon.Protocol;
import dev.herd.supervisor.Posix;
import dev.herd.supervisor.Signal;

/**
 * A {@code herd hit} running in the background with a JSON summary: the client of the cluster
 * tests. Whoever starts one ends it ({@link #stop}, or {@link #process} destroyed in teardown).
 */
record HitRun(Process process, Path out) {

    /** Starts {@code herd hit args... --json} in {@code herd}'s work folder. */
    static HitRun start(Herd herd, Path out, String... args) throws IOException {
        List<String> argv = new ArrayList<>(Herd.javaCommand());
        argv.add("hit");
        argv.addAll(List.of(args));
        argv.add("--json");
        Process p = new ProcessBuilder(argv).directory(herd.work.toFile()).redirectOutput(out.toFile())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        return new HitRun(p, out);
    }

    /** Asks it to end now (SIGTERM): it prints its summary of what it sent so far. */
    HitRun stop() {
        Posix.kill(process.pid(), Signal.SIGTERM);
        return this;
    }

    /** Its summary, once it has ended. */
    JsonNode summary() throws Exception {
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("herd hit ended").isTrue();
        return Protocol.json().readTree(Files.readString(out));
    }

    /** The inodes of the sockets listening on {@code port}, from {@code /proc/net/tcp*}. */
    static List<String> listeningInodes(int port) {
        return PortOwner.listeners().stream().filter(l -> l.port() == port).map(l -> Long.toString(l.inode())).toList();
    }
}
