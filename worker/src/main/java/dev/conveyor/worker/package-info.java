/**
 * How work gets done: the worker runtime that runs extensions on tasks consumed from Kafka, the
 * scheduler that redelivers rescheduled and future-dated tasks, and outbound callbacks. Extension
 * authors only see {@code dev.conveyor.worker.spi} and the test kit, in module {@code conveyor-api},
 * which also holds {@code Extensions} (this package, so its name stays the same for the worker's
 * callers) and the steps the worker runs an extension with ({@code dev.conveyor.worker.execution}).
 */
package dev.conveyor.worker;
