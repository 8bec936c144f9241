package dev.herd.supervisor;

import java.util.List;
import java.util.Map;

/**
 * A snapshot of one instance, for {@code list}, {@code describe} and the dump file.
 *
 * @param id               unique id in this supervisor
 * @param app              app name
 * @param index            index within the app, 0-based
 * @param state            current state
 * @param pid              process id, 0 when not running
 * @param restarts         how many times herd restarted it (automatic and asked)
 * @param unstableRestarts consecutive restarts after exits before min_uptime
 * @param startedAtMillis  wall-clock start of the current run, 0 when not running
 * @param uptimeMillis     length of the current run, 0 when not running
 * @param lastExits        the last exits, newest first
 * @param lastReason       the reason of the last change of state
 * @param outLog           the stdout log file
 * @param errLog           the stderr log file
 * @param droppedLogLines  lines dropped because the log files could not keep up
 * @param spec             the app it belongs to, as it was when this instance was created
 * @param plan             how it runs: its command, environment, log files and port
 * @param logFile          the combined log file ({@code log_file}), or null for none
 * @param createdAtMillis  wall-clock time it was created, or its counters last reset
 * @param env              the complete environment its last run started with (herd's variables
 *                         included); its plan's before it first ran
 */
public record InstanceInfo(int id, String app, int index, ProcessState state, long pid, int restarts,
                           int unstableRestarts, long startedAtMillis, long uptimeMillis, List<ExitRecord> lastExits,
                           String lastReason, String outLog, String errLog, long droppedLogLines, AppSpec spec,
                           InstancePlan plan, String logFile, long createdAtMillis, Map<String, String> env) {
}
