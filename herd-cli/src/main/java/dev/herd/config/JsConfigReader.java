package dev.herd.config;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a PM2 {@code ecosystem.config.js} (or {@code .cjs}, {@code .mjs}) by asking the user's own
 * {@code node} to evaluate it and write it out as JSON. It runs with the client's environment and
 * in the file's folder, so {@code process.env} and relative {@code require}s mean what they mean
 * to PM2.
 */
final class JsConfigReader {

    /** A config that takes longer than this to evaluate is stuck (waiting on input, a server, a loop). */
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    /** The most of node's stderr an error message quotes. */
    private static final int MAX_STDERR = 2000;

    /*
     * import() reads CommonJS and ES modules alike; an ES module's config is its default export.
     * The JSON goes to a file named in argv rather than stdout, which the config may print to.
     * A SyntaxError is thrown on, because only node's report of an uncaught one shows where it is
     * in an ES module (file:line, the line, a caret under the column); a CommonJS one has it in its
     * stack too. Any other error writes its first line to that file instead, apart from whatever
     * else reached stderr (node's own warnings, the config's output), and its stack to stderr.
     */
    private static final String SCRIPT = String.join("\n",
            "const { pathToFileURL } = require('url');",
            "import(pathToFileURL(process.argv[1]).href)",
            "  .then(m => (m.default !== undefined ? m.default : m))",
            "  .then(c => require('fs').writeFileSync(process.argv[2], JSON.stringify(c) ?? 'null'))",
            "  .catch(e => { if (e instanceof SyntaxError) { throw e; }",
            "    require('fs').writeFileSync(process.argv[2], String(e).split('\\n')[0]);",
            "    process.stderr.write(String((e && e.stack) || e) + '\\n'); process.exitCode = 1; });");

    /** Node's report of a syntax error: {@code /srv/ecosystem.config.js:3}, the line, a caret under the column. */
    private static final Pattern SYNTAX_ERROR = Pattern.compile(
            "^((?:file://)?/[^\\n]*):(\\d+)\\n[^\\n]*\\n([ \\t]*)\\^[^\\n]*\\n(?:\\s*\\n)*(SyntaxError: [^\\n]*)", Pattern.MULTILINE);

    /** A stack frame: {@code at Object.<anonymous> (/srv/ecosystem.config.js:4:9)} or {@code at file:///srv/x.mjs:4:9}. */
    private static final Pattern FRAME = Pattern.compile("^\\s+at (?:.* \\()?((?:file://)?/.+?):(\\d+):(\\d+)\\)?$",
            Pattern.MULTILINE);

    private JsConfigReader() {
    }

    /** The file's exported config as JSON text. */
    static String read(Path file, Map<String, String> clientEnv) throws ConfigException {
        String fileName = file.getFileName().toString();
        Path node = Executables.onPath("node", clientEnv).orElseThrow(() ->
                ConfigException.at(file, null, "", "node not found on PATH: cannot read " + fileName));
        Path json = null;
        Path stderr = null;
        try {
            json = Files.createTempFile("herd-config-", ".json");
            stderr = Files.createTempFile("herd-config-", ".err");
            ProcessBuilder builder = new ProcessBuilder(node.toString(), "-e", SCRIPT, file.toString(), json.toString())
                    .directory(file.getParent().toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(stderr.toFile());
            builder.environment().clear();
            builder.environment().putAll(clientEnv);
            Process process = builder.start();
            if (!process.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                throw ConfigException.at(file, null, "", "node did not finish reading " + fileName + " within "
                        + TIMEOUT.toSeconds() + " s");
            }
            if (process.exitValue() != 0) {
                String errors = Files.readString(stderr, StandardCharsets.UTF_8).strip();
                ConfigException located = located(file, errors, Files.readString(json, StandardCharsets.UTF_8));
                if (located != null) {
                    throw located;
                }
                if (errors.length() > MAX_STDERR) {
                    errors = errors.substring(0, MAX_STDERR) + "…";
                }
                throw ConfigException.at(file, null, "", "node could not read " + fileName + " (exit "
                        + process.exitValue() + "):\n" + errors);
            }
            return Files.readString(json, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw ConfigException.at(file, null, "", "cannot run node (" + node + ") to read " + fileName + ": "
                    + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ConfigException.at(file, null, "", "interrupted while node read " + fileName);
        } finally {
            deleteQuietly(json);
            deleteQuietly(stderr);
        }
    }

    /**
     * Node's error as one line at the place it names: a syntax error where its caret points (in the
     * config or in a file it loads), any other error at its first stack frame in the config. Null
     * when node's report names no such place.
     *
     * @param error the first line of an error other than a syntax error, as the script wrote it
     */
    private static ConfigException located(Path config, String stderr, String error) {
        String reason = "node could not read " + config.getFileName() + ": ";
        Matcher syntax = SYNTAX_ERROR.matcher(stderr);
        if (syntax.find()) {
            return ConfigException.at(file(syntax.group(1)), new Node.Position(Integer.parseInt(syntax.group(2)),
                    syntax.group(3).length() + 1), "", reason + syntax.group(4));
        }
        Matcher frame = FRAME.matcher(stderr);
        while (frame.find()) {
            if (isConfig(file(frame.group(1)), config)) {
                return ConfigException.at(config, new Node.Position(Integer.parseInt(frame.group(2)),
                        Integer.parseInt(frame.group(3))), "", reason + error.strip());
            }
        }
        return null;
    }

    /** A path as node names it: a CommonJS module by its path, an ES module by its {@code file:} URL. */
    private static Path file(String named) {
        if (named.startsWith("file:")) {
            try {
                return Path.of(URI.create(named));
            } catch (IllegalArgumentException e) {
                return Path.of(named.substring("file://".length()));
            }
        }
        return Path.of(named);
    }

    /** Whether node's name of a file is {@code config}: CommonJS names a module by its real path. */
    private static boolean isConfig(Path named, Path config) {
        if (named.equals(config)) {
            return true;
        }
        try {
            return named.equals(config.toRealPath());
        } catch (IOException e) {
            return false;
        }
    }

    private static void deleteQuietly(Path temp) {
        if (temp == null) {
            return;
        }
        try {
            Files.deleteIfExists(temp);
        } catch (IOException e) {
            // A leftover file in the temp folder is harmless; the config result matters more.
        }
    }
}
