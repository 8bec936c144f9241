package dev.herd.daemon;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

import dev.herd.config.StartCommand;

/**
 * Every command the daemon accepts: the allow-list. A {@code cmd} not named here is refused
 * when the frame is parsed, before anything runs.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "cmd")
@JsonSubTypes({
        @JsonSubTypes.Type(value = Request.Ping.class, name = "ping"),
        @JsonSubTypes.Type(value = Request.Start.class, name = "start"),
        @JsonSubTypes.Type(value = Request.ListAll.class, name = "list"),
        @JsonSubTypes.Type(value = Request.Stop.class, name = "stop"),
        @JsonSubTypes.Type(value = Request.Restart.class, name = "restart"),
        @JsonSubTypes.Type(value = Request.Delete.class, name = "delete"),
        @JsonSubTypes.Type(value = Request.Describe.class, name = "describe"),
        @JsonSubTypes.Type(value = Request.SendSignal.class, name = "signal"),
        @JsonSubTypes.Type(value = Request.Logs.class, name = "logs"),
        @JsonSubTypes.Type(value = Request.Flush.class, name = "flush"),
        @JsonSubTypes.Type(value = Request.Save.class, name = "save"),
        @JsonSubTypes.Type(value = Request.Resurrect.class, name = "resurrect"),
        @JsonSubTypes.Type(value = Request.Kill.class, name = "kill"),
        @JsonSubTypes.Type(value = Request.Reload.class, name = "reload"),
        @JsonSubTypes.Type(value = Request.Scale.class, name = "scale"),
        @JsonSubTypes.Type(value = Request.MetricsPort.class, name = "metrics"),
        @JsonSubTypes.Type(value = Request.Reset.class, name = "reset"),
})
public sealed interface Request {

    /** Is the daemon there, and which version is it. */
    record Ping() implements Request {
    }

    /**
     * Start a script, command, ecosystem file, or existing app.
     *
     * @param target          what the user typed
     * @param cwd             the client's working directory
     * @param env             the client's environment: the base of the app's
     * @param name            {@code --name}, or null
     * @param instances       {@code -i}, or null
     * @param args            arguments after {@code --}
     * @param interpreter     {@code --interpreter}, or null
     * @param interpreterArgs {@code --interpreter-args}
     * @param envName         {@code --env}, or null
     * @param port            {@code --port}: the public port of a cluster app, or null
     * @param maxMemory       {@code --max-memory-restart} as typed, or null
     * @param logs            {@code -o}, {@code -e}, {@code -l}, {@code --time} and the other log options
     * @param triggers        {@code --watch}, {@code --cron-restart} and their options, or null for none
     * @param namespace       {@code --namespace}, or null
     * @param autorestart     false for {@code --no-autorestart}
     * @param autostart       false for {@code --no-autostart}
     * @param updateEnv       {@code --update-env}: an existing app started again takes the client's environment
     * @param only            {@code --only a,b}: of an ecosystem file, only these apps; or null
     * @param policies        {@code --kill-timeout}, {@code --max-restarts}, {@code --wait-ready}...; or null for none
     */
    record Start(String target, String cwd, Map<String, String> env, String name, String instances, List<String> args,
                 String interpreter, List<String> interpreterArgs, String envName, Integer port, String maxMemory,
                 StartCommand.Logs logs, StartCommand.Triggers triggers, String namespace, boolean autorestart,
                 boolean autostart, boolean updateEnv, String only, StartCommand.Policies policies, boolean socket)
            implements Request {

        /** A start whose public port, if any, is behind herd's proxy. */
        public Start(String target, String cwd, Map<String, String> env, String name, String instances, List<String> args,
                     String interpreter, List<String> interpreterArgs, String envName, Integer port, String maxMemory,
                     StartCommand.Logs logs, StartCommand.Triggers triggers, String namespace, boolean autorestart,
                     boolean autostart, boolean updateEnv, String only, StartCommand.Policies policies) {
            this(target, cwd, env, name, instances, args, interpreter, interpreterArgs, envName, port, maxMemory, logs,
                    triggers, namespace, autorestart, autostart, updateEnv, only, policies, false);
        }

        /** A start with PM2's defaults for the flags added since. */
        public Start(String target, String cwd, Map<String, String> env, String name, String instances, List<String> args,
                     String interpreter, List<String> interpreterArgs, String envName, Integer port, String maxMemory) {
            this(target, cwd, env, name, instances, args, interpreter, interpreterArgs, envName, port, maxMemory, null,
                    null, null, true, true, false, null, null);
        }
    }

    /** Every instance. */
    record ListAll() implements Request {
    }

    /**
     * @param targets ids, app names, namespaces, {@code all}, ecosystem files (their apps) or apps' scripts;
     *                every one is checked before anything stops
     * @param cwd     the client's working directory, for a file or script target (null: no files)
     * @param env     the client's environment, which a JavaScript ecosystem file is evaluated with
     * @param only    {@code --only a,b}: of the ecosystem files, only these apps; or null
     * @param watch   {@code --watch}: also turn the apps' watching off, until {@code herd start --watch}
     */
    record Stop(List<String> targets, String cwd, Map<String, String> env, String only, boolean watch)
            implements Request {

        /** A target that is an id, an app name, a namespace or {@code all}. */
        public Stop(String target) {
            this(List.of(target), null, Map.of(), null, false);
        }

        /** A stop that keeps the apps' watch settings. */
        public Stop(String target, String cwd) {
            this(List.of(target), cwd, Map.of(), null, false);
        }
    }

    /**
     * @param targets   ids, app names, namespaces, {@code all}, ecosystem files or apps' scripts; every one
     *                  is checked before anything restarts. A file's apps take its definitions (those not
     *                  running are started).
     * @param cwd       the client's working directory, for a file or script target (null: no files)
     * @param env       the client's environment: the base of a file's apps, and what {@code updateEnv} applies
     * @param envName   {@code --env}: merge {@code env_NAME} of each app's ecosystem file; or null
     * @param only      {@code --only a,b}: of the ecosystem files, only these apps; or null
     * @param updateEnv {@code --update-env}: the apps take the client's environment, their own variables over it
     */
    record Restart(List<String> targets, String cwd, Map<String, String> env, String envName, String only,
                   boolean updateEnv) implements Request {

        /** A target that is an id, an app name, a namespace or {@code all}. */
        public Restart(String target) {
            this(List.of(target), null, Map.of(), null, null, false);
        }
    }

    /**
     * @param targets as {@link Stop}'s
     * @param cwd     the client's working directory, for a file or script target (null: no files)
     * @param env     the client's environment, which a JavaScript ecosystem file is evaluated with
     * @param only    {@code --only a,b}: of the ecosystem files, only these apps; or null
     */
    record Delete(List<String> targets, String cwd, Map<String, String> env, String only) implements Request {

        /** A target that is an id, an app name, a namespace or {@code all}. */
        public Delete(String target) {
            this(List.of(target), null, Map.of(), null);
        }
    }

    /**
     * Set the restart counts to 0, as PM2's {@code reset}.
     *
     * @param targets ids, app names, namespaces or {@code all}
     */
    record Reset(List<String> targets) implements Request {
    }

    /** @param target an id, an app name, a namespace or {@code all} */
    record Describe(String target) implements Request {
    }

    /**
     * @param signal a signal name or number
     * @param target an id, an app name or {@code all}
     */
    record SendSignal(String signal, String target) implements Request {
    }

    /**
     * The last lines of the log files, then (with {@code follow}) new lines and state changes as they come.
     *
     * @param target an id, an app name, or {@code all}
     * @param lines  how many past lines per file at most, or -1 for every one since {@code since}
     * @param out    include stdout
     * @param err    include stderr
     * @param follow keep streaming
     * @param since  past lines written at or after this moment only (epoch milliseconds), or null for any
     */
    record Logs(String target, int lines, boolean out, boolean err, boolean follow, Long since) implements Request {

        /** The last lines, however old. */
        public Logs(String target, int lines, boolean out, boolean err, boolean follow) {
            this(target, lines, out, err, follow, null);
        }
    }

    /** @param target an id, an app name or {@code all}: empty their log files */
    record Flush(String target) implements Request {
    }

    /** @param force write even an empty list over a saved one */
    record Save(boolean force) implements Request {
    }

    /**
     * @param fromUpdate read the list {@code update} carried over instead of the user's dump
     * @param handoff    where {@code update} holds the public sockets the last daemon handed over
     *                   ({@link SocketHandoff}), for the cluster apps to take; null when none
     */
    record Resurrect(boolean fromUpdate, String handoff) implements Request {
        public Resurrect(boolean fromUpdate) {
            this(fromUpdate, null);
        }
    }

    /**
     * @param forUpdate first write the process list for the next daemon to resurrect
     * @param handoff   where {@code update} takes the cluster apps' public sockets
     *                  ({@link SocketHandoff}) before the apps stop; null: they close
     */
    record Kill(boolean forUpdate, String handoff) implements Request {
        public Kill(boolean forUpdate) {
            this(forUpdate, null);
        }
    }

    /**
     * Replace every instance of the target's apps without a failed request (cluster mode), or
     * restart them (fork mode); the answer streams one item per step.
     *
     * @param targets   ids, app names, namespaces, {@code all}, or ecosystem files (re-read: their
     *                  changed env, args, script and instance count apply); all checked first
     * @param cwd       the client's working directory, for a relative file
     * @param env       the client's environment, the base of a re-read file's apps
     * @param envName   {@code --env}: merge {@code env_NAME} of each app's ecosystem file; or null
     * @param only      {@code --only a,b}: of the ecosystem files, only these apps; or null
     * @param updateEnv {@code --update-env}: the apps take the client's environment, their own variables over it
     */
    record Reload(List<String> targets, String cwd, Map<String, String> env, String envName, String only,
                  boolean updateEnv) implements Request {

        /** One target, as typed. */
        public Reload(String target, String cwd, Map<String, String> env, String envName) {
            this(List.of(target), cwd, env, envName, null, false);
        }
    }

    /**
     * Change an app's instance count; the answer streams one item per step.
     *
     * @param app   the app's name
     * @param count {@code N}, {@code +N} or {@code -N}
     */
    record Scale(String app, String count) implements Request {
    }

    /**
     * Show, open, move or close the metrics port and dashboard; what opens is kept in the daemon
     * settings file for the next daemon. All null and not {@code off}: only show it.
     *
     * @param port  the port to open, or null to keep the current one
     * @param host  the address to bind, or null to keep the current one (first: 127.0.0.1)
     * @param token the token requests must carry, or null (generated for a non-loopback host)
     * @param off   close the port
     */
    record MetricsPort(Integer port, String host, String token, boolean off) implements Request {
    }
}
