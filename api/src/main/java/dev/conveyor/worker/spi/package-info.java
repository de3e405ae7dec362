/**
 * The extension SPI: what an extension author implements.
 *
 * <ul>
 *   <li>{@link dev.conveyor.worker.spi.BackgroundExtension}: background and webhook tasks,
 *       answered with a {@link dev.conveyor.schema.TaskResult};</li>
 *   <li>{@link dev.conveyor.worker.spi.InteractiveExtension}: request/response tasks, answered with
 *       an {@link dev.conveyor.schema.InteractiveResult} that becomes the HTTP response;</li>
 *   <li>{@link dev.conveyor.worker.spi.ScheduledExtension}: tasks fired by recurring schedules.</li>
 * </ul>
 *
 * Extensions are found with {@link java.util.ServiceLoader}: list the implementation class in
 * {@code META-INF/services/dev.conveyor.worker.spi.BackgroundExtension} (or the interface it
 * implements). Each declares its topics; per-extension guards come from
 * {@link dev.conveyor.worker.spi.Extension#settings()} and the configuration file. The test kit in
 * {@code dev.conveyor.worker.testkit} runs an extension on a task without a broker.
 */
package dev.conveyor.worker.spi;
