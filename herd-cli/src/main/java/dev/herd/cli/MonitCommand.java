package dev.herd.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

import com.fasterxml.jackson.core.type.TypeReference;

import picocli.CommandLine.Command;

import dev.herd.daemon.HerdException;
import dev.herd.daemon.HerdHome;
import dev.herd.daemon.InstanceView;
import dev.herd.daemon.Protocol;
import dev.herd.daemon.Request;
import dev.herd.daemon.StreamItem;
import dev.herd.monit.Action;
import dev.herd.monit.DaemonLink;

/**
 * {@code herd monit}: the full-screen dashboard of {@link dev.herd.monit}, talking to the daemon
 * through {@link DaemonClient}. Its signatures name no JLine type, so that building the command
 * line (which reflects on every command when it lists them) loads no JLine class.
 */
@Command(name = "monit", description = {"A full-screen dashboard: every instance with live CPU and memory, the"
        + " selected one's details and logs (recent history, then new lines); keys restart, reload and stop.",
        "Needs a terminal; elsewhere use herd list."})
final class MonitCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        return dev.herd.monit.Dashboard.run(new ClientLink(Main.home()), System.err);
    }

    /** The daemon's commands that monit uses, over the CLI's socket client. */
    private static final class ClientLink implements DaemonLink {
        private static final TypeReference<List<InstanceView>> VIEWS = new TypeReference<>() {
        };

        private final HerdHome home;
        private final DaemonClient client;
        /** Once the daemon has answered, it is not started again: one that goes away is reported instead. */
        private volatile boolean answered;

        ClientLink(HerdHome home) {
            this.home = home;
            this.client = new DaemonClient(home);
        }

        @Override
        public List<InstanceView> list() throws HerdException {
            if (!answered) {
                home.ensure();
            }
            List<InstanceView> views = Protocol.json().convertValue(
                    client.call(new Request.ListAll(), !answered).body(), VIEWS);
            answered = true;
            return views;
        }

        @Override
        public void act(Action action, String target, Consumer<String> progress) throws HerdException {
            switch (action) {
                case RESTART -> client.call(new Request.Restart(target), false);
                case STOP -> client.call(new Request.Stop(target), false);
                case RELOAD -> reload(target, progress);
            }
        }

        private void reload(String target, Consumer<String> progress) throws HerdException {
            StreamItem[] done = {null};
            client.stream(new Request.Reload(target, Path.of("").toAbsolutePath().toString(), System.getenv(), null),
                    item -> {
                        if ("done".equals(item.type())) {
                            done[0] = item;
                        } else {
                            progress.accept((item.app() != null ? item.app() + ": " : "") + item.text());
                        }
                    });
            if (done[0] == null) {
                throw new HerdException("the daemon ended the reload's stream before the end (see " + home.daemonLog() + ")");
            }
            if (!"ok".equals(done[0].stream())) {
                throw new HerdException(done[0].text());
            }
        }

        @Override
        public void followLogs(String target, int lines, Consumer<StreamItem> sink) throws HerdException {
            client.stream(new Request.Logs(target, lines, true, true, true), sink);
        }
    }
}
