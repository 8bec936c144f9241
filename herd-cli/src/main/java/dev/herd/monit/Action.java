package dev.herd.monit;

/** What monit can ask the daemon to do to the selected instance or app. */
public enum Action {
    /** Stop, then start. */
    RESTART("restart", "restarting", "restarted"),
    /** Replace the instances one at a time without a failed request (cluster mode; fork mode restarts). */
    RELOAD("reload", "reloading", "reloaded"),
    /** Stop. */
    STOP("stop", "stopping", "stopped");

    private final String verb;
    private final String doing;
    private final String done;

    Action(String verb, String doing, String done) {
        this.verb = verb;
        this.doing = doing;
        this.done = done;
    }

    /** The command's name, as {@code herd} spells it. */
    public String verb() {
        return verb;
    }

    /** The present participle, for the status line while it runs. */
    public String doing() {
        return doing;
    }

    /** The past participle, for the status line. */
    public String done() {
        return done;
    }
}
