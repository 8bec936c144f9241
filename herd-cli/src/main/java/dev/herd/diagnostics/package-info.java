/**
 * JVM diagnostics of running instances: {@code herd heapdump}, {@code herd profile} and the
 * debug port that {@code describe} shows.
 *
 * <p>Pure decisions in small classes: {@link dev.herd.diagnostics.JvmChoice} (which process of an
 * instance's group is its JVM, and what to tell a user whose instance runs no JVM),
 * {@link dev.herd.diagnostics.AttachNeeds} (whether a JVM's flags forbid attaching, and what an
 * attach failure means), {@link dev.herd.diagnostics.OutputFiles} (where a dump or profile goes),
 * {@link dev.herd.diagnostics.ProfileSpec} (the agent and JFR commands of a profile) and
 * {@link dev.herd.diagnostics.DebugAddress} (the debug address a command line asks for).
 * {@link dev.herd.diagnostics.ProcFacts} reads {@code /proc}, {@link dev.herd.diagnostics.Attach}
 * talks to the target through the JDK's attach API, and the two picocli commands tie them together.
 *
 * <p>The attach runs in the client, not the daemon: the client is the same user on the same host
 * (it reaches the daemon's Unix socket), so it can attach just as well; the daemon then never
 * loads the attach machinery, never blocks a thread on a slow or hung target, and needs no new
 * streamed request. The daemon only names the instances ({@code describe}). Every profile is
 * bounded inside the target (async-profiler's {@code timeout}, JFR's {@code duration}), so it
 * ends on time even if the client goes away.
 */
package dev.herd.diagnostics;
