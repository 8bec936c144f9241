package dev.herd.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import dev.herd.config.StartCommand;
import dev.herd.daemon.Daemon;
import dev.herd.daemon.Foreground;
import dev.herd.daemon.HerdException;
import dev.herd.daemon.HerdHome;
import dev.herd.daemon.InstanceView;
import dev.herd.daemon.Protocol;
import dev.herd.daemon.Request;
import dev.herd.daemon.Response;
import dev.herd.daemon.SocketHandoff;
import dev.herd.daemon.StreamItem;

/**
 * The {@code herd} command: a thin client of the daemon. It parses arguments, sends one request
 * and prints the answer; the daemon reads ecosystem files and runs everything.
 */
// Inherited: a parse error points to "herd <command> --help", so every subcommand must take it.
@Command(name = "herd", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT,
        versionProvider = Main.Version.class,
        description = "Runs and supervises your servers: start, list, logs, restart, stop.")
public final class Main {

    private static final TypeReference<List<InstanceView>> VIEWS = new TypeReference<>() {
    };

    /** Every subcommand, in the order help lists them. */
    private static final List<Class<?>> COMMANDS = List.of(Start.class, ListCmd.class, Stop.class, Restart.class,
            Reload.class, Scale.class, Delete.class, Describe.class, Logs.class, Flush.class, SignalCmd.class, Save.class, Resurrect.class,
            Pm2Commands.Jlist.class, Pm2Commands.Prettylist.class, Pm2Commands.Pid.class, Pm2Commands.Env.class,
            Pm2Commands.Reset.class, Pm2Commands.StartOrRestart.class, Pm2Commands.StartOrReload.class,
            dev.herd.hit.HitCommand.class, MonitCommand.class, MetricsCommand.class,
            dev.herd.diagnostics.HeapdumpCommand.class, dev.herd.diagnostics.ProfileCommand.class,
            Ping.class, Kill.class, Startup.class, Run.class, Update.class, Balance.class, DaemonCmd.class, CdsTraining.class);

    /** Runs the command line and exits with its status. */
    public static void main(String[] args) throws Exception {
        if (args.length == 1 && args[0].equals("-v")) {
            // PM2's spelling of --version (picocli's is -V), for scripts that check pm2 -v.
            args = new String[]{"--version"};
        }
        ListCmd list = QuickCommand.plainList(args);
        System.exit(list != null ? quick(list) : commandLine(args).execute(args));
    }

    /** Runs a command that picocli did not parse, failing as {@link #commandLine}'s handler fails. */
    private static int quick(Callable<Integer> command) throws Exception {
        try {
            return command.call();
        } catch (HerdException e) {
            System.err.println("herd: " + e.getMessage());
            return 1;
        }
    }

    /**
     * The parser, with only the subcommand that {@code args} names when it names one: picocli
     * builds a model of every subcommand it is given by reflection, and a command as short as
     * {@code list} should not pay for seventeen.
     */
    static CommandLine commandLine(String[] args) {
        CommandLine cl = new CommandLine(new Main());
        List<Class<?>> wanted = args.length == 0 ? COMMANDS
                : COMMANDS.stream().filter(c -> names(c).contains(args[0])).findFirst().<List<Class<?>>>map(List::of)
                        .orElse(COMMANDS);
        for (Class<?> c : wanted) {
            cl.addSubcommand(instantiate(c));
        }
        cl.setParameterExceptionHandler((e, parsed) -> {
            CommandLine cmd = e.getCommandLine();
            if (cmd == cl && e instanceof CommandLine.UnmatchedArgumentException u && parsed.length > 0
                    && !parsed[0].startsWith("-") && !u.getSuggestions().isEmpty()) {
                cmd.getErr().println("herd: unknown command '" + parsed[0] + "' (did you mean '"
                        + u.getSuggestions().get(0) + "'? see: herd --help)");
                return cmd.getCommandSpec().exitCodeOnInvalidInput();
            }
            cmd.getErr().println("herd: " + e.getMessage() + " (see: " + cmd.getCommandSpec().qualifiedName() + " --help)");
            return cmd.getCommandSpec().exitCodeOnInvalidInput();
        });
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof HerdException) {
                cmd.getErr().println("herd: " + e.getMessage());
                return 1;
            }
            throw e;
        });
        return cl;
    }

    private static List<String> names(Class<?> command) {
        Command c = command.getAnnotation(Command.class);
        List<String> names = new ArrayList<>(List.of(c.aliases()));
        names.add(c.name());
        return names;
    }

    private static Object instantiate(Class<?> command) {
        try {
            var ctor = command.getDeclaredConstructor();
            ctor.setAccessible(true);
            return ctor.newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot create " + command, e);
        }
    }

    static HerdHome home() {
        return HerdHome.of(System.getenv());
    }

    static DaemonClient client() throws HerdException {
        return new DaemonClient(home().ensure());
    }

    /** The instances {@code target} names, as describe shows them; an unknown target fails listing the known ones. */
    public static List<InstanceView> describe(String target) throws HerdException {
        return Protocol.json().convertValue(client().call(new Request.Describe(target), false).body(), VIEWS);
    }

    static List<InstanceView> list(DaemonClient client) throws HerdException {
        return client.list();
    }

    /** Reads the version from the jar's manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[]{"herd " + Protocol.herdVersion()};
        }
    }

    @Command(name = "start", description = {"Start a script, a jar, a command, an ecosystem file (default:"
            + " ecosystem.config.js, else ecosystem.config.cjs), or apps (running ones restart).",
            "A file's running apps restart with its definitions; a stopped app's script starts it again."})
    static final class Start implements Callable<Integer> {
        private static final String DEFAULT_FILE = "ecosystem.config.js";
        private static final String DEFAULT_CJS_FILE = "ecosystem.config.cjs";
        @Parameters(index = "0", arity = "0..1", paramLabel = "<file|jar|cmd|ecosystem|app>")
        String target = DEFAULT_FILE;
        @Parameters(index = "1..*", paramLabel = "args", description = "Arguments for the script (after --), or more apps.")
        List<String> args = new ArrayList<>();
        @Option(names = {"-i", "--instances"}, paramLabel = "N|max", description = "Instances to run.")
        String instances;
        @Option(names = "--port", paramLabel = "PORT", description = {"Cluster mode: the public port, balanced over the"
                + " instances; each listens on its own port, given as PORT and as {port} in the arguments."})
        Integer port;
        @Option(names = "--socket", description = {"With --port: herd binds the public port once and hands the same"
                + " socket to every instance (fd 3, LISTEN_FDS; a Node app's listen and a JVM's bind of PORT take it);"
                + " no proxy in between (balancer: {mode: socket} in a file)."})
        boolean socket;
        @Option(names = {"-n", "--name"}, description = "The app's name.")
        String name;
        @Option(names = "--env", paramLabel = "NAME", description = "Merge env_NAME of the ecosystem file.")
        String envName;
        @Option(names = "--only", paramLabel = "APP[,APP]", description = "Of the ecosystem file, only these apps.")
        String only;
        @Option(names = "--interpreter", description = "Program that runs the script (default: by extension).")
        String interpreter;
        @Option(names = {"--interpreter-args", "--node-args"}, split = " ", paramLabel = "ARGS",
                description = "Arguments for the interpreter (space-separated).")
        List<String> interpreterArgs = new ArrayList<>();
        @Option(names = "--max-memory-restart", paramLabel = "SIZE", description = {"Restart an instance whose process"
                + " tree holds more memory (300M, 1G); cluster mode replaces it first, with no failed request."})
        String maxMemory;
        @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "The stdout log file.")
        String output;
        @Option(names = {"-e", "--error"}, paramLabel = "FILE", description = "The stderr log file.")
        String error;
        @Option(names = {"-l", "--log"}, arity = "0..1", paramLabel = "FILE", description = {"Also a combined log of"
                + " stdout and stderr (alone: <name>.log in the logs folder)."})
        String log;
        @Option(names = "--time", description = "Prefix each log line with its time: 2026-03-05T09:04:05: <line>.")
        boolean time;
        @Option(names = "--log-date-format", paramLabel = "FORMAT", description = {"Prefix each log line with its time"
                + " in this moment.js format (YYYY-MM-DD HH:mm:ss Z)."})
        String logDateFormat;
        @Option(names = "--log-type", paramLabel = "json|raw", description = "json: each log line as a JSON object.")
        String logType;
        @Option(names = "--disable-logs", description = "Keep no log files.")
        boolean disableLogs;
        @Option(names = "--merge-logs", description = "All instances write to the same log files.")
        boolean mergeLogs;
        @Option(names = "--watch", description = {"Restart when a file in the current folder changes (node_modules,"
                + " .git and the app's logs never count); a cluster app reloads, rolling. An app of a file, or a"
                + " started app: its watch turns on."})
        boolean watch;
        @Option(names = "--ignore-watch", paramLabel = "PATTERNS", description = {"With --watch: names, paths or globs"
                + " not to watch, as ignore_watch (several: comma- or space-separated)."})
        List<String> ignoreWatch = new ArrayList<>();
        @Option(names = "--watch-delay", paramLabel = "DELAY", description = {"With --watch: how long the changes must"
                + " have stopped before the restart, in seconds or a duration (default 500ms)."})
        String watchDelay;
        @Option(names = {"-c", "--cron-restart", "--cron"}, paramLabel = "CRON", description = {"Restart on a cron"
                + " schedule: '0 3 * * *' (minute hour day month weekday), or six fields with seconds first; a"
                + " cluster app reloads, rolling."})
        String cronRestart;
        @Option(names = "--namespace", paramLabel = "NS", description = "The app's namespace, a target for every command.")
        String namespace;
        @Option(names = "--no-autorestart", description = "Do not restart the app when it exits.")
        boolean noAutorestart;
        @Option(names = "--no-autostart", description = "Add the app stopped (herd start <name> starts it).")
        boolean noAutostart;
        @Option(names = {"-k", "--kill-timeout"}, paramLabel = "MS", description = "How long a stop waits before"
                + " SIGKILL (ms, or 5s).")
        String killTimeout;
        @Option(names = "--max-restarts", paramLabel = "N", description = "Exits in a row, each sooner than"
                + " --min-uptime, before the app is errored.")
        Integer maxRestarts;
        @Option(names = "--min-uptime", paramLabel = "MS", description = "A run shorter than this is unstable.")
        String minUptime;
        @Option(names = "--restart-delay", paramLabel = "MS", description = "Wait between an exit and the restart.")
        String restartDelay;
        @Option(names = "--exp-backoff-restart-delay", paramLabel = "MS", description = "First restart delay, x1.5"
                + " each time.")
        String expBackoffRestartDelay;
        @Option(names = "--wait-ready", description = "Online (cluster mode: traffic) once it says"
                + " process.send('ready').")
        boolean waitReady;
        @Option(names = "--listen-timeout", paramLabel = "MS", description = "How long --wait-ready (or cluster mode)"
                + " waits for it to be ready.")
        String listenTimeout;
        @Option(names = "--shutdown-with-message", description = "A stop sends the message 'shutdown', not a signal.")
        boolean shutdownWithMessage;
        @Option(names = "--no-treekill", description = "A stop signals the main process only, not its children.")
        boolean noTreekill;
        @Option(names = "--update-env", description = "An app started again takes this shell's environment"
                + " (its own variables over it); a file's apps always do.")
        boolean updateEnv;

        @Override
        public Integer call() throws HerdException {
            if (target.equals(DEFAULT_FILE) && !Files.exists(Path.of(DEFAULT_FILE))
                    && Files.exists(Path.of(DEFAULT_CJS_FILE))) {
                // A package with "type": "module" names its PM2 file .cjs, as PM2's docs say to.
                target = DEFAULT_CJS_FILE;
            }
            DaemonClient client = client();
            boolean defaultLog = log != null && log.isEmpty();
            StartCommand.Logs logs = new StartCommand.Logs(output, error, defaultLog ? null : log, defaultLog, time,
                    logDateFormat, logType, disableLogs, mergeLogs);
            Response r = client.call(new Request.Start(target, Path.of("").toAbsolutePath().toString(), System.getenv(),
                    name, instances, args, interpreter, interpreterArgs, envName, port, maxMemory, logs,
                    new StartCommand.Triggers(watch, ignoreWatch, watchDelay, cronRestart), namespace, !noAutorestart,
                    !noAutostart, updateEnv, only, new StartCommand.Policies(killTimeout, maxRestarts, minUptime,
                    restartDelay, expBackoffRestartDelay, waitReady, listenTimeout, shutdownWithMessage, noTreekill),
                    socket), true);
            printApplied(r);
            Tables.printList(new PrintWriter(System.out, true), list(client));
            return 0;
        }
    }

    /** Prints what a start or restart did: warnings, notes, the apps started and restarted, the lines beyond that. */
    static void printApplied(Response r) {
        for (JsonNode w : r.body().path("warnings")) {
            System.err.println("herd: warning: " + w.asText());
        }
        for (JsonNode n : r.body().path("notes")) {
            System.err.println("herd: note: " + n.asText());
        }
        List<String> started = texts(r.body().path("started"));
        List<String> restarted = texts(r.body().path("restarted"));
        if (!started.isEmpty()) {
            System.out.println("herd: started " + String.join(", ", started));
        }
        if (!restarted.isEmpty()) {
            System.out.println("herd: restarted " + String.join(", ", restarted));
        }
        for (String line : texts(r.body().path("lines"))) {
            System.out.println("herd: " + line);
        }
    }

    @Command(name = "list", aliases = {"ls", "status", "l", "ps"}, description = "List every instance.")
    static final class ListCmd implements Callable<Integer> {
        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            List<InstanceView> views = list(client());
            if (json) {
                System.out.println(dev.herd.daemon.RecordJson.supports(InstanceView.class) ? dev.herd.daemon.RecordJson.pretty(views)
                        : Protocol.json().writerWithDefaultPrettyPrinter().writeValueAsString(views));
            } else {
                Tables.printList(new PrintWriter(System.out, true), views);
            }
            return 0;
        }
    }

    /** Runs a command on several targets, checked before any is acted on, and prints the list after it. */
    abstract static class TargetCommand implements Callable<Integer> {
        @Parameters(index = "0..*", arity = "1..*", paramLabel = "<id|name|namespace|all|ecosystem|script>")
        List<String> targets = new ArrayList<>();
        @Option(names = "--only", paramLabel = "APP[,APP]", description = "Of an ecosystem file, only these apps.")
        String only;
        @Option(names = {"-s", "--silent"}, description = "Print nothing unless it fails.")
        boolean silent;

        abstract Request request(String cwd);

        abstract String done();

        @Override
        public Integer call() throws HerdException {
            DaemonClient client = client();
            Response r = client.call(request(Path.of("").toAbsolutePath().toString()), false);
            if (!silent) {
                System.out.println("herd: " + done() + " " + String.join(", ", targets));
                for (String killed : r.body() == null ? List.<String>of() : texts(r.body().path("killed"))) {
                    System.out.println("herd: " + killed);
                }
                Tables.printList(new PrintWriter(System.out, true), list(client));
            }
            return 0;
        }
    }

    /** What {@code reload} and {@code restart} take of the apps' ecosystem files. */
    static final class FileOptions {
        @Option(names = "--env", paramLabel = "NAME", description = "Merge env_NAME of the ecosystem file (of each"
                + " app's own file, for apps named).")
        String envName;
        @Option(names = "--only", paramLabel = "APP[,APP]", description = "Of an ecosystem file, only these apps.")
        String only;
        @Option(names = "--update-env", description = "The apps take this shell's environment, their own variables over it.")
        boolean updateEnv;
    }

    @Command(name = "reload", description = {"Replace every instance without a failed request (cluster mode): a new one"
            + " starts, gets ready and joins, then the old one drains and stops, one at a time. A new one that never"
            + " gets ready is stopped and the old ones keep serving (exit status 1). Fork mode: restart.",
            "An ecosystem file is read again: its changed env, args, script and instance count apply."})
    static final class Reload implements Callable<Integer> {
        @Parameters(index = "0..*", arity = "1..*", paramLabel = "<id|name|namespace|all|ecosystem>")
        List<String> targets = new ArrayList<>();
        @Mixin
        FileOptions file;
        @Option(names = "--json", description = "Print each step as one JSON object per line.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            return streamSteps(new Request.Reload(targets, Path.of("").toAbsolutePath().toString(), System.getenv(),
                    file.envName, file.only, file.updateEnv), json);
        }
    }

    @Command(name = "scale", description = {"Change an app's instance count: new ones join when ready; surplus ones"
            + " drain, then stop (cluster mode)."})
    static final class Scale implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "<name>")
        String app;
        @Parameters(index = "1", paramLabel = "<N|+N|-N|max>")
        String count;
        @Option(names = "--json", description = "Print each step as one JSON object per line.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            return streamSteps(new Request.Scale(app, count), json);
        }
    }

    /** Prints a reload's or scale's steps as they come; 1 if it stopped short. */
    static int streamSteps(Request request, boolean json) throws HerdException {
        DaemonClient client = client();
        boolean[] failed = {false};
        boolean[] ended = {false};
        PrintWriter out = new PrintWriter(System.out, true);
        Response begun = client.stream(request, item -> {
            if ("done".equals(item.type())) {
                ended[0] = true;
                failed[0] = !"ok".equals(item.stream());
            }
            if (json) {
                try {
                    out.println(Protocol.json().writeValueAsString(item));
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw new IllegalStateException(e);
                }
            } else if ("done".equals(item.type())) {
                if (failed[0]) {
                    System.err.println("herd: " + item.text());
                }
            } else {
                out.println((item.app() != null ? item.app() + ": " : "") + item.text());
            }
        });
        for (JsonNode w : begun.body() == null ? List.<JsonNode>of() : begun.body().path("warnings")) {
            System.err.println("herd: warning: " + w.asText());
        }
        if (!ended[0]) {
            System.err.println("herd: the daemon ended the stream before the end (see " + home().daemonLog() + ")");
            return 1;
        }
        if (!json && !failed[0]) {
            Tables.printList(out, list(client));
        }
        return failed[0] ? 1 : 0;
    }

    @Command(name = "stop", description = "Stop instances (kill_signal, then SIGKILL after kill_timeout).")
    static final class Stop extends TargetCommand {
        @Option(names = "--watch", description = "Also turn watching off, until herd start <app> --watch.")
        boolean watch;

        Request request(String cwd) {
            return new Request.Stop(targets, cwd, System.getenv(), only, watch);
        }

        String done() {
            return "stopped";
        }
    }

    @Command(name = "restart", description = {"Stop, then start instances; an ecosystem file's apps take its"
            + " definitions (a cluster app rolls to a new one, one instance at a time)."})
    static final class Restart implements Callable<Integer> {
        @Parameters(index = "0..*", arity = "1..*", paramLabel = "<id|name|namespace|all|ecosystem|script>")
        List<String> targets = new ArrayList<>();
        @Mixin
        FileOptions file;
        @Option(names = {"-s", "--silent"}, description = "Print nothing unless it fails.")
        boolean silent;

        @Override
        public Integer call() throws HerdException {
            DaemonClient client = client();
            Response r = client.call(new Request.Restart(targets, Path.of("").toAbsolutePath().toString(), System.getenv(),
                    file.envName, file.only, file.updateEnv), false);
            if (!silent) {
                printApplied(r);
                Tables.printList(new PrintWriter(System.out, true), list(client));
            }
            return 0;
        }
    }

    @Command(name = "delete", aliases = "del", description = "Stop instances and forget them.")
    static final class Delete extends TargetCommand {
        Request request(String cwd) {
            return new Request.Delete(targets, cwd, System.getenv(), only);
        }

        String done() {
            return "deleted";
        }
    }

    @Command(name = "describe", aliases = {"show", "info", "desc"}, description = "Everything about an app's instances.")
    static final class Describe implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "<id|name|namespace|all>")
        String target;

        @Override
        public Integer call() throws HerdException {
            Response r = client().call(new Request.Describe(target), false);
            Tables.printDescribe(new PrintWriter(System.out, true), Protocol.json().convertValue(r.body(), VIEWS));
            return 0;
        }
    }

    @Command(name = "logs", description = {"Show the last lines of the logs, then follow them (Ctrl-C ends). The lines"
            + " of several files (instances, stdout and stderr) come in the order they were written.",
            "Log files rotate before they grow past max_size (default 10M), keeping retain (default 5) rotated files;"
                    + " max_size: 0 never rotates."})
    static final class Logs implements Callable<Integer> {
        @Parameters(index = "0", arity = "0..1", paramLabel = "<id|name|all>")
        String target = "all";
        @Option(names = "--lines", paramLabel = "N", description = "Past lines per file (default 15; with --since: all).")
        Integer lines;
        @Option(names = "--since", paramLabel = "WHEN", description = {"Only past lines written since then: a time ago"
                + " (10m, 2h, 1d) or a moment (2026-12-02 10:00)."})
        String since;
        @Option(names = "--json", description = "One JSON object per line: time, app, instance, id, stream, text.")
        boolean json;
        @Option(names = "--out", description = "Only stdout.")
        boolean out;
        @Option(names = "--err", description = "Only stderr.")
        boolean err;
        @Option(names = "--nostream", description = "Print the past lines and exit.")
        boolean noStream;
        @Option(names = "--raw", description = "The lines as the app wrote them: no header, prefix or herd events.")
        boolean raw;

        @Override
        public Integer call() throws HerdException {
            if (lines != null && lines < 0) {
                throw new HerdException("logs --lines: expected 0 or more, got " + lines);
            }
            Long from = since == null ? null : Since.parse(since, System.currentTimeMillis(), java.time.ZoneId.systemDefault());
            int count = lines != null ? lines : from != null ? -1 : 15;
            boolean both = out == err;
            PrintWriter pw = new PrintWriter(System.out, true);
            client().stream(new Request.Logs(target, count, both || out, both || err, !noStream, from),
                    answer -> {
                        if (!json && !raw && count != 0) {
                            Tables.printTailing(pw, target, count, since, texts(answer.body().path("files")),
                                    texts(answer.body().path("combined")));
                        }
                    },
                    item -> {
                        if (json) {
                            Tables.printStreamItemJson(pw, item);
                        } else if (raw) {
                            // PM2's --raw: for a pipe into grep or a log shipper, so nothing but the lines.
                            if (!"event".equals(item.type())) {
                                pw.println(item.text());
                                pw.flush();
                            }
                        } else {
                            Tables.printStreamItem(pw, item);
                        }
                    });
            return 0;
        }
    }

    @Command(name = "flush", description = "Empty log files (and remove their rotated copies).")
    static final class Flush implements Callable<Integer> {
        @Parameters(index = "0", arity = "0..1", paramLabel = "<id|name|all>")
        String target = "all";

        @Override
        public Integer call() throws HerdException {
            Response r = client().call(new Request.Flush(target), false);
            for (String f : texts(r.body())) {
                System.out.println("herd: flushed " + f);
            }
            return 0;
        }
    }

    @Command(name = "signal", aliases = "sendSignal", description = "Send a signal to instances' main processes.")
    static final class SignalCmd implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "<SIG>")
        String signal;
        @Parameters(index = "1", paramLabel = "<id|name|all>")
        String target;

        @Override
        public Integer call() throws HerdException {
            Response r = client().call(new Request.SendSignal(signal, target), false);
            System.out.println("herd: sent " + signal + " to " + r.body().path("sent").asInt() + " instance(s) of " + target);
            return 0;
        }
    }

    @Command(name = "save", aliases = "dump", description = "Save the process list for resurrect.")
    static final class Save implements Callable<Integer> {
        @Option(names = "--force", description = "Save even when herd runs no apps (replaces the saved list with an empty one).")
        boolean force;

        @Override
        public Integer call() throws HerdException {
            Response r = client().call(new Request.Save(force), false);
            System.out.println("herd: saved " + r.body().path("apps").asInt() + " app(s) to " + r.body().path("file").asText());
            return 0;
        }
    }

    @Command(name = "resurrect", description = "Start the apps of the saved process list.")
    static final class Resurrect implements Callable<Integer> {
        @Override
        public Integer call() throws HerdException {
            DaemonClient client = client();
            Response r = client.call(new Request.Resurrect(false), true);
            System.out.println("herd: resurrected " + String.join(", ", texts(r.body().path("restored"))));
            List<String> skipped = texts(r.body().path("skipped"));
            if (!skipped.isEmpty()) {
                System.out.println("herd: already running, left alone: " + String.join(", ", skipped));
            }
            Tables.printList(new PrintWriter(System.out, true), list(client));
            return 0;
        }
    }

    @Command(name = "ping", description = "Start the daemon if needed and check that it answers.")
    static final class Ping implements Callable<Integer> {
        @Override
        public Integer call() throws HerdException {
            Response r = client().call(new Request.Ping(), true);
            System.out.println("herd: daemon " + r.daemon() + " (pid " + r.body().path("pid").asLong() + ") answers");
            return 0;
        }
    }

    @Command(name = "kill", description = "Stop every app and the daemon.")
    static final class Kill implements Callable<Integer> {
        @Override
        public Integer call() throws HerdException {
            DaemonClient client = client();
            boolean stopped = false;
            for (int round = 0; round < 3; round++) {
                if (client.isRunning()) {
                    waitGone(client.call(new Request.Kill(false), false));
                    stopped = true;
                }
                // A guardian would start a daemon after the kill: the dead daemon's, about to
                // start it again, or a second one of this home. Ended too, with what it started.
                Optional<ProcessHandle> starting = DaemonGuardian.stop(home().dir())
                        .flatMap(DaemonGuardian.Stopped::starting);
                if (starting.isEmpty() || !client.awaitAnswer(starting.get())) {
                    break;
                }
            }
            // A daemon that died left its apps running: stopped as its kill would have.
            int left = Daemon.stopWhatADeadDaemonLeft(home());
            System.out.println(stopped ? "herd: daemon stopped" : "herd: no daemon is running" + (left > 0
                    ? "; the one that died left " + left + " process(es) running: stopped them" : ""));
            return 0;
        }
    }

    @Command(name = "update", description = {"Replace the daemon by this version of herd, even the same one: its apps"
            + " start again under the new daemon (new pids and ids), and cluster apps keep their public ports open"
            + " meanwhile, so what connects waits instead of being refused."})
    static final class Update implements Callable<Integer> {
        @Override
        public Integer call() throws HerdException {
            DaemonClient client = client();
            // Checked before the old daemon stops: a bad value must not leave the apps stopped.
            dev.herd.daemon.InstanceLimit.of(System.getenv(), "herd update");
            boolean replaced = client.isRunning();
            // The public sockets wait here between the two daemons, listening: nothing is refused.
            try (SocketHandoff.Relay relay = replaced ? openRelay() : null) {
                boolean holding = false;
                if (replaced) {
                    waitGone(client.call(new Request.Kill(true, relay == null ? null : relay.path().toString()), false));
                    holding = relay != null && holdsSockets(relay);
                }
                client.startDaemon();
                // Also the list of an earlier update whose new daemon never took it over.
                if (replaced || Files.exists(home().updateDumpFile())) {
                    if (holding) {
                        relay.giveToNew();
                    }
                    client.call(new Request.Resurrect(true, holding ? relay.path().toString() : null), true);
                }
            } catch (java.io.IOException e) {
                // Only closing the relay: the new daemon has its own copies by now.
                System.err.println("herd: " + e.getMessage());
            }
            System.out.println("herd: daemon is now herd " + Protocol.herdVersion()
                    + (replaced ? "; its apps started again under it" : ""));
            Tables.printList(new PrintWriter(System.out, true), list(client));
            return 0;
        }
    }

    /** The relay for the public sockets, or null (they are then bound again) when it cannot be made. */
    private static SocketHandoff.Relay openRelay() {
        try {
            return SocketHandoff.Relay.open(home().handoffSocket(ProcessHandle.current().pid()));
        } catch (java.io.IOException | RuntimeException e) {
            System.err.println("herd: cannot hold the public sockets across the update (" + e.getMessage()
                    + "): cluster apps bind their ports again, refusing connections meanwhile");
            return null;
        }
    }

    /**
     * Whether the old daemon, gone by now, handed over public sockets: it sent them, or an empty
     * list, before its apps stopped; one of an earlier version sends nothing, and is waited for
     * only briefly.
     */
    private static boolean holdsSockets(SocketHandoff.Relay relay) {
        try {
            return !relay.takeFromOld(Duration.ofSeconds(2)).isEmpty();
        } catch (java.io.IOException e) {
            System.err.println("herd: the old daemon's public sockets did not arrive (" + e.getMessage()
                    + "): cluster apps bind their ports again");
            return false;
        }
    }

    @Command(name = "startup", description = "Print a systemd unit that resurrects the saved apps at boot.")
    static final class Startup implements Callable<Integer> {
        @Parameters(index = "0", arity = "0..1", paramLabel = "systemd", description = "The init system (systemd only).")
        String platform = "systemd";

        @Override
        public Integer call() throws HerdException {
            if (!platform.equals("systemd")) {
                throw new HerdException("startup: only systemd is supported, not '" + platform + "'");
            }
            System.out.print(Tables.systemdUnit(home(), System.getProperty("user.name"), DaemonClient.javaBinary(),
                    DaemonClient.ownJar()));
            return 0;
        }
    }

    @Command(name = "run", description = "Run an ecosystem file in the foreground (containers, systemd); SIGTERM stops all.")
    static final class Run implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "<ecosystem>")
        Path file;
        @Option(names = "--env", paramLabel = "NAME", description = "Merge env_NAME of the ecosystem file.")
        String envName;
        @Option(names = {"-i", "--instances"}, paramLabel = "N|max", description = "Instances per app.")
        String instances;

        @Override
        public Integer call() throws HerdException {
            return Foreground.run(home(), file.toAbsolutePath(), System.getenv(), envName, instances);
        }
    }

    @Command(name = "balance", description = {"Run a load balancer in the foreground (HTTP/1.1 per request, or TCP).",
            "SIGTERM stops accepting, lets in-flight requests finish, then exits. HTTP/2 is not supported."})
    static final class Balance implements Callable<Integer> {
        @Option(names = "--listen", required = true, paramLabel = "HOST:PORT", description = "Where to listen.")
        String listen;
        @Option(names = "--backend", required = true, paramLabel = "HOST:PORT[,weight=N]",
                description = "A backend; repeat for more. Every algorithm uses its weight (default 1).")
        List<String> backends = new ArrayList<>();
        @Option(names = "--algorithm", defaultValue = "round-robin",
                description = "round-robin (weighted, interleaved), least-conn, ip-hash, random or p2c; weighted is"
                        + " another name for round-robin (default ${DEFAULT-VALUE}).")
        String algorithm;
        @Option(names = "--mode", defaultValue = "http", description = "http or tcp (default ${DEFAULT-VALUE}).")
        String mode;
        @Option(names = "--transport", defaultValue = "epoll", paramLabel = "epoll|io_uring|nio",
                description = "I/O transport (default ${DEFAULT-VALUE}); one unavailable here falls back (io_uring to epoll,"
                        + " epoll to nio), and tcp mode runs on nio instead of epoll.")
        String transport;
        @Option(names = "--health-check", paramLabel = "PATH", arity = "0..1", fallbackValue = "",
                description = "Check backends actively: GET PATH, or a TCP connect when no PATH is given.")
        String healthCheck;
        @Option(names = "--health-interval", paramLabel = "DURATION",
                description = "Time between two checks of a backend (default 2s).")
        String healthInterval;
        @Option(names = "--health-timeout", paramLabel = "DURATION", description = "How long one check may take (default 1s).")
        String healthTimeout;
        @Option(names = "--health-rise", paramLabel = "N", description = "Passes in a row that make a backend healthy (default 2).")
        Integer healthRise;
        @Option(names = "--health-fall", paramLabel = "N",
                description = "Failures in a row that make a backend unhealthy (default 3).")
        Integer healthFall;
        @Option(names = "--connect-timeout", defaultValue = "5s", description = "Default ${DEFAULT-VALUE}.")
        String connectTimeout;
        @Option(names = "--idle-timeout", paramLabel = "DURATION",
                description = "http mode: how long a kept-alive client connection may wait for its next request, and a"
                        + " pooled backend connection for reuse (default 60s); tcp mode: close a connection with no"
                        + " bytes either way for this long (default: never).")
        String idleTimeout;
        @Option(names = "--header-timeout", paramLabel = "DURATION",
                description = "http mode: how long a client may take to send a request head; then 408 (default 30s).")
        String headerTimeout;
        @Option(names = "--response-timeout", paramLabel = "DURATION",
                description = "http mode: how long a backend may stay silent with a request in flight; then 504, or the"
                        + " client connection aborted if the response had begun (default 60s).")
        String responseTimeout;
        @Option(names = "--max-retries", defaultValue = "2", description = "Other backends to try (default ${DEFAULT-VALUE}).")
        int maxRetries;
        @Option(names = "--threads", description = "Event-loop threads (default: cores).")
        Integer threads;
        @Option(names = "--slow-start", defaultValue = "0", description = "Ramp-up time of a new backend's share.")
        String slowStart;
        @Option(names = "--no-forwarded-headers", negatable = false,
                description = "http mode: add no X-Forwarded-For/-Proto/-Host and pass the client's own through"
                        + " untouched (the backends must then not trust them).")
        boolean noForwardedHeaders;
        @Option(names = "--trusted-forward-header", paramLabel = "NAME",
                description = "http mode: a header set by a trusted proxy in front (e.g. X-Forwarded-For) whose last"
                        + " element is the client address (for ip-hash) and whose forwarding chain is kept and appended to.")
        String trustedForwardHeader;

        @Override
        public Integer call() throws HerdException {
            List<dev.herd.balancer.netty.Balancer.BackendAddress> parsed = new ArrayList<>();
            for (String b : backends) {
                parsed.add(Addresses.backend(b));
            }
            if (noForwardedHeaders && trustedForwardHeader != null) {
                throw new HerdException("--no-forwarded-headers and --trusted-forward-header contradict each other");
            }
            return BalanceRunner.run(new BalanceRunner.Options(Addresses.listen(listen), parsed, algorithm, mode,
                    transport, healthCheck, Addresses.duration("--connect-timeout", connectTimeout), maxRetries,
                    threads != null ? threads : Runtime.getRuntime().availableProcessors(),
                    Addresses.duration("--slow-start", slowStart), !noForwardedHeaders, trustedForwardHeader,
                    optionalTimeout("--idle-timeout", idleTimeout), optionalTimeout("--header-timeout", headerTimeout),
                    optionalTimeout("--response-timeout", responseTimeout),
                    new BalanceRunner.HealthOptions(optionalTimeout("--health-interval", healthInterval),
                            optionalTimeout("--health-timeout", healthTimeout), healthRise, healthFall)));
        }

        /** A timeout given on the command line (more than zero), or null when it was not given. */
        private static Duration optionalTimeout(String option, String text) throws HerdException {
            if (text == null) {
                return null;
            }
            Duration d = Addresses.duration(option, text);
            if (d.isZero()) {
                throw new HerdException(option + ": must be more than 0");
            }
            return d;
        }
    }

    /**
     * Loads the classes every command needs, without a daemon, so that the launcher can dump them
     * into an AppCDS archive once ({@code -XX:ArchiveClassesAtExit}) and later starts map them in.
     */
    @Command(name = "cds-training", hidden = true, description = "Load the client's classes for an AppCDS archive.")
    static final class CdsTraining implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            // The socket's classes too: the connection to a daemon that is not there fails.
            Path dir = Files.createTempDirectory("herd-cds-training");
            try {
                new DaemonClient(HerdHome.of(java.util.Map.of("HERD_HOME", dir.resolve("home").toString())).ensure()).isRunning();
            } finally {
                try (var files = Files.walk(dir)) {
                    files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                }
            }
            String[] first = {"list"};
            CommandLine all = commandLine(new String[0]);
            all.getUsageMessage();
            commandLine(first).parseArgs(first);
            var json = Protocol.json();
            for (Request r : List.of(new Request.ListAll(), new Request.Ping(), new Request.Stop("x"),
                    new Request.Logs("all", 1, true, true, false))) {
                json.readValue(json.writeValueAsBytes(new dev.herd.daemon.Envelope(Protocol.VERSION, "x", r)),
                        dev.herd.daemon.Envelope.class);
            }
            InstanceView view = new InstanceView(0, "app", 0, "cluster", 1, "online", 0, 0, 1000, 1, 0.5, 1024,
                    List.of("a"), "/", "/o", "/e", 0, "started",
                    List.of(new dev.herd.supervisor.ExitRecord(1, 143, dev.herd.supervisor.Signal.SIGTERM, 5, true)),
                    new InstanceView.Cluster(8000, 20001, "ready", "reload of app done",
                            new InstanceView.Traffic(10, 1, 0, 10, 1, 0, 1.5, 9.5)), 1024, null, null, "default", 0, null);
            Response response = json.readValue(json.writeValueAsBytes(new Response(Protocol.VERSION, "x", true, null,
                    json.valueToTree(List.of(view)))), Response.class);
            List<InstanceView> views = json.convertValue(response.body(), VIEWS);
            dev.herd.daemon.RecordJson.bytes(new DaemonClient.ListEnvelope(Protocol.VERSION, "x", new DaemonClient.ListRequest("list")));
            dev.herd.daemon.RecordJson.read(dev.herd.daemon.RecordJson.bytes(
                    new DaemonClient.ListAnswer(Protocol.VERSION, "x", true, null, views)), DaemonClient.ListAnswer.class);
            dev.herd.daemon.RecordJson.pretty(views);
            PrintWriter sink = new PrintWriter(java.io.OutputStream.nullOutputStream());
            Tables.printList(sink, views);
            Tables.printDescribe(sink, views);
            Tables.printStreamItem(sink, json.readValue(json.writeValueAsBytes(
                    new StreamItem("line", "a", 0, 0, "out", 1, "x")), StreamItem.class));
            return 0;
        }
    }

    @Command(name = "daemon", hidden = true, description = "Run the daemon in this process (herd starts it by itself).")
    static final class DaemonCmd implements Callable<Integer> {
        @Override
        public Integer call() throws HerdException {
            Daemon.run(home());
            return 0;
        }
    }

    /** Waits until the daemon that answered {@code kill} has exited: its apps are stopped by then. */
    private static void waitGone(Response killed) throws HerdException {
        long pid = killed.body().path("pid").asLong();
        ProcessHandle.of(pid).ifPresent(h -> h.onExit().join());
    }

    static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
