package dev.herd.config;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every kind of mistake, with the whole message the user sees, in YAML and in JSON. */
class ConfigErrorsTest {

    @TempDir
    Path tmp;
    Fixture fx;

    @BeforeEach
    void setUp() {
        fx = new Fixture(tmp);
        fx.file("app.js");
    }

    /** Loads {@code content} as {@code fileName} and expects {@code message} after the file's path. */
    private void fails(String fileName, String content, String message) {
        Path file = fx.file(fileName, content);
        assertThatThrownBy(() -> fx.loader().load(file, fx.env(), null, null))
                .isInstanceOf(ConfigException.class)
                .hasMessage(file + message);
    }

    @Test
    void wrongType() {
        fails("eco.yml", """
                apps:
                  - name: api
                    script: app.js
                  - name: worker
                    script: app.js
                    max_restarts: many
                """, ":6:19: apps[1].max_restarts: expected a whole number, got 'many'");
        fails("eco.json", """
                {"apps": [
                  {"name": "api", "script": "app.js",
                   "autorestart": "yes"}
                ]}
                """, ":3:19: apps[0].autorestart: expected true or false, got 'yes'");
    }

    @Test
    void anEmptyNamespaceOrAWrongAutostartNamesItsField() {
        fails("eco.yml", "apps:\n  - script: app.js\n    namespace: ' '\n",
                ":3:16: apps[0].namespace: must not be empty");
        fails("eco.yml", "apps:\n  - script: app.js\n    autostart: 'off'\n",
                ":3:16: apps[0].autostart: expected true or false, got 'off'");
    }

    @Test
    void unknownFieldSuggestsTheNearestKnownOne() {
        fails("eco.yml", """
                apps:
                  - script: app.js
                    kil_timeout: 100
                """, ":3:5: apps[0].kil_timeout: unknown field (did you mean 'kill_timeout'?)");
        fails("eco.json", """
                {"apps": [{"script": "app.js", "instanses": 2}]}
                """, ":1:32: apps[0].instanses: unknown field (did you mean 'instances'?)");
    }

    @Test
    void unknownFieldAtTheTopSuggestsApps() {
        fails("eco.yml", "app:\n  - script: app.js\n", ":1:1: app: unknown field (did you mean 'apps'?)");
    }

    @Test
    void negativeNumber() {
        fails("eco.yml", "apps:\n  - script: app.js\n    restart_delay: -5\n",
                ":3:20: apps[0].restart_delay: must not be negative, got -5");
        fails("eco.json", "{\"apps\": [{\"script\": \"app.js\", \"retain\": -1}]}",
                ":1:42: apps[0].retain: must not be negative, got -1");
    }

    @Test
    void badDurationSizeSignalAndExitCode() {
        fails("eco.yml", "apps:\n  - script: app.js\n    min_uptime: soon\n",
                ":3:17: apps[0].min_uptime: expected milliseconds or a duration such as '500ms', '1s', '2m' or '1h',"
                        + " got 'soon'");
        fails("eco.yml", "apps:\n  - script: app.js\n    max_size: [1]\n",
                ":3:15: apps[0].max_size: expected bytes or a size such as '512K', '10M' or '1G', got a list");
        fails("eco.json", "{\"script\": \"app.js\", \"kill_signal\": \"SIGNOPE\"}",
                ":1:37: kill_signal: unknown signal 'SIGNOPE' (known: SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGTRAP,"
                        + " SIGABRT, SIGBUS, SIGFPE, SIGKILL, SIGUSR1, SIGSEGV, SIGUSR2, SIGPIPE, SIGALRM, SIGTERM,"
                        + " SIGCHLD, SIGCONT, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU, SIGURG, SIGXCPU, SIGXFSZ, SIGVTALRM,"
                        + " SIGPROF, SIGWINCH, SIGIO, SIGPWR, SIGSYS)");
        fails("eco.json", "{\"script\": \"app.js\", \"stop_exit_codes\": [0, 300]}",
                ":1:45: stop_exit_codes[1]: expected an exit code from 0 to 255, got 300");
    }

    @Test
    void badEnvAndExecMode() {
        fails("eco.yml", """
                apps:
                  - script: app.js
                    env:
                      PORTS: [1, 2]
                """, ":4:14: apps[0].env.PORTS: expected a string, number or boolean, got a list");
        fails("eco.json", "{\"script\": \"app.js\", \"env_prod\": \"x\"}",
                ":1:34: env_prod: expected an object of variable names and values, got 'x'");
        fails("eco.yml", "script: app.js\nexec_mode: swarm\n",
                ":2:12: exec_mode: expected 'fork' or 'cluster', got 'swarm'");
    }

    @Test
    void bothNamesOfOneField() {
        fails("eco.yml", "script: app.js\nerror_file: a.log\nerr_file: b.log\n",
                ":3:1: err_file: same field as error_file, which is also set: keep one");
    }

    @Test
    void fieldSetTwice() {
        fails("eco.yml", "apps:\n  - script: app.js\n    script: app.js\n",
                ":3:5: apps[0].script: set twice (first at line 2)");
        fails("eco.json", "{\"script\": \"app.js\",\n \"script\": \"app.js\"}",
                ":2:2: script: set twice (first at line 1)");
    }

    @Test
    void missingScript() {
        fails("eco.yml", "apps:\n  - name: api\n", ":2:5: apps[0].script: missing: set the script or program to run");
        fails("eco.json", "{\"apps\": [\n  {\"name\": \"api\"}]}",
                ":2:3: apps[0].script: missing: set the script or program to run");
    }

    @Test
    void duplicateAppNames() {
        fails("eco.yml", """
                apps:
                  - name: api
                    script: app.js
                  - name: api
                    script: app.js
                """, ":4:11: apps[1].name: 'api' is also the name of apps[0]: app names must be unique");
        fails("eco.json", "[{\"script\": \"app.js\"},\n {\"script\": \"./app.js\"}]",
                ":2:2: apps[1].name: 'app' is also the name of apps[0]: app names must be unique");
    }

    @Test
    void reservedName() {
        fails("eco.yml", "name: '42'\nscript: app.js\n",
                ":1:7: name: '42' is only digits, which commands would read as an id");
    }

    @Test
    void syntaxError() {
        fails("eco.yml", "apps:\n  - name: a\n   script: x\n",
                ":3:4: invalid YAML: expected <block end>, but found '<block mapping start>' while parsing a block"
                        + " collection started at line 2, column 3");
        fails("eco.json", "{\"apps\": [\n  {\"name\": \"a\", \"script\": x}\n]}",
                ":2:27: invalid JSON: Unrecognized token 'x': was expecting (JSON String, Number, Array, Object"
                        + " or token 'null', 'true' or 'false')");
    }

    @Test
    void notAnAppList() {
        fails("eco.yml", "apps: {script: app.js}\n", ":1:7: apps: expected a list of apps, got an object");
        fails("eco.json", "{\"apps\": []}", ":1:10: apps: no apps in the list");
        fails("eco.json", "[\"app.js\"]", ":1:2: apps[0]: expected an app object, got 'app.js'");
        fails("eco.yml", "hello\n", ":1:1: expected an object with 'apps', a list of apps, or one app, got 'hello'");
        fails("empty.yml", "# nothing\n", ": empty file: no apps");
        fails("two.yml", "script: app.js\n---\nscript: app.js\n",
                ":3:1: a second YAML document; an ecosystem file holds one");
    }

    @Test
    void unreadableFile() throws Exception {
        Path missing = fx.path("nope.yml");
        assertThatThrownBy(() -> fx.loader().load(missing, fx.env(), null, null))
                .hasMessage(missing + ": no such file");
        Path secret = fx.file("secret.yml", "script: app.js\n");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("-w-------"));
        // Root reads any file: only check the message when the permission can deny.
        if (!Files.isReadable(secret)) {
            assertThatThrownBy(() -> fx.loader().load(secret, fx.env(), null, null))
                    .hasMessage(secret + ": cannot read: permission denied");
        }
        Path other = fx.file("eco.toml", "");
        assertThatThrownBy(() -> fx.loader().load(other, fx.env(), null, null))
                .hasMessage(other + ": not an ecosystem file: expected .yml, .yaml, .json, .js, .cjs or .mjs");
    }

    @Test
    void scriptNotFound() {
        fails("eco.yml", "apps:\n  - script: missing.js\n",
                ":2:13: apps[0].script: script 'missing.js' not found (resolved to " + tmp.resolve("missing.js") + ")");
        fails("eco.json", "{\"script\": \"nosuchcommand\"}",
                ":1:12: script: script 'nosuchcommand' not found (resolved to " + tmp.resolve("nosuchcommand")
                        + ") nor a command on PATH");
    }

    @Test
    void binaryScriptNotExecutable() {
        fx.binary("server");
        fails("eco.yml", "script: server\n", ":1:9: script: '" + tmp.resolve("server")
                + "' is not executable: chmod +x it, or set interpreter");
        fx.file("tool.py");
        fails("eco.json", "{\"script\": \"tool.py\", \"interpreter\": \"none\"}",
                ":1:12: script: '" + tmp.resolve("tool.py") + "' is not executable: chmod +x it, or set interpreter");
    }

    @Test
    void typeScriptNeedsAnInterpreter() {
        fx.file("app.ts");
        fails("eco.yml", "script: app.ts\n",
                ":1:9: script: TypeScript does not run directly: set interpreter to a TypeScript runner such as tsx"
                        + " or ts-node");
    }

    @Test
    void interpreterNotFound() {
        fails("eco.yml", "script: app.js\ninterpreter: deno\n",
                ":2:14: interpreter: 'deno' not found on PATH (" + fx.bin + ")");
        fails("eco.yml", "script: app.js\ninterpreter: /opt/none/node\n",
                ":2:14: interpreter: '/opt/none/node' is not an executable file");
        fx.file("app.rb");
        fails("eco.yml", "script: app.py\n", ":1:9: script: script 'app.py' not found (resolved to "
                + tmp.resolve("app.py") + ")");
    }

    @Test
    void defaultInterpreterMissingFromPath() throws Exception {
        Files.delete(fx.path("bin/python3"));
        fx.file("app.py");
        fails("eco.yml", "script: app.py\n", ":1:9: script: python3 not found on PATH (" + fx.bin
                + "), needed for .py scripts: install it, or set interpreter");
    }

    @Test
    void jvmArgsForAnAppNotOnJava() {
        fails("eco.yml", "script: app.js\njvm_args: -Xmx1g\n",
                ":2:11: jvm_args: applies only to apps that run on java (a .jar or .java script, or interpreter: java)");
    }

    @Test
    void cwdNotFound() {
        fails("eco.yml", "script: app.js\ncwd: nowhere\n",
                ":2:6: cwd: directory 'nowhere' not found (resolved to " + tmp.resolve("nowhere") + ")");
    }

    @Test
    void badInstancesOverride() {
        Path file = fx.file("eco.yml", "script: app.js\n");
        assertThatThrownBy(() -> fx.loader().load(file, fx.env(), null, "lots"))
                .hasMessage("-i: expected a whole number or 'max', got 'lots'");
    }
}
