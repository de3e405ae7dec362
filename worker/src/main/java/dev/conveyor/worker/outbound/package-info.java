/**
 * Outbound deliveries of terminal task statuses: callbacks to a task's {@code X-Callback-Url}
 * and configured notifications. Settings live here; the worker writes {@code outbox} rows in the
 * same transaction as the terminal status, and the scheduler delivers them with retries, a
 * circuit breaker per destination host and the SSRF rule of {@link dev.conveyor.worker.outbound.PrivateAddresses}.
 */
package dev.conveyor.worker.outbound;
