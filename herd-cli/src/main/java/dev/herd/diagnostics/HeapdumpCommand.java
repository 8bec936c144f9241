package dev.herd.diagnostics;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import dev.herd.daemon.HerdException;
import dev.herd.daemon.HerdHome;
import dev.herd.daemon.InstanceView;

/** {@code herd heapdump <app|id> [file]}: an HPROF heap dump of each JVM instance of the target. */
@Command(name = "heapdump", description = {"Write an HPROF heap dump (live objects, after a full GC) of a JVM"
        + " instance, or of each instance of an app, and print where and how big.",
        "Default file: $HERD_HOME/dumps/<app>-<index>-id<id>-<time>.hprof. A file you name holds one instance"
                + " (name it by id) and is never overwritten."})
public final class HeapdumpCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "<app|id>")
    String target;
    @Parameters(index = "1", arity = "0..1", paramLabel = "file")
    Path file;

    @Override
    public Integer call() throws HerdException {
        HerdHome home = HerdHome.of(System.getenv());
        List<InstanceView> instances = OutputFiles.chosen(Targets.instances(target), target, file);
        Path named = file == null ? null : OutputFiles.named(file, Path.of(""), Files::exists, Files::isDirectory);
        int failed = 0;
        for (InstanceView instance : instances) {
            try {
                Path out = named != null ? named : OutputFiles.fresh(dumps(home), OutputFiles.stem(instance, Instant.now()),
                        "hprof", Files::exists);
                dump(instance, out);
            } catch (HerdException e) {
                System.err.println("herd: " + e.getMessage());
                failed++;
            }
        }
        return failed == 0 ? 0 : 1;
    }

    private static void dump(InstanceView instance, Path out) throws HerdException {
        ProcFacts jvm = Targets.requireJvm(instance, JvmChoice.Purpose.HEAP_DUMP);
        String answer;
        try (Attach attach = Attach.to(instance, jvm)) {
            answer = attach.jcmd("GC.heap_dump \"" + out + "\"");
        }
        // The JVM reports its own failures (a file that appeared meanwhile, a full disk) as text.
        if (!answer.contains("Heap dump file created") || !Files.isRegularFile(out)) {
            throw new HerdException(JvmChoice.label(instance) + ": pid " + jvm.pid() + " wrote no heap dump: "
                    + answer.lines().reduce((a, b) -> b).orElse("no answer"));
        }
        try {
            System.out.println("herd: heap dump of " + JvmChoice.label(instance) + ", pid " + jvm.pid() + ": " + out
                    + " (" + Targets.size(Files.size(out)) + ")");
        } catch (IOException e) {
            throw new HerdException(out + ": written by pid " + jvm.pid() + " but unreadable: " + e.getMessage());
        }
    }

    private static Path dumps(HerdHome home) throws HerdException {
        try {
            return Files.createDirectories(home.dir().resolve("dumps"));
        } catch (IOException e) {
            throw new HerdException("cannot create " + home.dir().resolve("dumps") + ": " + e.getMessage());
        }
    }
}
