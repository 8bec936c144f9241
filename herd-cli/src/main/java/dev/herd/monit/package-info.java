/**
 * {@code herd monit}: a full-screen terminal dashboard of the daemon's instances, with live CPU and
 * memory sparklines, the selected instance's details and a log pane that starts with history.
 *
 * <p>Decisions are pure: {@link dev.herd.monit.MonitModel} turns a {@link dev.herd.monit.MonitState}
 * and a {@link dev.herd.monit.MonitEvent} (a key, a resize, a sample of the list, a log line, an
 * action's outcome) into the next state and the {@link dev.herd.monit.Effect}s to carry out, and
 * {@link dev.herd.monit.Screen} turns a state into the screen's lines. {@link dev.herd.monit.Dashboard}
 * owns the terminal (JLine) and the threads that poll the daemon, follow logs and run actions, all
 * through a {@link dev.herd.monit.DaemonLink}. JLine is loaded only here, so no other command pays
 * for it.
 */
package dev.herd.monit;
