/**
 * Log capture for supervised children: {@link dev.herd.supervisor.logs.OutputPump} reads a child's
 * pipe into lines, a {@link dev.herd.supervisor.logs.LogWriter} buffers them (bounded, never
 * blocking the child) and drains them into a {@link dev.herd.supervisor.logs.LogSink}, normally a
 * size-rotating file; {@link dev.herd.supervisor.logs.LogRegistry} shares those files between
 * instances and {@link dev.herd.supervisor.logs.LogTail} reads them back.
 */
package dev.herd.supervisor.logs;
