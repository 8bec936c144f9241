package dev.herd.monit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.herd.daemon.InstanceView;
import dev.herd.daemon.StreamItem;

class MonitModelTest {

    private static final InstanceView ALPHA = Views.fork(0, "alpha", 0);
    private static final InstanceView BETA0 = Views.fork(1, "beta", 0);
    private static final InstanceView BETA1 = Views.fork(2, "beta", 1);

    private static MonitModel.Step step(MonitState s, MonitEvent e) {
        return MonitModel.step(s, e);
    }

    private static MonitState listed(int width, int height, InstanceView... views) {
        return step(MonitState.initial(width, height, true), new MonitEvent.Listed(List.of(views), 1_000)).state();
    }

    private static MonitState press(MonitState s, Key... keys) {
        for (Key k : keys) {
            s = step(s, new MonitEvent.Pressed(k)).state();
        }
        return s;
    }

    private static MonitState withLines(MonitState s, int count) {
        for (int i = 0; i < count; i++) {
            s = step(s, new MonitEvent.LogLine(s.logs().generation(), line("line " + i))).state();
        }
        return s;
    }

    private static StreamItem line(String text) {
        return new StreamItem("line", "alpha", 0, 0, "out", 0, text);
    }

    @Test
    void theFirstListSelectsTheFirstRowAndFollowsItsLogsWithHistory() {
        MonitModel.Step s = step(MonitState.initial(120, 40, true), new MonitEvent.Listed(List.of(ALPHA, BETA0), 1_000));
        assertThat(s.state().selectedId()).isZero();
        assertThat(s.effects()).containsExactly(new Effect.FollowLogs(1, "0", LogPane.HISTORY));
    }

    @Test
    void aReplacedInstanceStaysSelectedThroughItsSuccessorAtTheSameIndex() {
        MonitState s = press(listed(120, 40, ALPHA, BETA0, BETA1), Key.DOWN, Key.DOWN);
        assertThat(s.selectedId()).isEqualTo(2);
        InstanceView successor = Views.fork(7, "beta", 1);

        // New ids come last: the old one's row now holds another app's instance.
        MonitState after = step(s, new MonitEvent.Listed(List.of(ALPHA, BETA0, Views.fork(3, "gamma", 0), successor),
                2_000)).state();

        assertThat(after.selectedId()).as("beta[1] again, under its new id").isEqualTo(7);
    }

    @Test
    void downAndUpMoveTheSelectionAndSwitchTheLogStream() {
        MonitState s = listed(120, 40, ALPHA, BETA0, BETA1);
        MonitModel.Step down = step(s, new MonitEvent.Pressed(Key.DOWN));
        assertThat(down.state().selectedId()).isEqualTo(1);
        assertThat(down.effects()).containsExactly(new Effect.FollowLogs(2, "1", LogPane.HISTORY));
        MonitModel.Step up = step(down.state(), new MonitEvent.Pressed(Key.UP));
        assertThat(up.state().selectedId()).isZero();
        assertThat(up.effects()).containsExactly(new Effect.FollowLogs(3, "0", LogPane.HISTORY));
    }

    @Test
    void theSelectionStopsAtTheFirstAndLastRows() {
        MonitState top = listed(120, 40, ALPHA, BETA0);
        MonitModel.Step up = step(top, new MonitEvent.Pressed(Key.UP));
        assertThat(up.state()).isEqualTo(top);
        assertThat(up.effects()).isEmpty();
        MonitState bottom = press(top, Key.DOWN, Key.DOWN, Key.DOWN);
        assertThat(bottom.selectedId()).isEqualTo(1);
        assertThat(step(bottom, new MonitEvent.Pressed(Key.DOWN)).effects()).isEmpty();
    }

    @Test
    void inAppScopeMovingWithinTheAppKeepsItsStream() {
        MonitState s = press(listed(120, 40, ALPHA, BETA0, BETA1), Key.DOWN);
        MonitModel.Step app = step(s, new MonitEvent.Pressed(Key.SCOPE));
        assertThat(app.state().scope()).isEqualTo(MonitState.Scope.APP);
        assertThat(app.effects()).containsExactly(new Effect.FollowLogs(3, "beta", LogPane.HISTORY));
        MonitModel.Step next = step(app.state(), new MonitEvent.Pressed(Key.DOWN));
        assertThat(next.state().selectedId()).isEqualTo(2);
        assertThat(next.effects()).isEmpty();
        assertThat(step(next.state(), new MonitEvent.Pressed(Key.SCOPE)).effects())
                .containsExactly(new Effect.FollowLogs(4, "2", LogPane.HISTORY));
    }

    @Test
    void linesOfAStreamThatWasReplacedAreDropped() {
        MonitState s = listed(120, 40, ALPHA, BETA0);
        int old = s.logs().generation();
        s = press(s, Key.DOWN);
        s = step(s, new MonitEvent.LogLine(old, line("from alpha"))).state();
        assertThat(s.logs().lines()).isEmpty();
        s = step(s, new MonitEvent.LogLine(s.logs().generation(), line("from beta"))).state();
        assertThat(s.logs().lines()).extracting(StreamItem::text).containsExactly("from beta");
    }

    @Test
    void pagingScrollsBackAPageAtATimeAndStopsAtTheOldestLine() {
        MonitState s = withLines(listed(120, 40, ALPHA), 100);
        int rows = s.layout().logRows();
        int page = s.layout().logPage();
        assertThat(s.maxScroll()).isEqualTo(100 - rows);
        s = press(s, Key.PAGE_UP);
        assertThat(s.logs().scroll()).isEqualTo(page);
        s = press(s, Key.PAGE_UP, Key.PAGE_UP, Key.PAGE_UP, Key.PAGE_UP, Key.PAGE_UP);
        assertThat(s.logs().scroll()).isEqualTo(100 - rows);
        s = press(s, Key.PAGE_DOWN);
        assertThat(s.logs().scroll()).isEqualTo(100 - rows - page);
        s = press(s, Key.PAGE_DOWN, Key.PAGE_DOWN, Key.PAGE_DOWN, Key.PAGE_DOWN, Key.PAGE_DOWN);
        assertThat(s.logs().scroll()).isZero();
        assertThat(press(s, Key.LOG_TOP).logs().scroll()).isEqualTo(100 - rows);
        assertThat(press(s, Key.LOG_TOP, Key.LOG_BOTTOM).logs().scroll()).isZero();
    }

    @Test
    void fewerLinesThanThePaneDoNotScroll() {
        MonitState s = withLines(listed(120, 40, ALPHA), 3);
        assertThat(press(s, Key.PAGE_UP).logs().scroll()).isZero();
        assertThat(press(s, Key.LOG_TOP).logs().scroll()).isZero();
    }

    @Test
    void aNewLineWhileScrolledBackKeepsTheViewOnTheSameLines() {
        MonitState s = press(withLines(listed(120, 40, ALPHA), 100), Key.PAGE_UP);
        int scroll = s.logs().scroll();
        s = withLines(s, 1);
        assertThat(s.logs().scroll()).isEqualTo(scroll + 1);
        MonitState following = withLines(press(s, Key.LOG_BOTTOM), 1);
        assertThat(following.logs().scroll()).isZero();
    }

    @Test
    void theLogPaneKeepsItsNewestLinesUpToItsCapacity() {
        MonitState s = withLines(listed(120, 40, ALPHA), LogPane.CAPACITY + 5);
        assertThat(s.logs().lines()).hasSize(LogPane.CAPACITY);
        assertThat(s.logs().lines().get(0).text()).isEqualTo("line 5");
    }

    @Test
    void growingTheWindowClampsTheScrollToWhatCanBeShown() {
        MonitState s = press(withLines(listed(120, 20, ALPHA), 40), Key.LOG_TOP);
        assertThat(s.logs().scroll()).isPositive();
        MonitState tall = step(s, new MonitEvent.Resized(120, 200)).state();
        assertThat(tall.logs().scroll()).isZero();
        assertThat(step(s, new MonitEvent.Resized(-1, -1)).state().height()).isZero();
    }

    @Test
    void whenTheSelectedInstanceGoesTheRowThatTookItsPlaceIsSelected() {
        MonitState s = press(listed(120, 40, ALPHA, BETA0, BETA1), Key.DOWN);
        MonitModel.Step after = step(s, new MonitEvent.Listed(List.of(ALPHA, BETA1), 2_000));
        assertThat(after.state().selectedId()).isEqualTo(2);
        assertThat(after.effects()).containsExactly(new Effect.FollowLogs(3, "2", LogPane.HISTORY));
        MonitModel.Step last = step(press(s, Key.DOWN), new MonitEvent.Listed(List.of(ALPHA, BETA0), 3_000));
        assertThat(last.state().selectedId()).isEqualTo(1);
    }

    @Test
    void anEmptyListSelectsNothingAndStopsFollowing() {
        MonitModel.Step s = step(listed(120, 40, ALPHA), new MonitEvent.Listed(List.of(), 2_000));
        assertThat(s.state().selectedId()).isEqualTo(-1);
        assertThat(s.state().logs().target()).isNull();
        assertThat(s.effects()).containsExactly(new Effect.StopLogs());
        MonitModel.Step restart = step(s.state(), new MonitEvent.Pressed(Key.RESTART));
        assertThat(restart.effects()).isEmpty();
        assertThat(restart.state().status().failed()).isTrue();
    }

    @Test
    void aDaemonThatGoesAwayIsSaidAndItsEndedStreamReopensWhenItAnswersAgain() {
        MonitState s = listed(120, 40, ALPHA);
        s = step(s, new MonitEvent.ListFailed("no herd daemon is running for /h")).state();
        s = step(s, new MonitEvent.LogEnded(s.logs().generation(), "lost the daemon")).state();
        assertThat(s.daemonProblem()).isEqualTo("no herd daemon is running for /h");
        assertThat(s.instances()).containsExactly(ALPHA);
        assertThat(s.logs().ended()).isEqualTo("lost the daemon");
        MonitModel.Step back = step(s, new MonitEvent.Listed(List.of(ALPHA), 5_000));
        assertThat(back.state().daemonProblem()).isNull();
        assertThat(back.state().logs().ended()).isNull();
        assertThat(back.effects()).containsExactly(new Effect.FollowLogs(2, "0", LogPane.HISTORY));
    }

    @Test
    void anEndOfAReplacedStreamIsIgnored() {
        MonitState s = press(listed(120, 40, ALPHA, BETA0), Key.DOWN);
        s = step(s, new MonitEvent.LogEnded(s.logs().generation() - 1, "interrupted")).state();
        assertThat(s.logs().ended()).isNull();
    }

    @Test
    void actionsTargetTheInstanceOrInAppScopeTheApp() {
        MonitState s = listed(120, 40, ALPHA, BETA0);
        MonitModel.Step restart = step(s, new MonitEvent.Pressed(Key.RESTART));
        assertThat(restart.effects()).containsExactly(new Effect.Act(Action.RESTART, "0", "alpha[0] (id 0)"));
        assertThat(restart.state().status()).isEqualTo(new MonitState.Notice("restarting alpha[0] (id 0)...", false));
        assertThat(step(s, new MonitEvent.Pressed(Key.STOP)).effects())
                .containsExactly(new Effect.Act(Action.STOP, "0", "alpha[0] (id 0)"));
        assertThat(step(s, new MonitEvent.Pressed(Key.RELOAD)).effects())
                .containsExactly(new Effect.Act(Action.RELOAD, "alpha", "alpha"));
        MonitState app = press(s, Key.DOWN, Key.SCOPE);
        assertThat(step(app, new MonitEvent.Pressed(Key.STOP)).effects())
                .containsExactly(new Effect.Act(Action.STOP, "beta", "beta"));
    }

    @Test
    void anOutcomeShowsInTheStatusLine() {
        MonitState s = step(listed(120, 40, ALPHA), new MonitEvent.Outcome("restart alpha failed: no", true)).state();
        assertThat(s.status()).isEqualTo(new MonitState.Notice("restart alpha failed: no", true));
    }

    @Test
    void qQuits() {
        assertThat(step(listed(120, 40, ALPHA), new MonitEvent.Pressed(Key.QUIT)).effects())
                .containsExactly(new Effect.Quit());
    }

    @Test
    void eachListAddsASampleToItsInstancesHistoryAndForgetsTheGoneOnes() {
        MonitState s = listed(120, 40, ALPHA, BETA0);
        s = step(s, new MonitEvent.Listed(List.of(Views.withFigures(ALPHA, 50, 7), Views.stopped(1, "beta", 0)),
                2_000)).state();
        assertThat(s.history().get(0).cpu()).containsExactly(1.5, 50);
        assertThat(s.history().get(0).memory()).containsExactly(20 << 20, 7);
        assertThat(s.history().get(1).cpu()).containsExactly(1.5, 0);
        s = step(s, new MonitEvent.Listed(List.of(ALPHA), 3_000)).state();
        assertThat(s.history()).containsOnlyKeys(0);
        for (int i = 0; i < Samples.CAPACITY + 10; i++) {
            s = step(s, new MonitEvent.Listed(List.of(Views.withFigures(ALPHA, i, i)), 4_000 + i)).state();
        }
        double[] cpu = s.history().get(0).cpu();
        assertThat(cpu).hasSize(Samples.CAPACITY);
        assertThat(cpu[cpu.length - 1]).isEqualTo(Samples.CAPACITY + 9);
    }
}
