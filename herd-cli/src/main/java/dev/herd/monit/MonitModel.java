package dev.herd.monit;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.herd.daemon.InstanceView;

/**
 * monit's decisions: the next state, and what to carry out, from the current state and one event.
 * Pure: no terminal, no daemon, no clock (a sample brings its own time).
 */
public final class MonitModel {

    /** The state after an event, and what the loop must do about it, in order. */
    public record Step(MonitState state, List<Effect> effects) {
        public Step {
            effects = List.copyOf(effects);
        }

        static Step of(MonitState state) {
            return new Step(state, List.of());
        }
    }

    private MonitModel() {
    }

    /** Decides on one event. */
    public static Step step(MonitState s, MonitEvent event) {
        Step next;
        if (event instanceof MonitEvent.Pressed p) {
            next = pressed(s, p.key());
        } else if (event instanceof MonitEvent.Resized r) {
            next = Step.of(s.withSize(Math.max(0, r.width()), Math.max(0, r.height())));
        } else if (event instanceof MonitEvent.Listed l) {
            next = listed(s, l);
        } else if (event instanceof MonitEvent.ListFailed f) {
            next = Step.of(s.withProblem(f.message()));
        } else if (event instanceof MonitEvent.LogLine line) {
            next = Step.of(line.generation() == s.logs().generation() ? s.withLogs(s.logs().plus(line.item())) : s);
        } else if (event instanceof MonitEvent.LogEnded end) {
            next = Step.of(end.generation() == s.logs().generation() ? s.withLogs(s.logs().endedWith(end.message())) : s);
        } else if (event instanceof MonitEvent.Outcome o) {
            next = Step.of(s.withStatus(new MonitState.Notice(o.text(), o.failed())));
        } else {
            throw new IllegalArgumentException("unknown event " + event);
        }
        // A resize, a new list or a new line can each change how far back the pane can scroll.
        MonitState after = next.state();
        if (after.logs().scroll() > after.maxScroll()) {
            after = after.withLogs(after.logs().scrolledTo(after.maxScroll()));
        }
        return new Step(after, next.effects());
    }

    /** What the log pane follows for {@code v}: its id, or its app's name. */
    static String logTarget(InstanceView v, MonitState.Scope scope) {
        return scope == MonitState.Scope.INSTANCE ? Integer.toString(v.id()) : v.name();
    }

    private static Step pressed(MonitState s, Key key) {
        LogPane logs = s.logs();
        return switch (key) {
            case UP -> select(s, s.selectedIndex() - 1);
            case DOWN -> select(s, s.selectedIndex() + 1);
            case PAGE_UP -> Step.of(s.withLogs(logs.scrolledTo(Math.min(s.maxScroll(), logs.scroll() + s.layout().logPage()))));
            case PAGE_DOWN -> Step.of(s.withLogs(logs.scrolledTo(Math.max(0, logs.scroll() - s.layout().logPage()))));
            case LOG_TOP -> Step.of(s.withLogs(logs.scrolledTo(s.maxScroll())));
            case LOG_BOTTOM -> Step.of(s.withLogs(logs.scrolledTo(0)));
            case SCOPE -> toggleScope(s);
            case RESTART -> act(s, Action.RESTART);
            case RELOAD -> act(s, Action.RELOAD);
            case STOP -> act(s, Action.STOP);
            case QUIT -> new Step(s, List.of(new Effect.Quit()));
            case OTHER -> Step.of(s);
        };
    }

    private static Step select(MonitState s, int index) {
        if (s.instances().isEmpty()) {
            return Step.of(s);
        }
        InstanceView v = s.instances().get(Math.max(0, Math.min(s.instances().size() - 1, index)));
        if (v.id() == s.selectedId()) {
            return Step.of(s);
        }
        String target = logTarget(v, s.scope());
        if (target.equals(s.logs().target())) {
            return Step.of(s.withSelection(v.id(), s.logs()));
        }
        LogPane logs = s.logs().reopen(target);
        return new Step(s.withSelection(v.id(), logs), List.of(follow(logs)));
    }

    private static Step toggleScope(MonitState s) {
        MonitState.Scope scope = s.scope() == MonitState.Scope.INSTANCE ? MonitState.Scope.APP : MonitState.Scope.INSTANCE;
        return s.selected().map(v -> {
            LogPane logs = s.logs().reopen(logTarget(v, scope));
            return new Step(s.withScope(scope, logs), List.<Effect>of(follow(logs)));
        }).orElseGet(() -> Step.of(s.withScope(scope, s.logs())));
    }

    private static Step act(MonitState s, Action action) {
        return s.selected().map(v -> {
            boolean whole = action == Action.RELOAD || s.scope() == MonitState.Scope.APP;
            String target = whole ? v.name() : Integer.toString(v.id());
            String label = whole ? v.name() : v.name() + "[" + v.index() + "] (id " + v.id() + ")";
            MonitState next = s.withStatus(new MonitState.Notice(action.doing() + " " + label + "...", false));
            return new Step(next, List.<Effect>of(new Effect.Act(action, target, label)));
        }).orElseGet(() -> Step.of(s.withStatus(new MonitState.Notice("nothing selected: herd runs no apps", true))));
    }

    private static Step listed(MonitState s, MonitEvent.Listed l) {
        List<InstanceView> views = l.instances();
        Map<Integer, Samples> history = new HashMap<>();
        for (InstanceView v : views) {
            boolean running = v.pid() > 0;
            history.put(v.id(), s.history().getOrDefault(v.id(), Samples.empty())
                    .plus(running ? v.cpuPercent() : 0, running ? v.memoryBytes() : 0));
        }
        if (views.isEmpty()) {
            boolean following = s.logs().target() != null;
            LogPane logs = following ? s.logs().reopen(null) : s.logs();
            MonitState next = s.with(views, -1, history, logs, null, l.epochMillis());
            return new Step(next, following ? List.of(new Effect.StopLogs()) : List.of());
        }
        InstanceView before = s.selected().orElse(null);
        InstanceView chosen = views.stream().filter(v -> v.id() == s.selectedId()).findFirst()
                // The selected one is gone: its successor at the same index of the same app (a
                // reload or a memory replacement gives it a new id), else the row that took its
                // place, or the last.
                .or(() -> before == null ? java.util.Optional.empty() : views.stream()
                        .filter(v -> v.name().equals(before.name()) && v.index() == before.index()).findFirst())
                .orElseGet(() -> views.get(Math.max(0, Math.min(views.size() - 1, s.selectedIndex()))));
        String target = logTarget(chosen, s.scope());
        boolean reopen = !target.equals(s.logs().target()) || s.logs().ended() != null;
        LogPane logs = reopen ? s.logs().reopen(target) : s.logs();
        MonitState next = s.with(views, chosen.id(), history, logs, null, l.epochMillis());
        return new Step(next, reopen ? List.of(follow(logs)) : List.of());
    }

    private static Effect follow(LogPane logs) {
        return new Effect.FollowLogs(logs.generation(), logs.target(), LogPane.HISTORY);
    }
}
