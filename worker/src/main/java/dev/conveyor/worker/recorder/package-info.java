/**
 * The recorder: {@code queued} rows for tasks produced straight to a task topic. A consumer group
 * of its own reads the task topics and writes one batch of rows per poll, before it commits;
 * {@link dev.conveyor.worker.recorder.QueuedRecorder} is the entry point, started by the scheduler
 * role's composition root with a {@link dev.conveyor.worker.recorder.RecorderConfig}.
 */
package dev.conveyor.worker.recorder;
