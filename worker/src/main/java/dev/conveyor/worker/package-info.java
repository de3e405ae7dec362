/**
 * How work gets done: the worker runtime that runs extensions on tasks consumed from Kafka, the
 * scheduler that redelivers rescheduled and future-dated tasks, and outbound callbacks. Extension
 * authors only see {@code dev.conveyor.worker.spi}.
 */
package dev.conveyor.worker;
