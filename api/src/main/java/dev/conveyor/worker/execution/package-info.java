/**
 * Internal: the steps that run one task the way the worker does, shared by the worker and the
 * extension test kit so both run the very same code. {@link dev.conveyor.worker.execution.ExecutionPlan}
 * resolves a topic's settings, {@link dev.conveyor.worker.execution.Invoker} calls the extension
 * under its timeout and turns what happens into an outcome, {@link dev.conveyor.worker.execution.Normalizer}
 * computes the status to record. They know nothing of the store, of Kafka consumers or of the
 * worker's guards, which is what lets an extension project depend on {@code conveyor-api} alone.
 *
 * <p>Not part of the extension SPI: extension code uses {@code dev.conveyor.worker.spi} and
 * {@code dev.conveyor.worker.testkit}; these types may change between versions.
 * {@link dev.conveyor.worker.execution.ExecutionSettings} is the exception the test kit exposes
 * ({@code ExtensionTestKit.withSettings}).
 */
package dev.conveyor.worker.execution;
