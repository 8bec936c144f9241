package dev.herd.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import dev.herd.config.EcosystemLoader;
import dev.herd.daemon.HerdException;
import dev.herd.daemon.InstanceView;
import dev.herd.daemon.Protocol;
import dev.herd.daemon.Request;

/**
 * The verbs PM2 users type and their scripts call that herd answers as PM2 does: {@code jlist},
 * {@code prettylist}, {@code pid}, {@code env}, {@code reset}, {@code startOrRestart} and
 * {@code startOrReload}.
 */
final class Pm2Commands {

    private static final TypeReference<List<InstanceView>> VIEWS = new TypeReference<>() {
    };

    private Pm2Commands() {
    }

    /** The instances of {@code target} with their details; starts the daemon if none runs, as PM2's client does. */
    private static List<InstanceView> described(String target) throws HerdException {
        return Protocol.json().convertValue(Main.client().call(new Request.Describe(target), true).body(), VIEWS);
    }

    private static String json(Object value, boolean pretty) {
        try {
            return pretty ? Protocol.json().writerWithDefaultPrettyPrinter().writeValueAsString(value)
                    : Protocol.json().writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    @Command(name = "jlist", description = "Print every instance as one line of JSON, in pm2 jlist's shape.")
    static final class Jlist implements Callable<Integer> {
        @Override
        public Integer call() throws HerdException {
            System.out.println(json(Pm2Json.of(described("all")), false));
            return 0;
        }
    }

    @Command(name = "prettylist", description = "Print every instance as indented JSON, in pm2 jlist's shape.")
    static final class Prettylist implements Callable<Integer> {
        @Override
        public Integer call() throws HerdException {
            System.out.println(json(Pm2Json.of(described("all")), true));
            return 0;
        }
    }

    @Command(name = "pid", description = "Print the pid of each instance of an app (0 when not running), one a line.")
    static final class Pid implements Callable<Integer> {
        @Parameters(index = "0", arity = "0..1", paramLabel = "<id|name|namespace|all>")
        String target = "all";

        @Override
        public Integer call() throws HerdException {
            for (InstanceView v : described(target)) {
                System.out.println(v.pid());
            }
            return 0;
        }
    }

    @Command(name = "env", description = "Print the environment an instance's process started with, KEY: value a line.")
    static final class Env implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "<id|name>")
        String target;

        @Override
        public Integer call() throws HerdException {
            List<InstanceView> views = described(target);
            PrintWriter out = new PrintWriter(System.out, true);
            for (InstanceView v : views) {
                if (views.size() > 1) {
                    out.printf("%s[%d] (id %d)%n", v.name(), v.index(), v.id());
                }
                for (Map.Entry<String, String> e : v.details().env().entrySet()) {
                    out.println(e.getKey() + ": " + e.getValue());
                }
                if (views.size() > 1) {
                    out.println();
                }
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "reset", description = "Set the restart counts of instances to 0 (what runs is left alone).")
    static final class Reset implements Callable<Integer> {
        @Parameters(index = "0..*", arity = "1..*", paramLabel = "<id|name|namespace|all>")
        List<String> targets = new ArrayList<>();

        @Override
        public Integer call() throws HerdException {
            DaemonClient client = Main.client();
            client.call(new Request.Reset(targets), false);
            System.out.println("herd: reset the counters of " + String.join(", ", targets));
            Tables.printList(new PrintWriter(System.out, true), Main.list(client));
            return 0;
        }
    }

    /** An ecosystem file, or a one-line error naming the command. */
    private static String file(String command, String target) throws HerdException {
        if (!EcosystemLoader.isEcosystemFile(target)) {
            throw new HerdException(command + " takes an ecosystem file (.yml, .yaml, .json, .config.js), not '"
                    + target + "'");
        }
        return target;
    }

    @Command(name = "startOrRestart", description = "Start the apps of an ecosystem file; those running are restarted"
            + " with its definitions.")
    static final class StartOrRestart implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "<ecosystem>")
        String target;
        @Option(names = "--env", paramLabel = "NAME", description = "Merge env_NAME of the ecosystem file.")
        String envName;
        @Option(names = "--only", paramLabel = "APP[,APP]", description = "Only these apps of the file.")
        String only;

        @Override
        public Integer call() throws HerdException {
            DaemonClient client = Main.client();
            Main.printApplied(client.call(new Request.Start(file("startOrRestart", target),
                    Path.of("").toAbsolutePath().toString(), System.getenv(), null, null, List.of(), null, List.of(),
                    envName, null, null, null, null, null, true, true, false, only, null), true));
            Tables.printList(new PrintWriter(System.out, true), Main.list(client));
            return 0;
        }
    }

    @Command(name = "startOrReload", description = "Start the apps of an ecosystem file; those running are reloaded"
            + " with its definitions (cluster mode: one instance at a time, no failed request).")
    static final class StartOrReload implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "<ecosystem>")
        String target;
        @Option(names = "--env", paramLabel = "NAME", description = "Merge env_NAME of the ecosystem file.")
        String envName;
        @Option(names = "--only", paramLabel = "APP[,APP]", description = "Only these apps of the file.")
        String only;
        @Option(names = "--json", description = "Print each step as one JSON object per line.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            return Main.streamSteps(new Request.Reload(List.of(file("startOrReload", target)),
                    Path.of("").toAbsolutePath().toString(), System.getenv(), envName, only, false), json);
        }
    }
}
